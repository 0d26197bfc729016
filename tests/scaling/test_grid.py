from decimal import Decimal
from fractions import Fraction

import pytest

from nas._errors import ConfigError
from nas.scaling import all_points, enumerate_grid, parse_point, single_dimension_points


def grid(step, tolerance="0.1", maximum="2.0"):
    return enumerate_grid(step=Decimal(step), max_coefficient=Decimal(maximum),
                          tolerance=Decimal(tolerance))


def brute_force(step: str, tolerance: str) -> set[tuple]:
    """Exact rational arithmetic over the whole cube."""
    values = [1 + k * Fraction(step) for k in range(int(1 / Fraction(step)) + 1)]
    return {(a, b, g) for a in values for b in values for g in values
            if abs(a * b * b * g * g - 2) <= Fraction(tolerance)}


@pytest.mark.parametrize("step, expected", [("0.05", 109), ("0.1", 21)])
def test_grid_counts(step, expected):
    # The issue quotes 108 and 20: float arithmetic drops (1.9, 1, 1), whose product is exactly
    # 1.9, i.e. exactly on the boundary |1.9 - 2| = 0.1 (floats give 0.10000000000000009).
    points = grid(step)
    assert len(points) == expected
    assert (Decimal("1.9"), Decimal(1), Decimal(1)) in {(p.alpha, p.beta, p.gamma)
                                                        for p in points}
    assert len([p for p in points if abs(p.product - 2) < Decimal("0.1")]) == expected - 1


@pytest.mark.parametrize("step, tolerance", [("0.05", "0.1"), ("0.1", "0.1"), ("0.1", "0.25"),
                                             ("0.25", "0.05")])
def test_every_point_satisfies_the_constraint_and_none_is_missing(step, tolerance):
    points = grid(step, tolerance)
    for point in points:
        assert abs(point.product - 2) <= Decimal(tolerance)
        assert min(point.alpha, point.beta, point.gamma) >= 1
    exact = {(Fraction(p.alpha), Fraction(p.beta), Fraction(p.gamma)) for p in points}
    assert exact == brute_force(step, tolerance)


def test_the_papers_point_is_on_the_grid():
    point = next(p for p in grid("0.05") if p.label == "1.2,1.1,1.15")
    assert float(point.product) == pytest.approx(1.92, abs=1e-3)


def test_all_points_adds_base_and_single_dimension_baselines_once():
    points = all_points(grid("0.1"), [parse_point("1.3, 1.1, 1.1"), parse_point("1.2,1.2,1.2")])
    labels = [p.label for p in points]
    assert len(labels) == len(set(labels)) == 21 + 1 + 2 + 1
    kinds = {p.label: p.kind for p in points}
    assert kinds["1,1,1"] == "base"
    assert kinds["2,1,1"] == "compound, depth only"  # on the grid at step 0.1
    assert kinds["1,1.414214,1"] == "width only"
    assert kinds["1,1,1.414214"] == "resolution only"
    assert kinds["1.3,1.1,1.1"] == "compound, extra"
    assert kinds["1.2,1.2,1.2"] == "extra"
    for point in single_dimension_points():
        assert float(point.product) == pytest.approx(2, abs=1e-5)


@pytest.mark.parametrize("text", ["1,2", "a,b,c", "1,1,-1"])
def test_bad_points(text):
    with pytest.raises(ConfigError, match="point"):
        parse_point(text)


def test_bad_grid_arguments():
    with pytest.raises(ConfigError, match="step must be > 0"):
        grid("0")
    with pytest.raises(ConfigError, match="max coefficient must be >= 1"):
        grid("0.1", maximum="0.5")
