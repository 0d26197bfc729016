"""In-memory image data: parse a ``--data`` spec, resize once, split by seed, batch and augment.

Images are held as uint8 tensors (N, 3, R, R) at the proxy resolution R; batches come out as
normalised float32 tensors (per-channel mean/std of the training split).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy
import torch
import torch.nn.functional as F

from nas._errors import DataError
from nas.data._sources import RawData, read_cifar, read_digits, read_folder, read_npz
from nas.data._spec import DataSpec, parse_data_spec

@dataclass(frozen=True, eq=False)
class ImageData:
    """Train / validation (and optional test) splits at one resolution, ready to batch."""

    name: str
    resolution: int
    num_classes: int
    class_names: tuple[str, ...]
    natural: bool
    train: tuple[torch.Tensor, torch.Tensor]
    validation: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor] | None
    mean: torch.Tensor = field(repr=False)
    std: torch.Tensor = field(repr=False)

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


def _channel_statistics(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std of uint8 images (N, 3, R, R), in chunks (no float copy)."""
    total = torch.zeros(3, dtype=torch.float64)
    squares = torch.zeros(3, dtype=torch.float64)
    for chunk in images.split(1024):
        values = chunk.to(torch.float64)
        total += values.sum(dim=(0, 2, 3))
        squares += values.pow(2).sum(dim=(0, 2, 3))
    count = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / count
    std = (squares / count - mean ** 2).clamp_min(0).sqrt().clamp_min(1.0)
    return mean.float().view(1, 3, 1, 1), std.float().view(1, 3, 1, 1)


def read_raw(spec: DataSpec, *, resolution: int) -> RawData:
    """Read the source named by ``spec`` (folders are resized to ``resolution`` while read)."""
    if spec.kind == "digits":
        return read_digits()
    path = Path(spec.path)
    if spec.kind == "npz":
        return read_npz(path)
    if spec.kind == "folder":
        return read_folder(path, resolution=resolution)
    return read_cifar(path, classes=10 if spec.kind == "cifar10" else 100)


def load_data(spec: DataSpec | str, *, resolution: int = 32, seed: int = 0,
              validation_fraction: float = 0.2, train_size: int | None = None) -> ImageData:
    """Load, resize to ``resolution``×``resolution`` and split (stratified, by ``seed``).

    The validation split is carved out of the training images and is never trained on; a
    source's own test split (npz ``x_test``, CIFAR ``test_batch``) is kept apart as ``test``.
    ``train_size`` keeps a stratified subset of that many training images (for fast proxies).
    """
    spec = parse_data_spec(spec) if isinstance(spec, str) else spec
    if not 0 < validation_fraction < 1:
        raise DataError(f"validation fraction must be in (0, 1), but got {validation_fraction}")
    raw = read_raw(spec, resolution=resolution)
    labels = raw.train_labels
    num_classes = len(raw.class_names)
    present = numpy.unique(labels)
    if len(present) < 2:
        raise DataError(f"data {spec}: training images must cover at least 2 classes, "
                        f"but got {len(present)}")
    if len(labels) < 2 * num_classes:
        raise DataError(f"data {spec}: must have at least 2 training images per class "
                        f"({2 * num_classes}), but got {len(labels)}")
    train_index, validation_index = _split(labels, validation_fraction, seed)
    if train_size is not None and train_size < len(train_index):
        _, keep = _split(labels[train_index], train_size, seed)
        train_index = train_index[keep]
    images = _resize(raw.train_images, resolution)
    train_images = images[torch.from_numpy(train_index)]
    labels_tensor = torch.from_numpy(labels)
    mean, std = _channel_statistics(train_images)
    test = None
    if raw.test_images is not None:
        test = (_resize(raw.test_images, resolution), torch.from_numpy(raw.test_labels))
    return ImageData(
        name=str(spec), resolution=resolution, num_classes=num_classes,
        class_names=raw.class_names, natural=raw.natural,
        train=(train_images, labels_tensor[torch.from_numpy(train_index)]),
        validation=(images[torch.from_numpy(validation_index)],
                    labels_tensor[torch.from_numpy(validation_index)]),
        test=test, mean=mean, std=std)
