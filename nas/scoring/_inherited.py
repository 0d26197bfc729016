"""Scoring a candidate with weights inherited from a supernet: extract its subnet as an ordinary
network, recalibrate its batch-norm statistics on a few training images, evaluate it on the
validation split. No training: a candidate costs a few forward passes."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from nas._checks import check_int
from nas.arch import Arch
from nas.data import ImageData
from nas.model import fold_batch_norm
from nas.scoring._options import CALIBRATION_IMAGES
from nas.train import resolve_device

CALIBRATION_BATCH_SIZE = 256
"""Images per calibration batch. Each batch norm's running statistics become the average of
its per-batch means and variances, so the batch size is part of the protocol (with more
calibration images than one batch). 256 rather than 64: recalibrating a tiny-space subnet on
512 digits at 16 px took 0.058 s instead of 0.10 s (one thread), with the validation accuracy
unchanged to 0.4 pp."""


def _batches(images: torch.Tensor, size: int):
    """Batches of ``size``; a last batch of one image joins the one before (batch norm in
    training mode cannot normalise a single value per channel on a 1x1 map)."""
    starts = list(range(0, len(images), size))
    if len(starts) > 1 and len(images) - starts[-1] == 1:
        starts.pop()
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(images)
        yield images[start:end]


@torch.no_grad()
def recalibrate_batch_norm(model: nn.Module, data: ImageData, *,
                           images: int = CALIBRATION_IMAGES,
                           batch_size: int = CALIBRATION_BATCH_SIZE,
                           seed: int = 0, device: str = "cpu") -> nn.Module:
    """Replace every batch norm's running statistics of ``model`` by their exact average over
    ``images`` training images (the first of a permutation of the training split drawn with
    ``seed``; normalised, not augmented), in batches of ``batch_size``. Everything but batch
    norm runs in eval mode (no dropout, no stochastic depth). Returns ``model`` in eval mode."""
    model.eval()
    norms = [module for module in model.modules() if isinstance(module, nn.BatchNorm2d)]
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over the calibration batches
        norm.train()
    train_images, _ = data.train
    order = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(seed))
    chosen = train_images[order[:min(images, len(train_images))]]
    target = resolve_device(device)
    for batch in _batches(chosen, batch_size):
        model(data.normalise(batch.to(target)))
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum
    return model.eval()


@dataclass(frozen=True)
class Evaluation:
    """A network's predictions on a split, summarised."""

    accuracy: float
    """Top-1 accuracy in [0, 1]."""
    loss: float
    """Mean cross-entropy (nats per image, no label smoothing)."""
    correct_probability: float
    """Mean softmax probability of the true class, in [0, 1]: an accuracy without the 0/1
    threshold, so it varies less with the particular images."""


@torch.no_grad()
def evaluate(model: nn.Module, data: ImageData, *, device: str = "cpu",
             split: str = "validation", images: int | None = None) -> Evaluation:
    """Accuracy, loss and true-class probability of ``model`` (eval mode) on ``split`` (its
    first ``images`` images; None: all), in batches of 256."""
    model.eval()
    count = None if images is None else check_int("evaluation images", images, minimum=1)
    images, labels = (part[:count] for part in getattr(data, split))
    target = resolve_device(device)
    correct, loss, probability = 0, 0.0, 0.0
    for start in range(0, len(labels), 256):
        logits = model(data.normalise(images[start:start + 256].to(target))).float().cpu()
        truth = labels[start:start + 256]
        log_probabilities = logits.log_softmax(1).gather(1, truth[:, None])[:, 0]
        correct += int((logits.argmax(1) == truth).sum())
        loss -= float(log_probabilities.sum())
        probability += float(log_probabilities.exp().sum())
    count = max(1, len(labels))
    return Evaluation(accuracy=correct / count, loss=loss / count,
                      correct_probability=probability / count)


def evaluate_accuracy(model: nn.Module, data: ImageData, *, device: str = "cpu",
                      split: str = "validation") -> float:
    """Top-1 accuracy in [0, 1] of ``model`` (eval mode) on ``split``."""
    return evaluate(model, data, device=device, split=split).accuracy


