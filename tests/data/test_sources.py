import pickle

import numpy
import pytest
from PIL import Image

from nas._errors import DataError
from nas.data import read_cifar, read_digits, read_folder, read_npz
from tests.conftest import cifar_npz


def test_digits_is_bundled_and_grey_becomes_rgb():
    raw = read_digits()
    assert raw.train_images.shape == (1797, 8, 8, 3)
    assert raw.train_images.dtype == numpy.uint8
    assert raw.train_images.max() == 255
    assert set(raw.train_labels.tolist()) == set(range(10))
    assert not raw.natural and raw.test_images is None and not raw.has_test


def write_npz(path, **arrays):
    numpy.savez(path, **arrays)
    return path


def test_npz_uint8_hwc_with_test_split(tmp_path):
    rng = numpy.random.default_rng(0)
    path = write_npz(tmp_path / "d.npz", x_train=rng.integers(0, 256, (20, 6, 6, 3), numpy.uint8),
                     y_train=numpy.arange(20) % 4, x_test=rng.integers(0, 256, (8, 6, 6, 3),
                                                                        numpy.uint8),
                     y_test=(numpy.arange(8) % 4).reshape(8, 1))
    raw = read_npz(path, test=True)
    assert raw.train_images.shape == (20, 6, 6, 3) and raw.test_images.shape == (8, 6, 6, 3)
    assert raw.test_labels.tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    assert raw.class_names == ("0", "1", "2", "3")
    assert raw.natural and raw.has_test
    without = read_npz(path)
    assert without.has_test and without.test_images is None and without.test_labels is None


def test_npz_test_labels_must_name_training_classes(tmp_path):
    path = write_npz(tmp_path / "d.npz", x_train=numpy.zeros((4, 5, 5, 3), numpy.uint8),
                     y_train=numpy.array([0, 1, 0, 1]), x_test=numpy.zeros((2, 5, 5, 3),
                                                                          numpy.uint8),
                     y_test=numpy.array([0, 2]))
    assert read_npz(path).class_names == ("0", "1")
    with pytest.raises(DataError, match=r"labels must be < 2 \(the classes of y_train\), "
                                        r"but got 2"):
        read_npz(path, test=True)


def test_npz_holding_a_single_array(tmp_path):
    numpy.save(tmp_path / "single.npy", numpy.zeros((4, 5, 5, 3), numpy.uint8))
    with pytest.raises(DataError, match="must be an .npz archive of named arrays"):
        read_npz(tmp_path / "single.npy")


def test_npz_float_and_greyscale(tmp_path):
    images = numpy.linspace(0, 1, 10 * 4 * 4).reshape(10, 4, 4).astype(numpy.float32)
    raw = read_npz(write_npz(tmp_path / "g.npz", x_train=images, y_train=numpy.arange(10) % 2))
    assert raw.train_images.shape == (10, 4, 4, 3)
    assert raw.train_images[-1, -1, -1, 0] == 255 and raw.train_images[0, 0, 0, 0] == 0
    assert not raw.natural  # grayscale: never flipped by default


def test_shared_cifar_npz():
    raw = read_npz(cifar_npz(), test=True)
    assert raw.natural
    assert raw.train_images.shape == (10000, 32, 32, 3)
    assert raw.test_images.shape == (5000, 32, 32, 3)
    assert raw.class_names[0] == "airplane" and len(raw.class_names) == 10
    assert numpy.bincount(raw.train_labels).tolist() == [1000] * 10


@pytest.mark.parametrize("arrays, message", [
    (dict(x_train=numpy.zeros((4, 5, 5, 3), numpy.uint8)), "must hold x_train and y_train"),
    (dict(x_train=numpy.zeros((4, 5, 5, 3), numpy.uint8), y_train=numpy.zeros(3, int)),
     "labels must be a vector of 4 class indices"),
    (dict(x_train=numpy.zeros((4, 5, 5, 2), numpy.uint8), y_train=numpy.zeros(4, int)),
     "images must have shape"),
    (dict(x_train=numpy.full((4, 5, 5, 3), numpy.nan), y_train=numpy.zeros(4, int)),
     "images must be finite numbers"),
    (dict(x_train=numpy.zeros((4, 5, 5, 3), numpy.uint8), y_train=-numpy.ones(4, int)),
     "labels must be >= 0"),
])
def test_bad_npz_layouts(tmp_path, arrays, message):
    with pytest.raises(DataError, match=message):
        read_npz(write_npz(tmp_path / "bad.npz", **arrays))


