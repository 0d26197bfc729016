"""Image data: parse a ``--data`` spec, split into three roles, resize what is kept.

The roles: a training split; a validation split carved from the training pool by ``seed`` (never
trained on; the search selects on it); and a held-out test split that the search and scaling
never look at. Images are uint8 (N, 3, R, R) at the resolution R: tensors in memory for the
array sources (digits, npz, CIFAR), :class:`~nas.data.DiskImages` read from the decode cache for
folders (each image decoded once per resolution; only the files a split keeps are decoded).
Batches come out as normalised float32 tensors (per-channel mean/std of the training split).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy
import torch
import torch.nn.functional as F

from nas._errors import DataError
from nas.data._cache import DECODED, DecodeCache, DiskImages
from nas.data._folder import list_folder
from nas.data._sources import RawData, read_cifar, read_digits, read_folder, read_npz
from nas.data._spec import DataSpec, parse_data_spec

TEST_FRACTION = 0.2
"""Share of a source's training images held out as its test split when it has none of its own."""
TEST_SEED = 20240611
"""Fixes that hold-out, independently of the split seed, so it is the same in every run."""


@dataclass(frozen=True, eq=False)
class ImageData:
    """Train / validation (and, when loaded with ``test=True``, test) splits at one resolution,
    ready to batch: each split is (uint8 images (N, 3, R, R), int64 labels (N,)). The images
    are a tensor, or for folders a :class:`~nas.data.DiskImages` (indexing either with an
    integer tensor or a slice gives a uint8 tensor (B, 3, R, R)). ``skipped`` names the
    unreadable images left out of the splits (folders only; relative to the folder)."""

    name: str
    resolution: int
    num_classes: int
    class_names: tuple[str, ...]
    natural: bool
    train: tuple[torch.Tensor | DiskImages, torch.Tensor]
    validation: tuple[torch.Tensor | DiskImages, torch.Tensor]
    test: tuple[torch.Tensor | DiskImages, torch.Tensor] | None
    mean: torch.Tensor = field(repr=False)
    std: torch.Tensor = field(repr=False)
    skipped: tuple[str, ...] = field(default=(), repr=False)

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (B, 3, R, R) -> float32, per-channel standardised with training statistics."""
        return (images.float() - self.mean.to(images.device)) / self.std.to(images.device)


def _resize(images: numpy.ndarray, resolution: int) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> uint8 tensor (N, 3, R, R): bilinear, antialiased when shrinking."""
    tensor = torch.from_numpy(images).permute(0, 3, 1, 2)
    if tensor.shape[-2:] == (resolution, resolution):
        return tensor.contiguous()
    out = []
    for chunk in tensor.split(2048):
        resized = F.interpolate(chunk.float(), size=(resolution, resolution), mode="bilinear",
                                antialias=chunk.shape[-1] > resolution, align_corners=False)
        out.append(resized.round_().clamp_(0, 255).to(torch.uint8))
    return torch.cat(out).contiguous()


