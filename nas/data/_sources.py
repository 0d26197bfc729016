"""Readers for the supported data sources. Each returns raw arrays, never downloads anything.

Images come back as uint8 arrays (N, H, W, 3) and labels as int64 arrays (N,). A source's own
test split is read only when asked for (``test=True``). Every defect in what is read (missing,
truncated, wrong layout) raises :class:`~nas._errors.DataError` naming the file.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy

from nas._errors import DataError



@dataclass(frozen=True, kw_only=True)
class RawData:
    """A source's training images and, when asked for and present, its own test split.

    Attributes:
        train_images: uint8 (N, H, W, 3), the source's training images.
        train_labels: int64 (N,), class indices in [0, len(class_names)).
        test_images: uint8 (M, H, W, 3), the source's own test split (npz ``x_test``, CIFAR
            ``test_batch`` / ``test``) when the reader was asked for it (``test=True``) and the
            source has one; otherwise None.
        test_labels: int64 (M,) beside ``test_images``, or None.
        has_test: whether the source has its own test split, read or not.
        class_names: one name per class; their number is the class count.
        natural: True for colour photographs, where horizontal flips are a valid augmentation:
            the training images have colour (their three channels are not all identical).
            Grayscale sources and the digits are never natural.
    """

    train_images: numpy.ndarray
    train_labels: numpy.ndarray
    test_images: numpy.ndarray | None = None
    test_labels: numpy.ndarray | None = None
    has_test: bool = False
    class_names: tuple[str, ...]
    natural: bool


def has_colour(images: numpy.ndarray) -> bool:
    """Whether uint8 images (N, H, W, 3) have colour: some pixel's three channels differ
    (a grayscale image repeated into three channels has none)."""
    for chunk in numpy.array_split(images, max(1, len(images) // 1024)):
        red, green, blue = chunk[..., 0], chunk[..., 1], chunk[..., 2]
        if not (numpy.array_equal(red, green) and numpy.array_equal(green, blue)):
            return True
    return False


def _as_uint8_rgb(images: numpy.ndarray, source: str) -> numpy.ndarray:
    """Accept (N, H, W), (N, H, W, 1) or (N, H, W, 3), uint8 or float in [0, 1] / [0, 255]."""
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or min(images.shape[:3]) < 1:
        raise DataError(f"{source}: images must have shape (N, H, W), (N, H, W, 1) or "
                        f"(N, H, W, 3), but got {images.shape}")
    if images.dtype == numpy.uint8:
        pass
    elif numpy.issubdtype(images.dtype, numpy.floating) or numpy.issubdtype(images.dtype,
                                                                             numpy.integer):
        values = images.astype(numpy.float64)
        if not numpy.isfinite(values).all():
            raise DataError(f"{source}: images must be finite numbers, but got NaN or inf")
        low, high = float(values.min()), float(values.max())
        if low < 0 or high > 255:
            raise DataError(f"{source}: image values must lie in [0, 1] or [0, 255], "
                            f"but got [{low:g}, {high:g}]")
        if high <= 1 and numpy.issubdtype(images.dtype, numpy.floating):
            values = values * 255
        images = numpy.clip(numpy.rint(values), 0, 255).astype(numpy.uint8)
    else:
        raise DataError(f"{source}: images must be uint8 or float, but got {images.dtype}")
    if images.shape[-1] == 1:
        images = numpy.repeat(images, 3, axis=-1)
    return numpy.ascontiguousarray(images)


def _as_labels(labels: numpy.ndarray, count: int, source: str) -> numpy.ndarray:
    labels = numpy.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or len(labels) != count:
        raise DataError(f"{source}: labels must be a vector of {count} class indices (one per "
                        f"image), but got shape {labels.shape}")
    if not numpy.issubdtype(labels.dtype, numpy.integer):
        if not (numpy.issubdtype(labels.dtype, numpy.floating)
                and numpy.isfinite(labels).all() and (labels == numpy.round(labels)).all()):
            raise DataError(f"{source}: labels must be integer class indices, "
                            f"but got {labels.dtype}")
    labels = labels.astype(numpy.int64)
    if len(labels) and labels.min() < 0:
        raise DataError(f"{source}: labels must be >= 0, but got {int(labels.min())}")
    return labels


def _class_names(count: int) -> tuple[str, ...]:
    return tuple(str(index) for index in range(count))


def _check_below(labels: numpy.ndarray, classes: int, source: str, *, why: str = "") -> None:
    """Labels must be class indices below ``classes``."""
    if len(labels) and labels.max() >= classes:
        raise DataError(f"{source}: labels must be < {classes}{why}, "
                        f"but got {int(labels.max())}")


def read_digits() -> RawData:
    """scikit-learn's bundled 8×8 handwritten digits (1,797 images, 10 classes), no download."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images * (255.0 / 16.0)).round().astype(numpy.uint8)
    return RawData(train_images=_as_uint8_rgb(images, "digits"),
                   train_labels=digits.target.astype(numpy.int64), class_names=_class_names(10),
                   natural=False)


