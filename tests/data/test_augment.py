import torch

from nas.data import augment


def test_augment_translates_and_flips_only_when_asked():
    images = torch.arange(2 * 3 * 16 * 16, dtype=torch.float32).view(2, 3, 16, 16) % 251
    images = images.to(torch.uint8).repeat(50, 1, 1, 1)
    out = augment(images, flip=False, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.dtype == torch.float32
    assert not torch.equal(out, images.float())  # some crops moved
    unflipped = augment(images, flip=False, generator=torch.Generator().manual_seed(1))
    flipped = augment(images, flip=True, generator=torch.Generator().manual_seed(1))
    assert not torch.equal(unflipped, flipped)


def test_augment_is_reproducible():
    images = torch.randint(0, 256, (8, 3, 12, 12), dtype=torch.uint8)
    first = augment(images, flip=True, generator=torch.Generator().manual_seed(5))
    second = augment(images, flip=True, generator=torch.Generator().manual_seed(5))
    assert torch.equal(first, second)
