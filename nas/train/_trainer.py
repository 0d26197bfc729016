"""The training loop: one :class:`Trainer` owns model, optimiser, schedule and scaler.

Time spent in forward / backward / optimiser step is measured separately from everything else
(batching, augmentation, evaluation, bookkeeping), so overhead can be reported. The loss stays on
the device during an epoch (no per-step host synchronisation); it is read, and checked for NaN
or inf, once per epoch.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
import torch.utils.data
from torch import nn

from nas._errors import ConfigError
from nas.data import ImageData, augment
from nas.train._config import TrainConfig
from nas.train._distributed import World
from nas.train._recipe import (
    BatchAugmentation, RMSpropTF, centre_crop, exponential_moving_average,
)


class TrainingError(RuntimeError):
    """Training could not go on (e.g. the loss became NaN); the message says why."""


@dataclass
class EpochResult:
    epoch: int
    """1-based epoch number."""
    train_loss: float
    validation_accuracy: float
    """Top-1 accuracy on the validation split, in [0, 1]."""
    seconds: float


@dataclass
class Timing:
    compute_seconds: float = 0.0
    """Forward, backward and optimiser step, in seconds (on CUDA measured with CUDA events, so
    it is the device's time for that work, not the time to queue it)."""
    total_seconds: float = 0.0
    """Wall-clock seconds of the whole fit, evaluation included."""
    images: int = 0
    """Training images processed."""


@dataclass
class FitResult:
    history: list[EpochResult] = field(default_factory=list)
    timing: Timing = field(default_factory=Timing)

    @property
    def accuracy(self) -> float:
        """Validation accuracy after the last epoch."""
        return self.history[-1].validation_accuracy


def resolve_device(name: str) -> torch.device:
    """``cpu``/``cuda``/``cuda:N`` -> torch.device, with a clear error if CUDA is absent."""
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device must be available, but got {name!r} and torch sees no "
                          f"CUDA device (use --device cpu)")
    return torch.device(name)


def _parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    decay, no_decay = [], []
    for parameter in model.parameters():
        if parameter.requires_grad:
            (decay if parameter.ndim > 1 else no_decay).append(parameter)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


def _make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    groups = _parameter_groups(model, config.weight_decay)
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=config.learning_rate, momentum=config.momentum,
                               nesterov=config.momentum > 0)
    if config.optimizer == "rmsprop_tf":
        return RMSpropTF(groups, lr=config.learning_rate, alpha=0.9, eps=1e-3,
                         momentum=config.momentum)
    return torch.optim.RMSprop(groups, lr=config.learning_rate, alpha=0.9, eps=1e-3,
                               momentum=config.momentum)


