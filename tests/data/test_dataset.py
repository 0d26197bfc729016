import pickle

import numpy
import pytest
import torch
import torch.nn.functional as F

from nas._errors import DataError
from nas.data import load_data, parse_data_spec, read_digits
from tests.conftest import cifar_npz


def source_indices(images: torch.Tensor, source: numpy.ndarray) -> list[int]:
    """Positions in ``source`` (N, H, W, 3) of ``images`` (M, 3, H, W) at the source's size
    (every source image must be unique)."""
    position = {bytes(image): index for index, image in enumerate(source)}
    return [position[bytes(image.permute(1, 2, 0).contiguous().numpy())] for image in images]


@pytest.fixture(scope="module")
def digits_at_8():
    """The digits at their own 8×8 size (nothing resized), with the test split, per seed."""
    return {seed: load_data("digits", resolution=8, seed=seed, test=True) for seed in (0, 1, 2)}


def test_digits_test_split_is_a_fixed_stratified_fifth(digits_at_8):
    raw = read_digits()
    first = source_indices(digits_at_8[0].test[0], raw.train_images)
    assert len(first) == 360  # 20 % of 1,797, rounded up
    counts = numpy.bincount(raw.train_labels[first], minlength=10)
    expected = numpy.bincount(raw.train_labels, minlength=10) * 0.2
    assert numpy.abs(counts - expected).max() <= 1  # every class, in proportion
    assert torch.equal(digits_at_8[0].test[1], torch.from_numpy(raw.train_labels[first]))
    for data in digits_at_8.values():  # the same hold-out whatever the split seed
        assert source_indices(data.test[0], raw.train_images) == first


def test_train_validation_and_test_never_overlap(digits_at_8):
    raw = read_digits()
    validations = []
    for data in digits_at_8.values():
        train = set(source_indices(data.train[0], raw.train_images))
        validation = set(source_indices(data.validation[0], raw.train_images))
        test = set(source_indices(data.test[0], raw.train_images))
        assert not train & validation and not train & test and not validation & test
        assert len(train | validation | test) == 1797  # nothing is lost either
        assert len(validation) == 288  # 20 % of the 1,437 left after the test hold-out
        validations.append(validation)
    assert validations[0] != validations[1]  # the validation split follows the seed


def test_test_split_is_loaded_only_when_asked():
    data = load_data("digits", resolution=8, seed=0)
    assert data.test is None
    with_test = load_data("digits", resolution=8, seed=0, test=True)
    assert torch.equal(data.train[0], with_test.train[0])  # the hold-out is gone either way
    assert torch.equal(data.validation[0], with_test.validation[0])


def test_split_is_seeded_and_stratified():
    data = load_data("digits", resolution=16, seed=3)
    again = load_data("digits", resolution=16, seed=3)
    assert torch.equal(again.train[0], data.train[0])
    assert torch.equal(again.validation[1], data.validation[1])
    counts = torch.bincount(data.validation[1], minlength=10)
    assert counts.min() >= 27 and counts.max() <= 30


def write_colour_npz(path, count=60, side=12, **extra):
    rng = numpy.random.default_rng(0)
    numpy.savez(path, x_train=rng.integers(0, 256, (count, side, side, 3), numpy.uint8),
                y_train=numpy.arange(count) % 3, **extra)
    return path


@pytest.mark.parametrize("x_test, message", [
    (numpy.zeros((4, 5), numpy.uint8), "images must have shape"),
    (numpy.full((4, 12, 12, 3), 300.0), r"must lie in \[0, 1\] or \[0, 255\]"),
    (numpy.array([{"not": "an image"}] * 4, dtype=object), "must be a readable .npz archive"),
])
def test_source_test_arrays_are_read_only_when_asked(tmp_path, x_test, message):
    path = write_colour_npz(tmp_path / "d.npz", x_test=x_test, y_test=numpy.arange(4) % 3)
    data = load_data(f"npz:{path}", resolution=12)
    assert data.test is None
    assert len(data.train[1]) + len(data.validation[1]) == 60  # no hold-out: it has x_test
    with pytest.raises(DataError, match=message):
        load_data(f"npz:{path}", resolution=12, test=True)


def test_npz_test_split_is_its_own(tmp_path):
    rng = numpy.random.default_rng(1)
    x_test = rng.integers(0, 256, (9, 12, 12, 3), numpy.uint8)
    path = write_colour_npz(tmp_path / "d.npz", x_test=x_test, y_test=numpy.arange(9) % 3)
    data = load_data(f"npz:{path}", resolution=12, test=True)
    assert torch.equal(data.test[0], torch.from_numpy(x_test).permute(0, 3, 1, 2))
    assert data.test[1].tolist() == [0, 1, 2] * 3


