"""Latency as a search target: the predictor's validation over random networks of a space."""

from __future__ import annotations

from nas._checks import check_int
from nas.cost import LatencySettings, LatencyTable, Validation, default_cache, validate_table
from nas.search._rank_check import sample_architectures
from nas.space import load_space


def validate_latency(*, space: str = "efficientnet_b0", count: int = 20,
                     settings: LatencySettings = LatencySettings(), seed: int = 0,
                     root: str = ".", on_network=None) -> Validation:
    """``nas latency --validate N``: ``count`` distinct random networks of ``space`` at its
    target resolution, spread evenly over the space's FLOPs range (as ``nas rank-check`` draws
    them), are predicted from this device's per-block table (timing the parts it lacks) and
    measured end to end. Reports the share predicted within ±10 % and the RMSE in %.
    Measurements are cached in ``studies/latency/`` under ``root`` like any other."""
    check_int("validate count", count, minimum=2)
    archs = sample_architectures(load_space(space), count, seed=seed)
    table = LatencyTable(settings, root=root)
    return validate_table(table, archs, cache=default_cache(root), on_network=on_network)