def read_npz(path: Path, *, test: bool = False) -> RawData:
    """Keras' ``.npz`` layout: ``x_train``, ``y_train`` and optionally ``x_test``, ``y_test``
    (and ``classes``, the class names). Read without pickle; ``x_test`` and ``y_test`` are read
    (and checked) only when ``test`` is true. The class count comes from ``y_train``."""
    source = f"npz file {str(path)!r}"
    wanted = ("x_train", "y_train", "classes") + (("x_test", "y_test") if test else ())
    try:
        loaded = numpy.load(path, allow_pickle=False)
        if isinstance(loaded, numpy.lib.npyio.NpzFile):
            with loaded as archive:  # an archive reads an array only when it is indexed
                present = set(archive.files)
                arrays = {key: archive[key] for key in wanted if key in present}
    except FileNotFoundError:
        raise DataError(f"{source} must exist, but it was not found") from None
    except IsADirectoryError:
        raise DataError(f"{source} must be a file, but it is a directory") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as error:
        raise DataError(f"{source} must be a readable .npz archive, but reading failed: "
                        f"{str(error).splitlines()[0] if str(error) else type(error).__name__}"
                        ) from None
    if not isinstance(loaded, numpy.lib.npyio.NpzFile):
        raise DataError(f"{source} must be an .npz archive of named arrays, but it holds a "
                        f"single {type(loaded).__name__}")
    missing = [key for key in ("x_train", "y_train") if key not in present]
    if missing:
        raise DataError(f"{source} must hold x_train and y_train (Keras layout), but has "
                        f"{', '.join(sorted(present)) or 'no arrays'}")
    has_test = "x_test" in present
    if has_test != ("y_test" in present):
        raise DataError(f"{source} must hold both x_test and y_test or neither")
    train_images = _as_uint8_rgb(arrays["x_train"], f"{source} x_train")
    train_labels = _as_labels(arrays["y_train"], len(train_images), f"{source} y_train")
    count = 1 + int(train_labels.max())
    test_images = test_labels = None
    if test and has_test:
        test_images = _as_uint8_rgb(arrays["x_test"], f"{source} x_test")
        test_labels = _as_labels(arrays["y_test"], len(test_images), f"{source} y_test")
        if test_images.shape[1:] != train_images.shape[1:]:
            raise DataError(f"{source}: x_test images must have the shape of x_train's, "
                            f"{train_images.shape[1:]}, but got {test_images.shape[1:]}")
        _check_below(test_labels, count, f"{source} y_test", why=" (the classes of y_train)")
    names = _class_names(count)
    if "classes" in arrays and arrays["classes"].ndim == 1 and len(arrays["classes"]) == count:
        names = tuple(str(name) for name in arrays["classes"])
    return RawData(train_images=train_images, train_labels=train_labels,
                   test_images=test_images, test_labels=test_labels, has_test=has_test,
                   class_names=names, natural=has_colour(train_images))


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """Unpickles CIFAR batches (dicts of lists and numpy arrays) and refuses anything else."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _unpickle(path: Path) -> dict:
    try:
        data = path.read_bytes()
        document = _ArrayOnlyUnpickler(io.BytesIO(data), encoding="bytes").load()
    except FileNotFoundError:
        raise DataError(f"CIFAR file {str(path)!r} must exist, but it was not found") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, MemoryError, OSError) as error:
        raise DataError(f"CIFAR file {str(path)!r} must be an intact python-pickle batch, "
                        f"but it is truncated or corrupt ({type(error).__name__})") from None
    if not isinstance(document, dict):
        raise DataError(f"CIFAR file {str(path)!r} must hold a dict, "
                        f"but got {type(document).__name__}")
    return {key.decode() if isinstance(key, bytes) else key: value
            for key, value in document.items()}


def _cifar_batch(path: Path, label_key: str) -> tuple[numpy.ndarray, numpy.ndarray]:
    document = _unpickle(path)
    if "data" not in document or label_key not in document:
        raise DataError(f"CIFAR file {str(path)!r} must hold 'data' and {label_key!r}, "
                        f"but has {', '.join(map(str, document))}")
    data = numpy.asarray(document["data"])
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or data.dtype != numpy.uint8:
        raise DataError(f"CIFAR file {str(path)!r}: data must be uint8 of shape (N, 3072), "
                        f"but got {data.dtype} {data.shape}")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return numpy.ascontiguousarray(images), _as_labels(numpy.asarray(document[label_key]),
                                                       len(images), str(path))


def read_cifar(directory: Path, *, classes: int, test: bool = False) -> RawData:
    """CIFAR-10 (``data_batch_1..5``, ``test_batch``) or CIFAR-100 (``train``, ``test``) python
    pickle batches, in ``directory`` or its ``cifar-10-batches-py`` / ``cifar-100-python``. The
    test batch is unpickled (and checked) only when ``test`` is true."""
    name = f"cifar{classes}"
    if not directory.is_dir():
        state = "is a file" if directory.exists() else "does not exist"
        raise DataError(f"{name}: {str(directory)!r} must be a directory of python-pickle "
                        f"batches, but it {state}")
    inner = directory / ("cifar-10-batches-py" if classes == 10 else "cifar-100-python")
    if inner.is_dir():
        directory = inner
    if classes == 10:
        train_files = sorted(directory.glob("data_batch_*"))
        test_files = [directory / "test_batch"]
        label_key, meta_file, meta_key = "labels", "batches.meta", "label_names"
    else:
        train_files, test_files = [directory / "train"], [directory / "test"]
        label_key, meta_file, meta_key = "fine_labels", "meta", "fine_label_names"
    if not train_files or not train_files[0].exists():
        expected = "data_batch_1 … data_batch_5" if classes == 10 else "train"
        raise DataError(f"{name}: {str(directory)!r} must contain {expected}, but it does not")
    parts = [_cifar_batch(path, label_key) for path in train_files]
    train_images = numpy.concatenate([images for images, _ in parts])
    train_labels = numpy.concatenate([labels for _, labels in parts])
    _check_below(train_labels, classes, name)
    has_test = test_files[0].exists()
    test_images = test_labels = None
    if test and has_test:
        test_images, test_labels = _cifar_batch(test_files[0], label_key)
        _check_below(test_labels, classes, name)
    names = _class_names(classes)
    if (directory / meta_file).exists():
        meta = _unpickle(directory / meta_file).get(meta_key)
        if isinstance(meta, list) and len(meta) == classes:
            names = tuple(v.decode() if isinstance(v, bytes) else str(v) for v in meta)
    return RawData(train_images=train_images, train_labels=train_labels,
                   test_images=test_images, test_labels=test_labels, has_test=has_test,
                   class_names=names, natural=has_colour(train_images))


def read_folder(directory: Path, *, resolution: int) -> RawData:
    """Every image of a folder (either layout of :func:`nas.data.list_folder`; ``val/`` becomes
    the test split), centre-cropped to a square and resized to ``resolution`` pixels, in
    memory. An unreadable image is a DataError naming it. (``load_data`` does not hold a
    folder in memory; this is for callers that want the arrays.)"""
    from nas.data._folder import UNREADABLE, decode_image, list_folder

    listing = list_folder(directory)

    def decode(part) -> numpy.ndarray:
        images = []
        for relative in part.files:
            try:
                images.append(decode_image(part.root / relative, resolution))
            except UNREADABLE as error:
                raise DataError(f"folder: image {str(part.root / relative)!r} must be readable "
                                f"by Pillow, but got {type(error).__name__}") from None
        return numpy.stack(images)

    stacked = decode(listing.pool)
    test = listing.test
    return RawData(train_images=stacked, train_labels=listing.pool.labels,
                   test_images=decode(test) if test else None,
                   test_labels=test.labels if test else None, has_test=test is not None,
                   class_names=listing.class_names, natural=has_colour(stacked))
