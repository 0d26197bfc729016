"""Image folders: list the files (nothing decoded), and decode one image to a square.

Two layouts are read:

- ``DIR/<class>/<image>`` — one sub-folder per class; the split rules of
  :func:`nas.data.load_data` carve test and validation images out of it.
- ``DIR/train/<class>/<image>`` and ``DIR/val/<class>/<image>`` (ImageNet's layout) — ``train/``
  is the training pool and ``val/`` the source's own test split (like CIFAR's test batch);
  validation is carved out of ``train/``. The classes are ``train/``'s sub-folders.

Listing stats every file (name, size, modification time) and decodes none; the digest of that
listing keys the decode cache, so a changed folder is noticed. Decoding is Pillow's, at reduced
size where the codec allows (JPEG's DCT scaling, ``Image.draft``): a 256 px JPEG decoded for a
32 px proxy is decoded at 1/8 scale instead of in full.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy

from nas._errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm")
SPLIT_FOLDERS = ("train", "val")


@dataclass(frozen=True, eq=False)
class FolderPart:
    """The images of one part of a folder (its training pool, or its ``val/`` test split).

    Attributes:
        root: the directory whose class sub-folders hold the images.
        files: paths relative to ``root``, class by class, sorted within a class.
        labels: int64 (N,), the class index of each file.
        digest: sha256 (hex) of the listing: relative paths, sizes and modification times.
    """

    root: Path
    files: tuple[str, ...]
    labels: numpy.ndarray
    digest: str

    def __len__(self) -> int:
        return len(self.files)


@dataclass(frozen=True, eq=False)
class FolderListing:
    """A listed image folder: its classes, its training pool, and its ``val/`` part if any."""

    directory: Path
    class_names: tuple[str, ...]
    pool: FolderPart
    test: FolderPart | None


def _images_of(sub: Path) -> list[Path]:
    return sorted(p for p in sub.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _classes(directory: Path) -> list[tuple[str, list[Path]]]:
    return [(sub.name, files) for sub in sorted(p for p in directory.iterdir() if p.is_dir())
            if (files := _images_of(sub))]


def _part(root: Path, classes: list[tuple[str, list[Path]]],
          names: tuple[str, ...]) -> FolderPart:
    index = {name: label for label, name in enumerate(names)}
    files, labels = [], []
    digest = hashlib.sha256()
    for name, paths in classes:
        for path in paths:
            relative = str(path.relative_to(root))
            status = path.stat()
            digest.update(f"{relative}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
            files.append(relative)
            labels.append(index[name])
    return FolderPart(root=root, files=tuple(files), labels=numpy.asarray(labels,
                                                                          dtype=numpy.int64),
                      digest=digest.hexdigest())


def list_folder(directory: str | os.PathLike) -> FolderListing:
    """List an image folder in either layout (see the module); nothing is decoded. Raises
    DataError when it is missing, has fewer than 2 classes holding images, or its ``val/``
    names a class ``train/`` lacks."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"folder: {str(directory)!r} must be a directory with one sub-folder per "
                        f"class, but it {'is a file' if directory.exists() else 'does not exist'}")
    train, val = (directory / name for name in SPLIT_FOLDERS)
    split_layout = train.is_dir() and val.is_dir()
    root = train if split_layout else directory
    classes = _classes(root)
    if len(classes) < 2:
        where = f"{str(root)!r}" + (" (the train/ part)" if split_layout else "")
        raise DataError(f"folder: {where} must have at least 2 class sub-folders holding images "
                        f"({', '.join(IMAGE_SUFFIXES)}), but got {len(classes)}")
    names = tuple(name for name, _ in classes)
    test = None
    if split_layout:
        test_classes = _classes(val)
        unknown = sorted(set(name for name, _ in test_classes) - set(names))
        if unknown:
            raise DataError(f"folder: every class of {str(val)!r} must also be a class of "
                            f"{str(train)!r}, but {', '.join(unknown[:3])} is not")
        if test_classes:
            test = _part(val, test_classes, names)
    return FolderListing(directory=directory, class_names=names, pool=_part(root, classes, names),
                         test=test)


def decode_image(path: str | os.PathLike, resolution: int) -> numpy.ndarray:
    """uint8 (R, R, 3): the image's centre square, resized to ``resolution`` pixels (bicubic),
    decoded at the smallest size the codec offers that still covers R pixels. Raises
    Pillow's and the file system's errors (``UnidentifiedImageError``, ``OSError``,
    ``ValueError``) for an unreadable file."""
    from PIL import Image

    try:
        return _decode(Image, path, resolution)
    except Image.DecompressionBombError as error:  # not an OSError: report it as unreadable
        raise ValueError(str(error)) from None


def _decode(Image, path, resolution: int) -> numpy.ndarray:
    with Image.open(path) as image:
        side = min(image.size)
        if side > resolution and image.format == "JPEG":
            scale = resolution / side  # ask for the covering size; draft never goes below it
            image.draft("RGB", (max(resolution, int(image.width * scale + 0.999)),
                                max(resolution, int(image.height * scale + 0.999))))
        image = image.convert("RGB")
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        image = image.crop((left, top, left + side, top + side))
        if image.size != (resolution, resolution):
            image = image.resize((resolution, resolution), Image.Resampling.BICUBIC)
        return numpy.asarray(image, dtype=numpy.uint8)


UNREADABLE = (OSError, ValueError)
"""What :func:`decode_image` raises for an unreadable file (Pillow's UnidentifiedImageError is an
OSError)."""