def test_cifar_test_batch_is_unpickled_only_when_asked(tmp_path):
    rng = numpy.random.default_rng(2)
    batch = {b"data": rng.integers(0, 256, (100, 3072), numpy.uint8),
             b"labels": [index % 10 for index in range(100)]}
    (tmp_path / "data_batch_1").write_bytes(pickle.dumps(batch))
    (tmp_path / "test_batch").write_bytes(b"\x80\x04 truncated")
    data = load_data(f"cifar10:{tmp_path}", resolution=8)
    assert data.test is None and len(data.train[1]) + len(data.validation[1]) == 100
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_data(f"cifar10:{tmp_path}", resolution=8, test=True)


def resized_by_hand(images: numpy.ndarray, resolution: int) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> uint8 (N, 3, R, R): bilinear, antialiased, rounded."""
    tensor = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    resized = F.interpolate(tensor, size=(resolution, resolution), mode="bilinear",
                            antialias=True, align_corners=False)
    return resized.round().clamp(0, 255).to(torch.uint8)


def test_train_size_subset_is_resized_alone(tmp_path):
    path = write_colour_npz(tmp_path / "d.npz", count=90, side=12)
    source = numpy.load(path)["x_train"]
    native = load_data(f"npz:{path}", resolution=12, seed=5, train_size=30)
    kept = source_indices(native.train[0], source)
    small = load_data(f"npz:{path}", resolution=7, seed=5, train_size=30)
    assert small.train[0].shape == (30, 3, 7, 7)
    assert torch.equal(small.train[0], resized_by_hand(source[kept], 7))
    validation = source_indices(native.validation[0], source)
    assert torch.equal(small.validation[0], resized_by_hand(source[validation], 7))


def test_resize_normalise_and_the_shared_cifar_test_split():
    data = load_data(f"npz:{cifar_npz()}", resolution=24, seed=0, train_size=500, test=True)
    assert data.train[0].shape == (500, 3, 24, 24)
    assert data.test[0].shape == (5000, 3, 24, 24)  # the file's own x_test, no hold-out
    assert len(data.validation[1]) == 2000
    assert data.natural and data.num_classes == 10
    normalised = data.normalise(data.train[0])
    assert normalised.mean().abs() < 0.05
    assert (normalised.std(dim=(0, 2, 3)) - 1).abs().max() < 0.05


@pytest.mark.parametrize("images, natural", [
    (numpy.zeros((30, 28, 28), numpy.uint8) + numpy.arange(28, dtype=numpy.uint8), False),
    (numpy.zeros((30, 28, 28, 1), numpy.uint8) + numpy.arange(28, dtype=numpy.uint8)[:, None],
     False),
    (numpy.repeat(numpy.arange(30 * 28 * 28, dtype=numpy.uint32).reshape(30, 28, 28, 1) % 256,
                  3, axis=-1).astype(numpy.uint8), False),  # R == G == B everywhere
    (numpy.random.default_rng(3).integers(0, 256, (30, 28, 28, 3), numpy.uint8), True),
])
def test_only_colour_photographs_are_natural(tmp_path, images, natural):
    numpy.savez(tmp_path / "d.npz", x_train=images, y_train=numpy.arange(30) % 2)
    assert load_data(f"npz:{tmp_path / 'd.npz'}", resolution=8).natural is natural


def test_digits_are_never_natural():
    assert load_data("digits", resolution=8).natural is False


@pytest.mark.parametrize("text", ["mnist", "npz:", "folder", "cifar10:"])
def test_bad_specs(text):
    with pytest.raises(DataError, match="data must be one of digits, npz:FILE"):
        parse_data_spec(text)


def test_missing_path_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="must exist"):
        load_data(f"npz:{tmp_path / 'none.npz'}")
    with pytest.raises(DataError, match="does not exist"):
        load_data(f"folder:{tmp_path / 'none'}")


def test_too_few_images_per_class(tmp_path):
    numpy.savez(tmp_path / "small.npz", x_train=numpy.zeros((3, 4, 4, 3), numpy.uint8),
                y_train=numpy.array([0, 1, 2]))
    with pytest.raises(DataError, match="at least 2 training images per class"):
        load_data(f"npz:{tmp_path / 'small.npz'}")
