"""MnasNet's constrained reward: ``accuracy × (C / T) ** w`` for a cost C against a target T.

The cost is either FLOPs (fvcore's count of the *target* architecture: one fused multiply-add =
one FLOP; exact and noise-free, the default) or latency in milliseconds (predicted from this
device's per-block table, :class:`nas.cost.LatencyTable`).

``soft``: w = −0.07 on both sides of the target T (a 2× costlier model must be ~5 % more
accurate). ``hard``: w = 0 under T and −1 over it (over T the reward falls as T / C).
"""

from __future__ import annotations

from dataclasses import dataclass

from nas._errors import ConfigError
from nas._checks import check_real

REWARD_MODES = ("soft", "hard")
SOFT_EXPONENT = -0.07
HARD_EXPONENT = -1.0


@dataclass(frozen=True, kw_only=True)
class Reward:
    """The reward for a target of ``target_flops`` FLOPs or ``target_latency_ms`` milliseconds
    (exactly one of the two).

    Attributes:
        mode: ``soft`` or ``hard``.
        target_flops: T, in FLOPs (fvcore count).
        target_latency_ms: T, in milliseconds per forward pass.
        exponent: w; ``None`` means −0.07 (soft) or −1 (hard, applied over T only).
        slack: a candidate is over budget (infeasible; never trained) when its cost exceeds
            T × (1 + slack).
    """

    mode: str = "soft"
    target_flops: int | None = None
    exponent: float | None = None
    slack: float = 0.1
    target_latency_ms: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in REWARD_MODES:
            raise ConfigError(f"reward must be one of {', '.join(REWARD_MODES)}, "
                              f"but got {self.mode!r}")
        if (self.target_flops is None) == (self.target_latency_ms is None):
            raise ConfigError("a reward must have exactly one target, FLOPs or latency, but got "
                              + ("both" if self.target_flops is not None else "neither"))
        if self.target_flops is not None:
            check_real("target_flops", self.target_flops, minimum=1)
        else:
            check_real("target latency (ms)", self.target_latency_ms, minimum=1e-6)
        if self.exponent is not None:
            check_real("w", self.exponent, minimum=-10, maximum=10)
        check_real("slack", self.slack, minimum=0)

    @property
    def metric(self) -> str:
        """``flops`` or ``latency``: what the cost C is."""
        return "flops" if self.target_flops is not None else "latency"

    @property
    def target(self) -> float:
        """T, in FLOPs or milliseconds."""
        return self.target_flops if self.target_flops is not None else self.target_latency_ms

    @property
    def w(self) -> float:
        """The exponent used over T (and, in soft mode, under T too)."""
        if self.exponent is not None:
            return self.exponent
        return SOFT_EXPONENT if self.mode == "soft" else HARD_EXPONENT

    def weight(self, cost: float) -> float:
        """The multiplier (C / T) ** w applied to accuracy."""
        ratio = cost / self.target
        if self.mode == "hard" and ratio <= 1:
            return 1.0
        return ratio ** self.w

    def __call__(self, accuracy: float, cost: float) -> float:
        return accuracy * self.weight(cost)

    @property
    def budget(self) -> float:
        """Cost above which a candidate is infeasible: T × (1 + slack)."""
        return self.target * (1 + self.slack)

    def constraint(self, cost: float) -> float:
        """Optuna constraint value: ``C / budget − 1`` (feasible when <= 0)."""
        return cost / self.budget - 1

    def describe(self) -> str:
        name = "FLOPs" if self.metric == "flops" else "LAT"
        if self.mode == "soft":
            return f"soft: ACC x ({name}/T)^{self.w:g}"
        return f"hard: ACC under T, ACC x ({name}/T)^{self.w:g} over T"
