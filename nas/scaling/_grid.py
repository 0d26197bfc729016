"""The compound-scaling grid: every (α, β, γ) on a step grid with α·β²·γ² ≈ 2.

Coefficients are exact decimals (``Decimal``), so the constraint ``|α·β²·γ² − 2| ≤ tolerance``
is decided without float noise: at step 0.05 and tolerance 0.1 the point (1.9, 1, 1), whose
product is exactly 1.9, is on the boundary and included (float arithmetic gives
|1.9 − 2| = 0.10000000000000009 and would drop it).
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from nas._errors import ConfigError

TARGET_PRODUCT = Decimal(2)

KINDS = ("compound", "depth only", "width only", "resolution only", "base", "extra")


@dataclass(frozen=True, order=True)
class Point:
    """Depth (α), width (β) and resolution (γ) coefficients at φ = 1, and what kind of point."""

    alpha: Decimal
    beta: Decimal
    gamma: Decimal
    kind: str = "compound"

    @property
    def product(self) -> Decimal:
        """α · β² · γ², the FLOPs multiplier the scaling aims at (2 per unit of φ)."""
        return self.alpha * self.beta ** 2 * self.gamma ** 2

    @property
    def label(self) -> str:
        """``"1.2,1.1,1.15"``: the Optuna parameter value naming this point."""
        return ",".join(format_coefficient(value) for value in (self.alpha, self.beta,
                                                                  self.gamma))

    def floats(self) -> tuple[float, float, float]:
        return float(self.alpha), float(self.beta), float(self.gamma)


def format_coefficient(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def parse_decimal(name: str, text: object, *, minimum: Decimal | None = None) -> Decimal:
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise ConfigError(f"{name} must be a decimal number, but got {text!r}") from None
    if not value.is_finite() or (minimum is not None and value < minimum):
        raise ConfigError(f"{name} must be a finite number >= {minimum}, but got {text!r}")
    return value


MAX_VALUES = 201
"""Most values per coefficient (e.g. step 0.005 up to 2.0)."""
MAX_POINTS = 5000
"""Most grid points a scaling run may have."""


@functools.lru_cache(maxsize=16)
def enumerate_grid(*, step: Decimal, max_coefficient: Decimal, tolerance: Decimal) -> list[Point]:
    """All grid points with each coefficient in {1, 1 + step, …, max} and
    ``|α·β²·γ² − 2| ≤ tolerance``, ordered by (α, β, γ)."""
    if step <= 0:
        raise ConfigError(f"step must be > 0, but got {step}")
    if max_coefficient < 1:
        raise ConfigError(f"max coefficient must be >= 1, but got {max_coefficient}")
    if tolerance < 0:
        raise ConfigError(f"tolerance must be >= 0, but got {tolerance}")
    count = int((max_coefficient - 1) / step) + 1
    if count > MAX_VALUES:
        raise ConfigError(f"step must leave at most {MAX_VALUES} values per coefficient, "
                          f"but got {count}")
    values = [1 + index * step for index in range(count)]
    squares = [value ** 2 for value in values]  # ascending, as values are >= 1
    points = []
    for alpha in values:
        for beta in values:
            partial = alpha * beta ** 2
            # γ² must lie in [(2 − tol) / partial, (2 + tol) / partial]: only those γ are tested
            first = bisect.bisect_left(squares, (TARGET_PRODUCT - tolerance) / partial)
            for gamma, square in zip(values[first:], squares[first:]):
                product = partial * square
                if product - TARGET_PRODUCT > tolerance:
                    break
                if abs(product - TARGET_PRODUCT) <= tolerance:
                    points.append(Point(alpha, beta, gamma))
            if len(points) > MAX_POINTS:
                raise ConfigError(f"the grid must have at most {MAX_POINTS} points, but step "
                                  f"{step} and tolerance {tolerance} give more; use a larger "
                                  f"step or a smaller tolerance")
    return points


def single_dimension_points() -> list[Point]:
    """Depth only (α = 2), width only (β = √2), resolution only (γ = √2): FLOPs × 2 each."""
    root_two = Decimal(math.sqrt(2)).quantize(Decimal("0.000001"))
    one = Decimal(1)
    return [Point(Decimal(2), one, one, "depth only"), Point(one, root_two, one, "width only"),
            Point(one, one, root_two, "resolution only")]


def parse_point(text: str) -> Point:
    """``"A,B,G"`` -> an extra point."""
    parts = text.split(",")
    if len(parts) != 3:
        raise ConfigError(f"point must be three coefficients A,B,G such as 1.2,1.1,1.15, "
                          f"but got {text!r}")
    alpha, beta, gamma = (parse_decimal("point coefficient", part.strip(),
                                        minimum=Decimal("0.01")) for part in parts)
    if max(alpha, beta, gamma) > 10:
        raise ConfigError(f"point coefficients must be at most 10, but got {text!r}")
    return Point(alpha, beta, gamma, "extra")


def all_points(grid: list[Point], extra: list[Point]) -> list[Point]:
    """Base (1, 1, 1), the grid, the single-dimension baselines and extras, without duplicates
    (a baseline or extra that lies on the grid keeps its grid entry but is named for both)."""
    by_label: dict[str, Point] = {}
    one = Decimal(1)
    for point in [Point(one, one, one, "base"), *grid, *single_dimension_points(), *extra]:
        key = point.label
        if key in by_label:
            if point.kind != "compound" and by_label[key].kind == "compound":
                by_label[key] = Point(point.alpha, point.beta, point.gamma,
                                      f"compound, {point.kind}")
            continue
        by_label[key] = point
    return list(by_label.values())
