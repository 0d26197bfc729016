"""Training: the shared protocol (TrainConfig), the loop (Trainer, fit)."""

from nas.train._config import OPTIMIZERS, SCHEDULES, TrainConfig
from nas.train._trainer import (
    EpochResult,
    FitResult,
    Timing,
    Trainer,
    TrainingError,
    fit,
    resolve_device,
    steps_per_epoch,
)

__all__ = ["OPTIMIZERS", "SCHEDULES", "TrainConfig", "EpochResult", "FitResult", "Timing",
           "Trainer", "TrainingError", "fit", "resolve_device", "steps_per_epoch"]
