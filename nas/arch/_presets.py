"""EfficientNet-B0…B7 as data: B0's stages plus the published compound-scaling table.

Each preset is ``scale(B0, width=…, depth=…)`` with the table's resolution and dropout, a
1000-class head, and stochastic depth 0.2.
"""

from __future__ import annotations

import dataclasses
import os
from typing import NamedTuple

from nas._errors import ConfigError
from nas.arch._config import Arch
from nas.arch._grammar import decode
from nas.arch._scale import scale

EFFICIENTNET_B0 = Arch(
    stages=tuple(decode(text) for text in (
        "ds_r1_k3_s1_e1_c16_se0.25",
        "ir_r2_k3_s2_e6_c24_se0.25",
        "ir_r2_k5_s2_e6_c40_se0.25",
        "ir_r3_k3_s2_e6_c80_se0.25",
        "ir_r3_k5_s1_e6_c112_se0.25",
        "ir_r4_k5_s2_e6_c192_se0.25",
        "ir_r1_k3_s1_e6_c320_se0.25",
    )),
    stem_channels=32,
    head_channels=1280,
    resolution=224,
    num_classes=1000,
    dropout=0.2,
    drop_path_rate=0.2,
    activation="swish",
)


class ScalingRow(NamedTuple):
    """One member of a published scaling table (coefficients relative to B0)."""

    width_coefficient: float
    depth_coefficient: float
    resolution: int
    dropout: float


EFFICIENTNET_TABLE: dict[str, ScalingRow] = {
    "efficientnet-b0": ScalingRow(1.0, 1.0, 224, 0.2),
    "efficientnet-b1": ScalingRow(1.0, 1.1, 240, 0.2),
    "efficientnet-b2": ScalingRow(1.1, 1.2, 260, 0.3),
    "efficientnet-b3": ScalingRow(1.2, 1.4, 300, 0.3),
    "efficientnet-b4": ScalingRow(1.4, 1.8, 380, 0.4),
    "efficientnet-b5": ScalingRow(1.6, 2.2, 456, 0.4),
    "efficientnet-b6": ScalingRow(1.8, 2.6, 528, 0.5),
    "efficientnet-b7": ScalingRow(2.0, 3.1, 600, 0.5),
}


def from_table_row(base: Arch, row: ScalingRow) -> Arch:
    """``base`` scaled by one table row: coefficients, then the row's resolution and dropout."""
    scaled = scale(base, width=row.width_coefficient, depth=row.depth_coefficient)
    return dataclasses.replace(scaled, resolution=row.resolution, dropout=row.dropout)


PRESET_NAMES = tuple(EFFICIENTNET_TABLE)


def preset(name: str) -> Arch:
    """The named preset (``efficientnet-b0`` … ``efficientnet-b7``)."""
    if name not in EFFICIENTNET_TABLE:
        raise ConfigError(f"preset must be one of {', '.join(PRESET_NAMES)}, but got {name!r}")
    return from_table_row(EFFICIENTNET_B0, EFFICIENTNET_TABLE[name])


def load_target(target: str) -> Arch:
    """A preset by name, or an architecture config file (``.yaml``/``.yml``/``.json``) by path."""
    if target in EFFICIENTNET_TABLE:
        return preset(target)
    from nas.arch._io import load  # local import: _io does not need presets

    if not target.lower().endswith((".yaml", ".yml", ".json")) and not os.path.exists(target):
        raise ConfigError(f"target must be a preset ({', '.join(PRESET_NAMES)}) or a config "
                          f"file, but got {target!r}")
    return load(target)
