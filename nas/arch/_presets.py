"""Presets as data: EfficientNet-B0…B7 (B0's stages plus the published compound-scaling table)
and EfficientNetV2-S (as published).

Each ``efficientnet-bN`` is ``scale(B0, width=…, depth=…)`` with the table's resolution and
dropout, a 1000-class head, and stochastic depth 0.2. ``efficientnetv2-s`` is the official model
(google/automl ``efficientnetv2-s``; timm ``tf_efficientnetv2_s``) at its evaluation resolution.
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


EFFICIENTNETV2_S = Arch(
    stages=tuple(decode(text) for text in (
        "cn_r2_k3_s1_e1_c24_skip",
        "er_r4_k3_s2_e4_c48",
        "er_r4_k3_s2_e4_c64",
        "ir_r6_k3_s2_e4_c128_se0.25",
        "ir_r9_k3_s1_e6_c160_se0.25",
        "ir_r15_k3_s2_e6_c256_se0.25",
    )),
    stem_channels=24,
    head_channels=1280,
    resolution=384,  # evaluation size; it trains at 300 (progressively, from 128)
    num_classes=1000,
    dropout=0.2,
    drop_path_rate=0.2,  # survival probability 0.8
    activation="swish",
)
"""EfficientNetV2-S: google/automl ``efficientnetv2-s`` (blocks ``v2_s_block``, dropout 0.2,
eval size 384, survival probability 0.8, feature size 1280, SiLU), as timm's
``tf_efficientnetv2_s`` builds it (stem 24, 21,458,488 parameters)."""


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


FIXED_PRESETS: dict[str, Arch] = {"efficientnetv2-s": EFFICIENTNETV2_S}
"""Presets given as a whole architecture rather than a row of the scaling table."""
PRESET_NAMES = tuple(EFFICIENTNET_TABLE) + tuple(FIXED_PRESETS)
PRESET_ALIASES = {"efficientnetv2_s": "efficientnetv2-s"}
"""Other spellings accepted for a preset (timm's underscore) -> its name in PRESET_NAMES."""


def preset(name: str) -> Arch:
    """The named preset (``efficientnet-b0`` … ``efficientnet-b7``, ``efficientnetv2-s``; also
    an alias of :data:`PRESET_ALIASES`)."""
    name = PRESET_ALIASES.get(name, name)
    if name in EFFICIENTNET_TABLE:
        return from_table_row(EFFICIENTNET_B0, EFFICIENTNET_TABLE[name])
    if name in FIXED_PRESETS:
        return FIXED_PRESETS[name]
    raise ConfigError(f"preset must be one of {', '.join(PRESET_NAMES)}, but got {name!r}")


def load_target(target: str) -> Arch:
    """A preset by name (or alias), or an architecture file by path (``.yaml``/``.yml``/
    ``.json``: ours, or timm's ``arch_def`` form; see :func:`nas.arch.load`)."""
    if target in PRESET_NAMES or target in PRESET_ALIASES:
        return preset(target)
    from nas.arch._io import load  # local import: _io does not need presets

    if not target.lower().endswith((".yaml", ".yml", ".json")) and not os.path.exists(target):
        raise ConfigError(f"target must be a preset ({', '.join(PRESET_NAMES)}) or a config "
                          f"file, but got {target!r}")
    return load(target)
