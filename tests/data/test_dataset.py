import numpy
import pytest
import torch

from nas._errors import DataError
from nas.data import load_data, parse_data_spec
from tests.conftest import CIFAR_NPZ


def test_digits_split_is_stratified_disjoint_and_seeded():
    data = load_data("digits", resolution=32, seed=3)
    train_images, train_labels = data.train
    validation_images, validation_labels = data.validation
    assert train_images.shape[1:] == (3, 32, 32) and train_images.dtype == torch.uint8
    assert len(train_labels) + len(validation_labels) == 1797
    assert len(validation_labels) == 360
    counts = torch.bincount(validation_labels, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37
    again = load_data("digits", resolution=32, seed=3)
    assert torch.equal(again.validation[1], validation_labels)
    assert not torch.equal(load_data("digits", resolution=32, seed=4).validation[0],
                           validation_images)
    # no validation image is also a training image
    train_rows = {bytes(image.numpy()) for image in train_images}
    assert not any(bytes(image.numpy()) in train_rows for image in validation_images[:100])


def test_resize_normalise_and_test_split():
    data = load_data(f"npz:{CIFAR_NPZ}", resolution=24, seed=0, train_size=500)
    assert data.train[0].shape == (500, 3, 24, 24)
    assert data.test[0].shape == (5000, 3, 24, 24)
    assert len(data.validation[1]) == 2000
    assert data.natural and data.num_classes == 10
    normalised = data.normalise(data.train[0])
    assert normalised.mean().abs() < 0.05
    assert (normalised.std(dim=(0, 2, 3)) - 1).abs().max() < 0.05


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
