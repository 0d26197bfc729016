"""Everything a search or scaling run needs, as frozen dataclasses; and which of it defines a
study (reusing a study name with a different identity is refused)."""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field

from nas._errors import ConfigError
from nas.arch._config import check_int, check_real
from nas.train import TrainConfig

SAMPLERS = ("tpe", "random", "nsga2")
PRUNERS = ("none", "median", "hyperband")
OBJECTIVES = ("single", "multi")


@dataclass(frozen=True, kw_only=True)
class ProxySettings:
    """How a candidate is evaluated: data, proxy resolution and width, training protocol.

    Attributes:
        data: ``digits``, ``npz:FILE``, ``cifar10:DIR``, ``cifar100:DIR`` or ``folder:DIR``.
        resolution: proxy input side in pixels.
        width: proxy width multiplier (channels scaled and rounded to multiples of 8).
        train_size: keep a stratified subset of this many training images (None = all).
        validation_fraction: share of the training images held out for validation.
        train: the training protocol (epochs, optimiser, schedule, ...).
    """

    data: str = "digits"
    resolution: int = 32
    width: float = 1.0
    train_size: int | None = None
    validation_fraction: float = 0.2
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        check_int("proxy resolution", self.resolution, minimum=8)
        check_real("proxy width", self.width, minimum=1e-3)
        if self.train_size is not None:
            check_int("train size", self.train_size, minimum=2)
        check_real("validation fraction", self.validation_fraction, minimum=1e-6, maximum=1,
                   include_maximum=False)

    def identity(self) -> dict:
        """What makes two evaluations comparable (not threads, device or precision)."""
        train = dataclasses.asdict(self.train)
        for key in ("channels_last", "device", "threads", "amp", "seed"):
            train.pop(key)
        from nas.data._spec import data_fingerprint

        return {"data": data_fingerprint(self.data), "proxy_resolution": self.resolution,
                "proxy_width": self.width,
                "train_size": self.train_size, "validation_fraction": self.validation_fraction,
                **train}


@dataclass(frozen=True, kw_only=True)
class StudySettings:
    """Where and how trials run.

    Attributes:
        name: study name (None = derived from the options).
        storage: Optuna storage URL or journal file path (None = studies/<name>/journal.log).
        sampler: ``tpe``, ``random`` or ``nsga2`` (None = tpe, or nsga2 for two objectives).
        pruner: ``none``, ``median`` or ``hyperband``.
        seed: study seed; trial seeds derive from (seed, trial number).
        trials: the study's total of finished (complete or pruned) trials; re-runs top up.
        timeout: seconds after which no new trial starts (None = no limit).
        workers: local worker processes.
        max_failures: stop after this many consecutive failed trials.
        root: directory holding studies/ (the working directory by default).
    """

    name: str | None = None
    storage: str | None = None
    sampler: str | None = None
    pruner: str = "none"
    seed: int = 0
    trials: int = 20
    timeout: float | None = None
    workers: int = 1
    max_failures: int = 5
    root: str = "."

    def __post_init__(self) -> None:
        if self.name is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,119}",
                                                      self.name):
            raise ConfigError(f"study name must be 1-120 letters, digits, '.', '_', ':' or '-', "
                              f"starting with a letter or digit, but got {self.name!r}")
        if self.sampler is not None and self.sampler not in SAMPLERS:
            raise ConfigError(f"sampler must be one of {', '.join(SAMPLERS)}, "
                              f"but got {self.sampler!r}")
        if self.pruner not in PRUNERS:
            raise ConfigError(f"pruner must be one of {', '.join(PRUNERS)}, "
                              f"but got {self.pruner!r}")
        check_int("seed", self.seed, minimum=0)
        check_int("trials", self.trials, minimum=1)
        if self.timeout is not None:
            check_real("timeout", self.timeout, minimum=1e-9)
        check_int("workers", self.workers, minimum=1)
        check_int("max failures", self.max_failures, minimum=1)

    def studies_directory(self) -> str:
        return os.path.join(self.root, "studies")


def data_slug(data: str) -> str:
    """A short, name-safe form of a data spec: ``npz:/x/cifar.npz`` -> ``npz-cifar``."""
    kind, _, path = data.partition(":")
    if not path:
        return kind
    stem = os.path.splitext(os.path.basename(os.path.normpath(path)))[0]
    return f"{kind}-{re.sub(r'[^A-Za-z0-9._-]', '_', stem)}"


def flops_label(flops: float) -> str:
    """400000000 -> '400M', 1500000000 -> '1.5G'."""
    for suffix, size in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if flops >= size:
            return f"{flops / size:g}{suffix}"
    return f"{flops:g}"
