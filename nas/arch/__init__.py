"""Architecture configs: dataclasses, the block-string grammar, YAML/JSON files, scaling, presets.

Data flow: ``decode`` (text -> :class:`Arch`) -> ``scale`` (Arch -> Arch) -> build
(:func:`nas.model.build_model`). Each step is separate and pure.
"""

from nas.arch._config import (
    ACTIVATIONS,
    BLOCK_TYPES,
    Arch,
    Block,
    Stage,
    expanded_channels,
    has_pointwise_expansion,
    has_residual,
    iter_blocks,
    output_size,
    squeeze_channels,
)
from nas.arch._grammar import decode, encode, format_number
from nas.arch._io import FORMATS, dumps, from_dict, load, loads, parse_document, save, to_dict
from nas.arch._presets import (
    EFFICIENTNET_B0,
    EFFICIENTNET_TABLE,
    PRESET_NAMES,
    ScalingRow,
    from_table_row,
    load_target,
    preset,
)
from nas.arch._scale import (
    MAX_COEFFICIENT,
    round_channels,
    round_repeats,
    round_resolution,
    scale,
)

__all__ = [
    "ACTIVATIONS", "BLOCK_TYPES", "Arch", "Block", "Stage", "iter_blocks", "expanded_channels",
    "has_pointwise_expansion", "has_residual", "output_size", "squeeze_channels", "decode",
    "encode", "format_number", "FORMATS", "dumps", "from_dict", "load", "loads", "parse_document",
    "save",
    "to_dict", "EFFICIENTNET_B0", "EFFICIENTNET_TABLE", "PRESET_NAMES", "ScalingRow",
    "from_table_row", "load_target", "preset", "MAX_COEFFICIENT", "round_channels", "round_repeats",
    "round_resolution", "scale",
]
