"""MnasNet's FLOP-constrained reward: ``accuracy × (FLOPs / T) ** w``.

``soft``: w = −0.07 on both sides of the target T (a 2× larger model must be ~5 % more accurate).
``hard``: w = 0 under T and −1 over it (over T the reward falls as T / FLOPs).
FLOPs are fvcore's count (one fused multiply-add = one FLOP) of the *target* architecture.
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
    """The reward for a target of ``target_flops`` FLOPs.

    Attributes:
        mode: ``soft`` or ``hard``.
        target_flops: T, in FLOPs (fvcore count).
        exponent: w; ``None`` means −0.07 (soft) or −1 (hard, applied over T only).
        slack: a candidate is over budget (infeasible; in hard mode not even trained) when its
            FLOPs exceed T × (1 + slack).
    """

    mode: str = "soft"
    target_flops: int
    exponent: float | None = None
    slack: float = 0.1

    def __post_init__(self) -> None:
        if self.mode not in REWARD_MODES:
            raise ConfigError(f"reward must be one of {', '.join(REWARD_MODES)}, "
                              f"but got {self.mode!r}")
        check_real("target_flops", self.target_flops, minimum=1)
        if self.exponent is not None:
            check_real("w", self.exponent, minimum=-10, maximum=10)
        check_real("slack", self.slack, minimum=0)

    @property
    def w(self) -> float:
        """The exponent used over T (and, in soft mode, under T too)."""
        if self.exponent is not None:
            return self.exponent
        return SOFT_EXPONENT if self.mode == "soft" else HARD_EXPONENT

    def weight(self, flops: int) -> float:
        """The multiplier (FLOPs / T) ** w applied to accuracy."""
        ratio = flops / self.target_flops
        if self.mode == "hard" and ratio <= 1:
            return 1.0
        return ratio ** self.w

    def __call__(self, accuracy: float, flops: int) -> float:
        return accuracy * self.weight(flops)

    @property
    def budget(self) -> float:
        """FLOPs above which a candidate is infeasible: T × (1 + slack)."""
        return self.target_flops * (1 + self.slack)

    def constraint(self, flops: int) -> float:
        """Optuna constraint value: ``FLOPs / budget − 1`` (feasible when <= 0)."""
        return flops / self.budget - 1

    def describe(self) -> str:
        if self.mode == "soft":
            return f"soft: ACC x (FLOPs/T)^{self.w:g}"
        return f"hard: ACC under T, ACC x (FLOPs/T)^{self.w:g} over T"
