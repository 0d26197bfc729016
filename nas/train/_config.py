"""The training protocol as one frozen dataclass, shared by proxy and full training."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from nas._errors import ConfigError
from nas._checks import check_choice, check_int, check_real

OPTIMIZERS = ("sgd", "rmsprop", "rmsprop_tf")
POLICIES = ("none", "randaugment", "autoaugment")
RECIPES = ("efficientnet",)
"""Named option sets of ``nas train --recipe`` (see :func:`nas.train.apply_recipe`)."""
SCHEDULES = ("cosine", "onecycle")
DEVICES = ("cpu", "cuda")


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """How a network is trained (defaults: the search's proxy protocol).

    Attributes:
        epochs: passes over the training split.
        batch_size: images per optimiser step.
        optimizer: ``sgd`` (Nesterov momentum), ``rmsprop`` (torch's RMSprop with decay 0.9,
            eps 1e-3) or ``rmsprop_tf`` (TensorFlow's RMSprop, as EfficientNet was trained:
            :class:`nas.train.RMSpropTF`).
        learning_rate: peak learning rate.
        momentum: SGD / RMSprop momentum.
        weight_decay: L2 penalty on convolution and linear weights (not on norms or biases).
        schedule: ``cosine`` (linear warm-up, then cosine to 0) or ``onecycle``.
        warmup_epochs: linear warm-up length for ``cosine``, in epochs (fractions allowed),
            capped at a fifth of the training steps.
        label_smoothing: cross-entropy label smoothing in [0, 1).
        augment: random translation (and flips, see ``flip``) on training batches.
        flip: horizontal flips when augmenting: None (automatic) flips colour photographs
            only (``ImageData.natural``), never grayscale images or the digits; True or False
            forces them on or off.
        channels_last: NHWC memory format (faster on CPU).
        device: ``cpu`` or ``cuda``.
        threads: torch intra-op threads; ``None`` keeps torch's default.
        amp: mixed precision (bfloat16 on CPU, float16 on CUDA).
        seed: seeds weights, batch order and augmentation.
        ema_decay: keep an exponential moving average of the weights with this decay (TF's
            warm-up: min(decay, (1 + n) / (10 + n)) after n steps); it is what is evaluated
            and saved. None: no average.
        policy: ``none``, ``randaugment`` or ``autoaugment`` (kornia, on the device) after the
            crop and flip, when augmenting.
        random_resized_crop: train on random-resized crops (scale 0.08-1) instead of shifted
            images, when augmenting.
        eval_crop: the images are stored at round(R / eval_crop) pixels and evaluated on their
            central R pixels (EfficientNet: 0.875, i.e. 256 -> 224); training crops R pixels
            from them. 1: no crop.
    """

    epochs: int = 5
    batch_size: int = 64
    optimizer: str = "sgd"
    learning_rate: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-5
    schedule: str = "cosine"
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.1
    augment: bool = True
    flip: bool | None = None
    channels_last: bool = True
    device: str = "cpu"
    threads: int | None = None
    amp: bool = False
    seed: int = 0
    ema_decay: float | None = None
    policy: str = "none"
    random_resized_crop: bool = False
    eval_crop: float = 1.0

    def __post_init__(self) -> None:
        check_int("epochs", self.epochs, minimum=1)
        check_int("batch_size", self.batch_size, minimum=2)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("schedule", self.schedule, SCHEDULES)
        if self.device not in DEVICES and not str(self.device).startswith("cuda:"):
            raise ConfigError(f"device must be cpu, cuda or cuda:N, but got {self.device!r}")
        check_real("learning_rate", self.learning_rate, minimum=1e-12)
        check_real("momentum", self.momentum, minimum=0, maximum=1, include_maximum=False)
        check_real("weight_decay", self.weight_decay, minimum=0)
        check_real("warmup_epochs", self.warmup_epochs, minimum=0)
        check_real("label_smoothing", self.label_smoothing, minimum=0, maximum=1,
                   include_maximum=False)
        if self.flip is not None and not isinstance(self.flip, bool):
            raise ConfigError(f"flip must be true, false or None (automatic), "
                              f"but got {self.flip!r}")
        if self.threads is not None:
            check_int("threads", self.threads, minimum=1)
        check_int("seed", self.seed, minimum=0)
        if self.ema_decay is not None:
            check_real("ema_decay", self.ema_decay, minimum=0, maximum=1, include_maximum=False)
        check_choice("policy", self.policy, POLICIES)
        check_real("eval_crop", self.eval_crop, minimum=0.5, maximum=1)

    @property
    def recipe_augmentation(self) -> bool:
        """Whether batches go through :class:`nas.train.BatchAugmentation` (a crop or a policy)
        instead of the shift-and-flip augmentation."""
        return self.random_resized_crop or self.policy != "none" or self.eval_crop < 1

    def identity(self) -> dict:
        """The fields as a dict, without the recipe fields left at their defaults (so a study
        or checkpoint made before they existed still matches)."""
        fields = dataclasses.asdict(self)
        for key, default in RECIPE_DEFAULTS.items():
            if fields[key] == default:
                fields.pop(key)
        return fields


RECIPE_DEFAULTS = {name: TrainConfig.__dataclass_fields__[name].default
                   for name in ("ema_decay", "policy", "random_resized_crop", "eval_crop")}
"""Fields added for the EfficientNet recipe, with their defaults (the values that mean "off")."""