@dataclass(frozen=True)
class InheritedScore:
    accuracy: float
    """Validation top-1 accuracy in [0, 1] of the subnet with inherited weights."""
    loss: float
    """Its mean validation cross-entropy (nats per image)."""
    correct_probability: float
    """Its mean softmax probability of the true class on the validation split, in [0, 1]."""
    proxy_params: int
    """Parameters of the extracted subnet (the proxy network)."""
    seconds: float
    """Wall-clock seconds of extraction, recalibration and evaluation."""
    cpu_seconds: float
    """CPU seconds of this process for the same (all threads)."""


def score_inherited(supernet, target: Arch, data: ImageData, *, seed: int = 0,
                    calibration_images: int = CALIBRATION_IMAGES,
                    validation_images: int | None = None, device: str = "cpu",
                    threads: int | None = None, channels_last: bool = True) -> InheritedScore:
    """Score ``target`` (an architecture at the space's target) with the weights it inherits
    from ``supernet`` (a :class:`nas.scoring.Supernet`): its proxy subnet is extracted,
    batch norm recalibrated on ``calibration_images`` training images drawn with ``seed``, and
    the validation accuracy measured on the first ``validation_images`` images of the validation
    split (None: all; batch norm folded into the convolutions, which gives the same outputs
    faster: :func:`nas.model.fold_batch_norm`). ``data`` must be the supernet's
    data at its resolution (the split the supernet was trained on: its validation images were
    never trained on).
    ``threads``: torch intra-op threads (None keeps torch's setting); ``channels_last``: run
    in NHWC (about twice as fast on CPU)."""
    if threads is not None:
        torch.set_num_threads(threads)
    wall, cpu = time.perf_counter(), time.process_time()
    model = supernet.extract(supernet.geometry.proxy(target)).to(
        resolve_device(device),
        memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    params = sum(p.numel() for p in model.parameters())  # before folding removes batch norm
    recalibrate_batch_norm(model, data, images=calibration_images, seed=seed, device=device)
    result = evaluate(fold_batch_norm(model), data, device=device, images=validation_images)
    return InheritedScore(accuracy=result.accuracy, loss=result.loss,
                          correct_probability=result.correct_probability, proxy_params=params,
                          seconds=round(time.perf_counter() - wall, 4),
                          cpu_seconds=round(time.process_time() - cpu, 4))


def inherited_subnet(file, target: Arch, *, calibration_images: int = CALIBRATION_IMAGES,
                     seed: int = 0, device: str = "cpu") -> tuple[Arch, nn.Module]:
    """``target``'s subnet of a loaded supernet file (:class:`nas.scoring.SupernetFile`) as a
    network with the weights it inherits, batch norm recalibrated on ``calibration_images``
    training images of the supernet's data (drawn with ``seed``); returns (the subnet's
    architecture: the proxy geometry of ``target``, the network in eval mode)."""
    from nas.scoring._data import get_data

    data = get_data(file.proxy, resolution=file.proxy.resolution, seed=file.seed)
    arch = file.supernet.geometry.proxy(target)
    model = file.supernet.extract(arch).to(resolve_device(device))
    recalibrate_batch_norm(model, data, images=calibration_images, seed=seed, device=device)
    return arch, model


def write_subnet_checkpoint(file, target: Arch, path, **options) -> Arch:
    """Write ``target``'s subnet with inherited weights (:func:`inherited_subnet`, which takes
    ``options``) as a checkpoint in ``nas train``'s format (``arch``, ``state_dict``; read with
    ``weights_only=True``), atomically: ``nas export`` and ``nas train`` take it as an
    architecture, ``nas train --init`` as starting weights. Returns the subnet's
    architecture."""
    import io

    from nas._files import atomic_write
    from nas.arch import to_dict

    arch, model = inherited_subnet(file, target, **options)
    buffer = io.BytesIO()
    torch.save({"arch": to_dict(arch),
                "state_dict": {key: value.cpu() for key, value in model.state_dict().items()},
                "supernet": {"file": str(file.path), "sha256": file.fingerprint}}, buffer)
    atomic_write(path, buffer.getvalue())
    return arch