def test_corrupt_and_missing_npz(tmp_path):
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04 this is not a zip archive at all")
    with pytest.raises(DataError, match="must be a readable .npz archive"):
        read_npz(tmp_path / "corrupt.npz")
    with pytest.raises(DataError, match="must exist"):
        read_npz(tmp_path / "absent.npz")


def write_cifar10(directory, *, batches=2, per_batch=10):
    directory.mkdir(parents=True, exist_ok=True)
    rng = numpy.random.default_rng(1)
    for index in range(1, batches + 1):
        batch = {b"data": rng.integers(0, 256, (per_batch, 3072), numpy.uint8),
                 b"labels": [i % 10 for i in range(per_batch)]}
        (directory / f"data_batch_{index}").write_bytes(pickle.dumps(batch))
    test = {b"data": rng.integers(0, 256, (per_batch, 3072), numpy.uint8),
            b"labels": list(range(per_batch))}
    (directory / "test_batch").write_bytes(pickle.dumps(test))
    names = [f"class{i}".encode() for i in range(10)]
    (directory / "batches.meta").write_bytes(pickle.dumps({b"label_names": names}))
    return directory


def test_cifar10_pickles(tmp_path):
    directory = write_cifar10(tmp_path / "cifar-10-batches-py")
    raw = read_cifar(tmp_path, classes=10, test=True)  # the parent folder works too
    assert raw.natural and raw.has_test
    assert raw.train_images.shape == (20, 32, 32, 3)
    assert raw.test_images.shape == (10, 32, 32, 3)
    assert raw.class_names[3] == "class3"
    data = pickle.loads((directory / "data_batch_1").read_bytes())[b"data"]
    assert numpy.array_equal(raw.train_images[0, :, :, 0], data[0, :1024].reshape(32, 32))


def test_cifar100_pickles(tmp_path):
    rng = numpy.random.default_rng(2)
    for name, count in (("train", 200), ("test", 100)):
        document = {b"data": rng.integers(0, 256, (count, 3072), numpy.uint8),
                    b"fine_labels": [i % 100 for i in range(count)],
                    b"coarse_labels": [i % 20 for i in range(count)]}
        (tmp_path / name).write_bytes(pickle.dumps(document))
    raw = read_cifar(tmp_path, classes=100)
    assert raw.train_images.shape == (200, 32, 32, 3) and len(raw.class_names) == 100


def test_truncated_cifar_pickle(tmp_path):
    directory = write_cifar10(tmp_path)
    batch = directory / "data_batch_2"
    batch.write_bytes(batch.read_bytes()[:500])
    with pytest.raises(DataError, match="truncated or corrupt"):
        read_cifar(directory, classes=10)


def test_cifar_pickle_with_code_is_refused(tmp_path):
    directory = write_cifar10(tmp_path)

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    (directory / "data_batch_1").write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(DataError, match="truncated or corrupt"):
        read_cifar(directory, classes=10)


def write_folder(root, classes=("cat", "dog"), per_class=3, size=(12, 9)):
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            colour = (40 * label + index, 100, 200)
            Image.new("RGB", size, colour).save(root / name / f"{index}.png")
    return root


def test_image_folder(tmp_path):
    root = write_folder(tmp_path / "images")
    (root / "cat" / "notes.txt").write_text("ignored: not an image suffix")
    raw = read_folder(root, resolution=16)
    assert raw.train_images.shape == (6, 16, 16, 3)
    assert raw.class_names == ("cat", "dog")
    assert raw.train_labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert tuple(raw.train_images[4, 8, 8]) == (41, 100, 200)
    assert raw.natural and not raw.has_test


def test_grayscale_image_folder_is_not_natural(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for index in range(2):
            Image.new("L", (6, 6), 30 * index + (name == "b") * 100).save(
                tmp_path / name / f"{index}.png")
    assert not read_folder(tmp_path, resolution=6).natural


@pytest.mark.parametrize("classes, message", [
    ((), "must have at least 2 class sub-folders holding images"),
    (("only",), "but got 1"),
])
def test_image_folder_needs_two_classes(tmp_path, classes, message):
    root = write_folder(tmp_path / "images", classes=classes)
    root.mkdir(exist_ok=True)
    with pytest.raises(DataError, match=message):
        read_folder(root, resolution=8)


def test_unreadable_image(tmp_path):
    root = write_folder(tmp_path / "images")
    (root / "dog" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="broken.png' must be readable by Pillow"):
        read_folder(root, resolution=8)
