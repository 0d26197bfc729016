import torch
import torch.nn.functional as F

from nas.data import augment


def windows(image: torch.Tensor, pad: int) -> list[tuple[int, int, torch.Tensor]]:
    """(row shift, column shift, window) for every shift of ``image`` (3, R, R) in
    [-pad, pad]²: the reflect-padded image's R×R window at that offset."""
    side = image.shape[-1]
    padded = F.pad(image[None].float(), (pad, pad, pad, pad), mode="reflect")[0]
    return [(top - pad, left - pad, padded[:, top:top + side, left:left + side])
            for top in range(2 * pad + 1) for left in range(2 * pad + 1)]


def matches(output: torch.Tensor, image: torch.Tensor, pad: int) -> tuple[list, list]:
    """The shifts whose window equals ``output``, and those whose mirrored window does."""
    shifted = [(row, column) for row, column, window in windows(image, pad)
               if torch.equal(window, output)]
    mirrored = [(row, column) for row, column, window in windows(image, pad)
                if torch.equal(window.flip(-1), output)]
    return shifted, mirrored


def random_images(count: int = 64, side: int = 16) -> torch.Tensor:
    """Noise images: no two windows of one (padded) image are equal, nor mirror images."""
    return torch.randint(0, 256, (count, 3, side, side), dtype=torch.uint8,
                         generator=torch.Generator().manual_seed(0))


def test_crops_are_true_translations_and_never_flipped_unless_asked():
    images = random_images()
    out = augment(images, flip=False, generator=torch.Generator().manual_seed(1))
    assert out.shape == images.shape and out.dtype == torch.float32
    shifts = set()
    for output, image in zip(out, images):
        shifted, mirrored = matches(output, image, pad=16 // 8)
        assert len(shifted) == 1 and mirrored == []  # exactly one translation, no mirror
        shifts.add(shifted[0])
    assert len(shifts) > 10  # the offsets vary over the 25 possible


def test_flip_mirrors_some_images_and_only_translates_otherwise():
    images = random_images()
    out = augment(images, flip=True, generator=torch.Generator().manual_seed(1))
    mirrored_count = 0
    for output, image in zip(out, images):
        shifted, mirrored = matches(output, image, pad=2)
        assert len(shifted) + len(mirrored) == 1  # a translation, perhaps mirrored
        mirrored_count += len(mirrored)
    assert 16 <= mirrored_count <= 48  # about half of 64


def test_augment_is_reproducible():
    images = torch.randint(0, 256, (8, 3, 12, 12), dtype=torch.uint8)
    first = augment(images, flip=True, generator=torch.Generator().manual_seed(5))
    second = augment(images, flip=True, generator=torch.Generator().manual_seed(5))
    assert torch.equal(first, second)
