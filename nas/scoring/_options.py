"""How one candidate is scored: the proxy protocol (data, resolution, width, training), the
zero-cost proxies there are, a supernet's sampling rules and the size of a supernet subnet's
batch-norm calibration. Free of torch, so the command line can read the defaults at start-up."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from nas._checks import check_int, check_real
from nas.train import TrainConfig

ZERO_COST_PROXIES = ("synflow", "naswot", "grad_norm", "zico")
"""The zero-cost proxies :func:`nas.scoring.zero_cost_scores` computes, in their default order
(kept here, free of torch, so the command line can list them at start-up)."""


SUPERNET_SAMPLINGS = ("sandwich", "uniform", "fair")
"""How a supernet step picks its subnets (:class:`nas.scoring.SupernetOptions` ``.sampling``;
kept here, free of torch, so the command line lists them at start-up)."""


SKIP_POSITIONS = ("first", "sampled")
"""Where a layer-wise supernet trains a random subnet's skipped layers
(:class:`nas.scoring.SupernetOptions` ``.skip_positions``): ``first`` moves a stage's chosen
layers to its first positions, as a candidate is scored; ``sampled`` leaves each skip where it
was drawn, so every position's blocks also learn to follow a skipped layer."""


CALIBRATION_IMAGES = 256
"""Training images whose batch-norm statistics a subnet gets (Once-for-All uses 2,000 on
ImageNet): one batch of 256. On the shared CIFAR-10 subset, 256 rank the reference table's 24
architectures as 512 do (Kendall τ 0.93 [0.85, 0.99]) and as 2,048 do (0.92 [0.80, 0.99]), as
closely as 2,048 rank them as 512 (0.93), for 13 % less CPU per candidate than 512 (2.1 vs 2.4
CPU-s): ``benchmarks/supernet_fidelity.py``, ``calibration_agreement``."""


PROXY_EPOCHS = 4


def _proxy_training() -> TrainConfig:
    return TrainConfig(epochs=PROXY_EPOCHS)


@dataclass(frozen=True, kw_only=True)
class ProxySettings:
    """How a candidate is evaluated: data, proxy resolution and width, training protocol.

    The defaults are the protocol ``benchmarks/rank_fidelity.py`` measured best per CPU-second
    on the shared CIFAR-10 subset (README, Search quality): 32 px with the first stride removed
    (the feature-map geometry of a 64 px input), width 0.5, 4 epochs.

    Attributes:
        data: ``digits``, ``npz:FILE``, ``cifar10:DIR``, ``cifar100:DIR`` or ``folder:DIR``.
        resolution: proxy input side in pixels.
        width: proxy width multiplier (channels scaled and rounded to multiples of 8).
        strides_removed: the first N stride-2 stages of the proxy run at stride 1 (a
            stride-adapted proxy, the usual CIFAR adaptation): each removed stride doubles the
            side of every later feature map, so a 32 px proxy with one stride removed sees the
            feature-map geometry of a 64 px input, at about the cost of one.
        train_size: keep a stratified subset of this many training images (None = all).
        validation_fraction: share of the training images held out for validation.
        train: the training protocol (epochs, optimiser, schedule, ...).
    """

    data: str = "digits"
    resolution: int = 32
    width: float = 0.5
    strides_removed: int = 1
    train_size: int | None = None
    validation_fraction: float = 0.2
    train: TrainConfig = field(default_factory=_proxy_training)

    def __post_init__(self) -> None:
        check_int("proxy resolution", self.resolution, minimum=8)
        check_real("proxy width", self.width, minimum=1e-3)
        check_int("strides removed", self.strides_removed, minimum=0)
        if self.train_size is not None:
            check_int("train size", self.train_size, minimum=2)
        check_real("validation fraction", self.validation_fraction, minimum=1e-6, maximum=1,
                   include_maximum=False)

    def identity(self) -> dict:
        """What makes two evaluations comparable (not threads, device or precision)."""
        train = self.train.identity()
        for key in ("channels_last", "device", "threads", "amp", "seed"):
            train.pop(key)
        from nas.data import data_fingerprint

        return {"data": data_fingerprint(self.data), "proxy_resolution": self.resolution,
                "proxy_width": self.width,
                # absent when 0, so studies created before the option existed still resume
                **({"strides_removed": self.strides_removed} if self.strides_removed else {}),
                "train_size": self.train_size, "validation_fraction": self.validation_fraction,
                **train}