def _make_schedule(optimizer, config: TrainConfig, steps_per_epoch: int):
    total = config.epochs * steps_per_epoch
    if config.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.learning_rate,
                                                   total_steps=total)
    warmup = min(int(config.warmup_epochs * steps_per_epoch), total // 5)  # ≤ a fifth of training

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def flips(config: TrainConfig, data: ImageData) -> bool:
    """Whether training batches are flipped: only when augmenting, and then as ``config.flip``
    says, or (``None``) for colour photographs only (``data.natural``)."""
    if not config.augment:
        return False
    return data.natural if config.flip is None else config.flip


class _ComputeClock:
    """Adds up the seconds of timed sections without synchronising the host on each one: with
    perf_counter on CPU, with CUDA events (read once, in ``collect``) on CUDA."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"
        self.pending: list[tuple[torch.cuda.Event, torch.cuda.Event]] = []
        self.seconds = 0.0
        self._started: float | torch.cuda.Event = 0.0

    def start(self) -> None:
        if self.cuda:
            self._started = torch.cuda.Event(enable_timing=True)
            self._started.record()
        else:
            self._started = time.perf_counter()

    def stop(self) -> None:
        if self.cuda:
            end = torch.cuda.Event(enable_timing=True)
            end.record()
            self.pending.append((self._started, end))
        else:
            self.seconds += time.perf_counter() - self._started

    def collect(self) -> float:
        """Seconds timed so far (waits for the device to finish the timed work)."""
        if self.pending:
            self.pending[-1][1].synchronize()
            self.seconds += sum(start.elapsed_time(end) for start, end in self.pending) / 1000
            self.pending.clear()
        return self.seconds


class _IndexedBatches(torch.utils.data.Dataset):
    """(uint8 images (B, 3, R, R), labels (B,)) for an index tensor: what a loader worker
    reads (from memory, or from the decode cache for a folder's :class:`~nas.data.DiskImages`)."""

    def __init__(self, images, labels: torch.Tensor) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.labels[index]


def loader_workers_for(data: ImageData, device: torch.device | str) -> int:
    """The default number of loader worker processes: none for images in memory (indexing a
    tensor is cheaper than handing batches between processes) or on a CPU device (the cores
    train); on CUDA with images on disk, one per core up to 8, leaving one core to the
    training process."""
    device = torch.device(device)
    if isinstance(data.train[0], torch.Tensor) or device.type != "cuda":
        return 0
    return max(1, min(8, (os.cpu_count() or 2) - 1))


def steps_per_epoch(data: ImageData, batch_size: int, world_size: int = 1) -> int:
    """Optimiser steps per epoch of each of ``world_size`` processes (each sees its share)."""
    count = len(data.train[1]) // world_size
    return max(1, count // batch_size) if count >= batch_size else 1


class Trainer:
    """Trains ``model`` on ``ImageData`` with ``config``; state_dict() makes it resumable.

    ``loader_workers`` worker processes read the training batches ahead of the training step
    (a ``torch.utils.data.DataLoader`` over the epoch's batches, pinned memory on CUDA); None
    chooses :func:`loader_workers_for`. Batch order and augmentation are the trainer's alone
    (augmentation runs in this process, on the device), so a run is the same with any number of
    workers."""

    def __init__(self, model: nn.Module, config: TrainConfig, *, steps_per_epoch: int,
                 loader_workers: int | None = None, world: World = World()) -> None:
        self.config = config
        self.world = world
        if loader_workers is not None and (not isinstance(loader_workers, int)
                                           or loader_workers < 0):
            raise ConfigError(f"loader workers must be an integer >= 0, but got "
                              f"{loader_workers!r}")
        self.loader_workers = loader_workers
        self.device = resolve_device(config.device)
        if config.threads is not None:
            torch.set_num_threads(config.threads)
        self.memory_format = (torch.channels_last if config.channels_last
                              else torch.contiguous_format)
        self.model = model.to(self.device, memory_format=self.memory_format)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed input sizes: pick the fastest kernels
        self.network: nn.Module = self.model  # what training runs: DDP-wrapped with a world
        if world.size > 1:
            self.network = nn.parallel.DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.optimizer = _make_optimizer(self.model, config)
        self.schedule = _make_schedule(self.optimizer, config, steps_per_epoch)
        self.steps_per_epoch = steps_per_epoch
        self.loss_function = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
        self.amp_dtype = None
        if config.amp:
            self.amp_dtype = torch.float16 if self.device.type == "cuda" else torch.bfloat16
        self.scaler = torch.amp.GradScaler(self.device.type,
                                           enabled=self.amp_dtype == torch.float16)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.timing = Timing()
        self.ema = (exponential_moving_average(self.model, config.ema_decay)
                    if config.ema_decay is not None else None)
        self._augmentations: dict[tuple[int, bool], BatchAugmentation] = {}

    @property
    def evaluated_model(self) -> nn.Module:
        """What is evaluated and saved: the moving average of the weights when there is one,
        otherwise the model itself."""
        return self.ema.module if self.ema is not None else self.model

    def input_size(self, data: ImageData) -> int:
        """The side the network sees: the stored side times ``eval_crop`` (rounded)."""
        return int(round(data.resolution * self.config.eval_crop))

    def _recipe_batch(self, data: ImageData, images: torch.Tensor, flip: bool) -> torch.Tensor:
        """uint8 (B, 3, S, S) -> float (B, 3, R, R) through :class:`BatchAugmentation` on the
        device, back in [0, 255] for normalisation; ``flip`` as :func:`flips` decides."""
        key = (self.input_size(data), flip)
        if key not in self._augmentations:
            self._augmentations[key] = BatchAugmentation(
                key[0], random_resized_crop=self.config.augment and self.config.random_resized_crop,
                flip=self.config.augment and flip,
                policy=self.config.policy if self.config.augment else "none")
        scaled = images.to(self.device, non_blocking=True).float().div_(255)
        return self._augmentations[key](scaled).mul_(255)

    def autocast(self):
        """The mixed-precision context of this trainer (a no-op without amp)."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _prepare(self, data: ImageData, images: torch.Tensor) -> torch.Tensor:
        images = data.normalise(images.to(self.device, non_blocking=True))
        return images.contiguous(memory_format=self.memory_format)

    def batches(self, data: ImageData) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The epoch's training batches, (uint8 images (B, 3, R, R), labels (B,)), in an order
        drawn from the trainer's generator; read by the loader workers when there are any."""
        images, labels = data.train
        if self.world.size > 1:  # this process's share of the epoch, as DistributedSampler cuts it
            sampler = torch.utils.data.DistributedSampler(
                range(len(labels)), num_replicas=self.world.size, rank=self.world.rank,
                shuffle=True, seed=self.config.seed, drop_last=True)
            sampler.set_epoch(self.schedule.last_epoch // self.steps_per_epoch)
            order = torch.tensor(list(sampler), dtype=torch.int64)
        else:
            order = torch.randperm(len(labels), generator=self.generator)
        batch_size = min(self.config.batch_size, len(order))
        indices = [order[step * batch_size:(step + 1) * batch_size]
                   for step in range(self.steps_per_epoch)]
        workers = (self.loader_workers if self.loader_workers is not None
                   else loader_workers_for(data, self.device))
        if workers == 0:
            return ((images[index], labels[index]) for index in indices)
        loader = torch.utils.data.DataLoader(
            _IndexedBatches(images, labels), sampler=indices, batch_size=None,
            num_workers=workers, pin_memory=self.device.type == "cuda", prefetch_factor=4,
            generator=torch.Generator().manual_seed(0))  # not torch's global generator
        return iter(loader)

    def train_epoch(self, data: ImageData) -> float:
        """One pass over the training split (drops the last partial batch); returns the mean
        loss. Raises :class:`TrainingError` when the loss became NaN or inf during the epoch."""
        self.network.train()
        epoch = self.schedule.last_epoch // self.steps_per_epoch + 1
        flip = flips(self.config, data)
        clock = _ComputeClock(self.device)
        total_loss = torch.zeros((), dtype=torch.float32, device=self.device)
        for batch, targets in self.batches(data):
            if self.config.recipe_augmentation:
                batch = self._recipe_batch(data, batch, flip)
            elif self.config.augment:
                batch = augment(batch, flip=flip, generator=self.generator)
            batch = self._prepare(data, batch)
            targets = targets.to(self.device, non_blocking=True)
            clock.start()
            with self.autocast():
                loss = self.loss_function(self.network(batch), targets)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.schedule.step()
            if self.ema is not None:
                self.ema.update_parameters(self.model)
            total_loss += loss.detach().float()
            clock.stop()
            self.timing.images += len(targets)
        mean_loss = total_loss.item() / self.steps_per_epoch  # the epoch's one host sync
        self.timing.compute_seconds += clock.collect()
        if not math.isfinite(mean_loss):
            raise TrainingError(f"loss became {mean_loss} in epoch {epoch}; lower the learning "
                                f"rate or check the data")
        return mean_loss

    @torch.no_grad()
    def evaluate(self, data: ImageData, split: str = "validation") -> float:
        """Top-1 accuracy in [0, 1] on ``split`` (``validation`` or ``test``) of
        :attr:`evaluated_model` (the weights' moving average when there is one), on the central
        :meth:`input_size` pixels."""
        model = self.evaluated_model
        model.eval()
        images, labels = getattr(data, split)
        size = self.input_size(data)
        correct = 0
        for start in range(0, len(labels), 256):
            batch = images[start:start + 256]
            if size != data.resolution:
                batch = centre_crop(batch, size)
            batch = self._prepare(data, batch)
            with self.autocast():
                predictions = model(batch).argmax(1).cpu()
            correct += int((predictions == labels[start:start + 256]).sum())
        return correct / max(1, len(labels))

    def state_dict(self) -> dict:
        return {"optimizer": self.optimizer.state_dict(), "schedule": self.schedule.state_dict(),
                "scaler": self.scaler.state_dict(), "generator": self.generator.get_state(),
                **({"ema": self.ema.state_dict()} if self.ema is not None else {})}

    def load_state_dict(self, state: dict) -> None:
        if self.ema is not None and "ema" in state:
            self.ema.load_state_dict(state["ema"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        if state["scaler"] and self.scaler.is_enabled():
            self.scaler.load_state_dict(state["scaler"])
        # else the run was saved without a loss scaler (bfloat16 on CPU, or no --amp) and goes
        # on with a fresh one, or goes on without one: the scale is not part of the model
        self.generator.set_state(state["generator"])


def fit(model: nn.Module, data: ImageData, config: TrainConfig, *,
        on_epoch: Callable[[EpochResult], None] | None = None,
        loader_workers: int | None = None) -> FitResult:
    """Train for ``config.epochs`` epochs, evaluating after each; ``on_epoch`` may raise to stop
    early (e.g. ``optuna.TrialPruned``). ``loader_workers``: see :class:`Trainer`."""
    trainer = Trainer(model, config, steps_per_epoch=steps_per_epoch(data, config.batch_size),
                      loader_workers=loader_workers)
    result = FitResult(timing=trainer.timing)
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        loss = trainer.train_epoch(data)
        accuracy = trainer.evaluate(data)
        entry = EpochResult(epoch, loss, accuracy, time.perf_counter() - epoch_start)
        result.history.append(entry)
        trainer.timing.total_seconds = time.perf_counter() - start
        if on_epoch is not None:
            on_epoch(entry)
    return result
