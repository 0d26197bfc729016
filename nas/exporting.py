"""Export an architecture as our YAML/JSON config or as a timm EfficientNet ``arch_def``.

The timm form is a JSON object that timm's own builder accepts with multipliers 1.0::

    from timm.models._efficientnet_builder import decode_arch_def
    from timm.models.efficientnet import EfficientNet
    spec = json.load(open("b0.timm.json"))
    model = EfficientNet(block_args=decode_arch_def(spec["arch_def"]),
                         stem_size=spec["stem_size"], num_features=spec["num_features"],
                         num_classes=spec["num_classes"], act_layer=spec["act_layer"],
                         drop_rate=spec["drop_rate"], drop_path_rate=spec["drop_path_rate"])

Channels and repeats are already scaled. timm re-rounds every channel count to a multiple of 8
and derives expanded / squeeze channels its own way, so an architecture whose counts timm would
change is refused with an error rather than exported as a different network.
"""

from __future__ import annotations

import dataclasses
import json

from nas._errors import ConfigError
from nas.arch import (
    Arch,
    dumps,
    encode,
    expanded_channels,
    has_pointwise_expansion,
    iter_blocks,
    squeeze_channels,
)

EXPORT_FORMATS = ("yaml", "json", "timm")


def _timm_make_divisible(value: float, divisor: int = 8) -> int:
    """timm's ``make_divisible`` (its rounding of every channel count), for checking only."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _check_timm_compatible(arch: Arch) -> None:
    for name in ("stem_channels", "head_channels"):
        value = getattr(arch, name)
        if _timm_make_divisible(value) != value:
            raise ConfigError(f"timm export: {name} must be a multiple of 8 (timm rounds it), "
                              f"but got {value}")
    for block in iter_blocks(arch):
        stage, where = block.stage, f"timm export: stage {block.stage_index + 1}"
        if _timm_make_divisible(stage.out_channels) != stage.out_channels:
            raise ConfigError(f"{where}: out_channels must be a multiple of 8 (timm rounds it), "
                              f"but got {stage.out_channels}")
        ours = expanded_channels(stage, block.in_channels)
        expands = stage.block_type == "er" or has_pointwise_expansion(stage)
        theirs = (_timm_make_divisible(block.in_channels * stage.expand_ratio)
                  if expands else block.in_channels)
        if ours != theirs:
            raise ConfigError(f"{where}: expanded channels must be a multiple of 8 for timm "
                              f"(timm would use {theirs}), but got {ours}")
        if stage.se_ratio:
            ours = squeeze_channels(block.in_channels, stage.se_ratio)
            ratio = stage.expand_ratio if expands else 1.0
            theirs = round(theirs * (stage.se_ratio / ratio))
            if ours != theirs:
                raise ConfigError(f"{where}: squeeze-excite channels must match timm's rounding "
                                  f"(timm would use {theirs}), but got {ours}")


def timm_block_string(stage) -> str:
    """Our canonical string in timm's dialect: an ``ir`` block without expansion is ``ds``."""
    if stage.block_type == "ir" and not has_pointwise_expansion(stage):
        stage = dataclasses.replace(stage, block_type="ds")
    return encode(stage)


def to_timm(arch: Arch) -> dict:
    """timm ``EfficientNet`` keyword arguments (``arch_def`` still to be decoded by timm)."""
    _check_timm_compatible(arch)
    return {
        "arch_def": [[timm_block_string(stage)] for stage in arch.stages],
        "stem_size": arch.stem_channels,
        "num_features": arch.head_channels,
        "num_classes": arch.num_classes,
        "act_layer": arch.activation,
        "drop_rate": arch.dropout,
        "drop_path_rate": arch.drop_path_rate,
    }


def export(arch: Arch, format: str) -> str:
    """Text of ``arch`` in one of :data:`EXPORT_FORMATS`."""
    if format == "timm":
        return json.dumps(to_timm(arch), indent=2) + "\n"
    if format in ("yaml", "json"):
        return dumps(arch, format)
    raise ConfigError(f"format must be one of {', '.join(EXPORT_FORMATS)}, but got {format!r}")