def _split(labels: numpy.ndarray, held_out: int | float,
           seed: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Stratified (when every class has 2 images) split of the indices; ``held_out`` is a
    fraction or a count of the second part."""
    from sklearn.model_selection import train_test_split

    indices = numpy.arange(len(labels))
    counts = numpy.bincount(labels)
    stratify = labels if counts[counts > 0].min() >= 2 else None
    try:
        first, second = train_test_split(indices, test_size=held_out, random_state=seed,
                                         stratify=stratify)
    except ValueError as error:
        classes = int((counts > 0).sum())
        raise DataError(f"each split must hold at least one image of each of the {classes} "
                        f"classes, but {len(labels)} images split by {held_out!r} cannot "
                        f"({str(error).splitlines()[0]})") from None
    return numpy.sort(first), numpy.sort(second)


def _chunks(images, size: int = 1024):
    for start in range(0, len(images), size):
        yield images[start:start + size]


def _roles(labels: numpy.ndarray, *, has_test: bool, validation_fraction: float,
           train_size: int | None, seed: int):
    """Indices of the training, validation and test-hold-out images (None when the source has
    its own test split), by the rules of :func:`load_data`."""
    pool = numpy.arange(len(labels))
    held_out = None
    if not has_test:
        pool, held_out = _split(labels, TEST_FRACTION, TEST_SEED)
    train_part, validation_part = _split(labels[pool], validation_fraction, seed)
    train_index, validation_index = pool[train_part], pool[validation_part]
    if train_size is not None and train_size < len(train_index):
        _, keep = _split(labels[train_index], train_size, seed)
        train_index = train_index[keep]
    return train_index, validation_index, held_out


def _channel_statistics(images) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std of uint8 images (N, 3, R, R), in chunks (no float copy)."""
    total = torch.zeros(3, dtype=torch.float64)
    squares = torch.zeros(3, dtype=torch.float64)
    for chunk in _chunks(images):
        values = chunk.to(torch.float64)
        total += values.sum(dim=(0, 2, 3))
        squares += values.pow(2).sum(dim=(0, 2, 3))
    count = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / count
    std = (squares / count - mean ** 2).clamp_min(0).sqrt().clamp_min(1.0)
    return mean.float().view(1, 3, 1, 1), std.float().view(1, 3, 1, 1)


STATISTICS_IMAGES = 1024
"""Folders with more training images estimate the channel statistics (and colour) on a fixed
sample of this many (seeded by the split seed) instead of reading them all: over a million
pixels per channel at any resolution, and a warm load of a large folder does not read every
image."""


def _has_colour(images) -> bool:
    """Whether some image of uint8 (N, 3, R, R) has pixels whose three channels differ."""
    for chunk in _chunks(images):
        if not (torch.equal(chunk[:, 0], chunk[:, 1]) and torch.equal(chunk[:, 1], chunk[:, 2])):
            return True
    return False


def _load_folder(spec: DataSpec, *, resolution: int, seed: int, validation_fraction: float,
                 train_size: int | None, test: bool, strict: bool,
                 progress: bool) -> ImageData:
    """A folder: split the listing by labels, then decode only the kept files (once per
    resolution, into the decode cache); unreadable files are left out and named in
    ``skipped``, or with ``strict`` the first is a DataError."""
    listing = list_folder(Path(spec.path))
    labels = listing.pool.labels
    _check_counts(spec, labels, len(listing.class_names))
    train_index, validation_index, held_out = _roles(
        labels, has_test=listing.test is not None, validation_fraction=validation_fraction,
        train_size=train_size, seed=seed)
    cache = DecodeCache(listing.pool, name="pool", resolution=resolution)
    wanted = [train_index, validation_index] + ([held_out] if test and held_out is not None
                                                else [])
    state = numpy.zeros(len(labels), dtype=numpy.uint8)
    needed = numpy.concatenate(wanted)
    state[needed] = cache.ensure(needed, strict=strict, progress=progress)
    skipped = [listing.pool.files[row] for row in needed if state[row] != DECODED]

    def split(rows):
        rows = rows[state[rows] == DECODED]
        return cache.images(rows), torch.from_numpy(labels[rows])

    train_split, validation_split = split(train_index), split(validation_index)
    test_split = None
    if test and held_out is not None:
        test_split = split(held_out)
    elif test and listing.test is not None:
        test_cache = DecodeCache(listing.test, name="val", resolution=resolution)
        rows = numpy.arange(len(listing.test))
        test_state = test_cache.ensure(rows, strict=strict, progress=progress)
        skipped += [str(Path("..", "val", listing.test.files[row]))
                    for row in rows[test_state != DECODED]]
        rows = rows[test_state == DECODED]
        test_split = (test_cache.images(rows), torch.from_numpy(listing.test.labels[rows]))
    train_images = train_split[0]
    sample = train_images
    if len(train_images) > STATISTICS_IMAGES:
        chosen = numpy.sort(numpy.random.default_rng(seed).choice(
            len(train_images), STATISTICS_IMAGES, replace=False))
        sample = cache.images(train_images.rows[chosen])
    mean, std = _channel_statistics(sample)
    return ImageData(
        name=str(spec), resolution=resolution, num_classes=len(listing.class_names),
        class_names=listing.class_names, natural=_has_colour(sample),
        train=train_split, validation=validation_split, test=test_split, mean=mean, std=std,
        skipped=tuple(skipped))


def _check_counts(spec: DataSpec, labels: numpy.ndarray, num_classes: int) -> None:
    present = numpy.unique(labels)
    if len(present) < 2:
        raise DataError(f"data {spec}: training images must cover at least 2 classes, "
                        f"but got {len(present)}")
    if len(labels) < 2 * num_classes:
        raise DataError(f"data {spec}: must have at least 2 training images per class "
                        f"({2 * num_classes}), but got {len(labels)}")


def read_raw(spec: DataSpec, *, resolution: int, test: bool = False) -> RawData:
    """Read the source named by ``spec`` (folders are resized to ``resolution`` while read); the
    source's own test split is read only when ``test`` is true."""
    if spec.kind == "digits":
        return read_digits()
    path = Path(spec.path)
    if spec.kind == "npz":
        return read_npz(path, test=test)
    if spec.kind == "folder":
        return read_folder(path, resolution=resolution)
    return read_cifar(path, classes=10 if spec.kind == "cifar10" else 100, test=test)


def load_data(spec: DataSpec | str, *, resolution: int = 32, seed: int = 0,
              validation_fraction: float = 0.2, train_size: int | None = None,
              test: bool = False, strict: bool = False, progress: bool = True) -> ImageData:
    """Load the source, split it into three roles and resize the kept images to
    ``resolution``×``resolution`` pixels.

    - test: held out from everything the search and scaling see. The source's own test split
      (npz ``x_test``/``y_test``, CIFAR ``test_batch``/``test``) when it has one; otherwise a
      fixed stratified hold-out of :data:`TEST_FRACTION` of the source's training images, chosen
      by :data:`TEST_SEED` (the same for every ``seed``). That hold-out is always removed from
      the training pool; the test images are read and returned only when ``test`` is true
      (otherwise ``ImageData.test`` is None and a source's own test arrays are not read).
    - validation: a stratified ``validation_fraction`` of the remaining pool, chosen by
      ``seed``; never trained on.
    - train: the rest, or a stratified subset of ``train_size`` images of it (for fast
      proxies), chosen by ``seed``.

    Only the kept images are resized (bilinear, antialiased when shrinking). Folders
    (``folder:DIR``) are split on their file listing and only the kept files are decoded, once
    per resolution, into the decode cache (``nas.data.cache_root()``); their images stay on
    disk (:class:`DiskImages`). A folder with ``train/`` and ``val/`` sub-folders uses ``val/``
    as its own test split. Unreadable images are left out and named in ``ImageData.skipped``;
    with ``strict`` the first one is a DataError. ``progress`` shows a bar while a folder is
    decoded (1,000 images or more).
    """
    spec = parse_data_spec(spec) if isinstance(spec, str) else spec
    if not 0 < validation_fraction < 1:
        raise DataError(f"validation fraction must be in (0, 1), but got {validation_fraction}")
    if spec.kind == "folder":
        return _load_folder(spec, resolution=resolution, seed=seed,
                            validation_fraction=validation_fraction, train_size=train_size,
                            test=test, strict=strict, progress=progress)
    raw = read_raw(spec, resolution=resolution, test=test)
    labels = raw.train_labels
    num_classes = len(raw.class_names)
    _check_counts(spec, labels, num_classes)
    train_index, validation_index, held_out = _roles(
        labels, has_test=raw.has_test, validation_fraction=validation_fraction,
        train_size=train_size, seed=seed)
    train_images = _resize(raw.train_images[train_index], resolution)
    mean, std = _channel_statistics(train_images)
    test_split = None
    if test:
        if held_out is None:
            test_split = (_resize(raw.test_images, resolution), torch.from_numpy(raw.test_labels))
        else:
            test_split = (_resize(raw.train_images[held_out], resolution),
                          torch.from_numpy(labels[held_out]))
    return ImageData(
        name=str(spec), resolution=resolution, num_classes=num_classes,
        class_names=raw.class_names, natural=raw.natural,
        train=(train_images, torch.from_numpy(labels[train_index])),
        validation=(_resize(raw.train_images[validation_index], resolution),
                    torch.from_numpy(labels[validation_index])),
        test=test_split, mean=mean, std=std)
