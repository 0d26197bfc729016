"""Scaling primitives: the one channel-rounding rule, repeat rounding, and a pure ``scale``.

``scale`` never mutates: it returns a new :class:`Arch` built with ``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
import math

from nas._errors import ConfigError
from nas._checks import check_int, check_real
from nas.arch._config import Arch

CHANNEL_DIVISOR = 8
MAX_COEFFICIENT = 100.0
"""Largest width, depth or resolution coefficient ``scale`` accepts (B7 uses 3.1 at most)."""


def make_divisible(value: float, divisor: int = CHANNEL_DIVISOR, round_limit: float = 0.9) -> int:
    """The one channel-rounding rule (EfficientNet's, and timm's ``make_divisible``): the nearest
    multiple of ``divisor`` (halves up), at least ``divisor``, and one ``divisor`` more where that
    falls below ``round_limit × value``."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < round_limit * value else rounded


def round_channels(channels: int, width_coefficient: float, divisor: int = CHANNEL_DIVISOR) -> int:
    """Scale ``channels`` by ``width_coefficient`` and round to a multiple of ``divisor`` with
    :func:`make_divisible` (never below 90 % of the scaled target). A coefficient of exactly 1
    leaves ``channels`` as is.
    """
    if width_coefficient == 1:
        return channels
    return make_divisible(channels * width_coefficient, divisor)


def round_repeats(repeats: int, depth_coefficient: float) -> int:
    """Scale a stage's ``repeats`` by ``depth_coefficient``, rounding up.

    The product is first rounded to 9 decimals so float noise (50 × 1.1 = 55.00000000000001)
    does not add a block (timm's ``ceil`` does not round first: see
    :func:`nas.arch.timm_stage_repeats`).
    """
    return int(math.ceil(round(repeats * depth_coefficient, 9)))


def round_resolution(resolution: float, divisor: int = 1) -> int:
    """Round a resolution in pixels to the nearest multiple of ``divisor`` (halves up, and
    never below ``divisor``)."""
    return max(divisor, int(math.floor(resolution / divisor + 0.5)) * divisor)


def scale(arch: Arch, *, width: float = 1.0, depth: float = 1.0, resolution: float = 1.0,
          resolution_divisor: int = 1) -> Arch:
    """Compound-scale ``arch`` and return a new config.

    Args:
        width: width coefficient (β^φ); multiplies stem, stage and head channels, rounded by
            :func:`round_channels`.
        depth: depth coefficient (α^φ); multiplies every stage's repeats, rounded up.
            Block types, kernels, strides, expand and SE ratios and residual flags are kept
            (so a ``cn`` stage keeps expand 1 and no SE).
        resolution: resolution coefficient (γ^φ); the input side becomes
            ``round_resolution(arch.resolution × resolution, resolution_divisor)`` pixels.
        resolution_divisor: the scaled resolution is a multiple of this (1 = nearest integer).
    """
    check_real("width", width, minimum=1e-3, maximum=MAX_COEFFICIENT)
    check_real("depth", depth, minimum=1e-3, maximum=MAX_COEFFICIENT)
    check_real("resolution", resolution, minimum=1e-3, maximum=MAX_COEFFICIENT)
    check_int("resolution_divisor", resolution_divisor, minimum=1)
    if not isinstance(arch, Arch):
        raise ConfigError(f"arch must be an Arch, but got {type(arch).__name__}")
    stages = tuple(
        dataclasses.replace(
            stage,
            out_channels=round_channels(stage.out_channels, width),
            repeats=round_repeats(stage.repeats, depth),
        )
        for stage in arch.stages
    )
    new_resolution = arch.resolution
    if resolution != 1:
        new_resolution = round_resolution(arch.resolution * resolution, resolution_divisor)
    return dataclasses.replace(
        arch,
        stages=stages,
        stem_channels=round_channels(arch.stem_channels, width),
        head_channels=round_channels(arch.head_channels, width),
        resolution=new_resolution,
    )
