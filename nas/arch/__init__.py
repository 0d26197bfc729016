"""Architecture configs: dataclasses, the block-string grammar, YAML/JSON files (ours and
timm's arch_def forms), scaling, presets.

Data flow: ``decode`` (text -> :class:`Arch`) -> ``scale`` (Arch -> Arch) -> build
(:func:`nas.model.build_model`). Each step is separate and pure.
"""

from nas.arch._config import (
    ACTIVATIONS,
    BATCH_NORM_EPS,
    BLOCK_TYPES,
    STEM_STRIDES,
    Arch,
    Block,
    Stage,
    default_skip,
    expanded_channels,
    has_pointwise_expansion,
    has_residual,
    iter_blocks,
    output_size,
    squeeze_channels,
    stage_activation,
    total_stride,
)
from nas.arch._grammar import (
    ACTIVATION_CODES,
    LAYER_TOKENS,
    decode,
    decode_entry,
    encode,
    encode_entry,
    format_number,
)
from nas.arch._io import (
    FORMATS,
    dumps,
    from_dict,
    from_document,
    load,
    loads,
    parse_document,
    save,
    to_dict,
)
from nas.arch._presets import (
    EFFICIENTNET_B0,
    EFFICIENTNET_TABLE,
    EFFICIENTNETV2_S,
    PRESET_ALIASES,
    PRESET_NAMES,
    ScalingRow,
    from_table_row,
    load_target,
    preset,
)
from nas.arch._scale import (
    MAX_COEFFICIENT,
    make_divisible,
    round_channels,
    round_repeats,
    round_resolution,
    scale,
)
from nas.arch._timm import (
    TIMM_OUTPUT_STRIDE,
    TIMM_PAD_TYPE,
    check_timm_channels,
    from_timm,
    timm_make_divisible,
    timm_stage_repeats,
)

__all__ = [
    "ACTIVATIONS", "BLOCK_TYPES", "STEM_STRIDES", "Arch", "Block", "Stage", "iter_blocks",
    "expanded_channels",
    "has_pointwise_expansion", "has_residual", "output_size", "squeeze_channels", "decode",
    "encode", "format_number", "LAYER_TOKENS", "decode_entry", "encode_entry", "FORMATS",
    "dumps", "from_dict", "load", "loads", "parse_document",
    "save",
    "to_dict", "EFFICIENTNET_B0", "EFFICIENTNET_TABLE", "PRESET_NAMES", "ScalingRow",
    "from_table_row", "load_target", "preset", "MAX_COEFFICIENT", "make_divisible",
    "round_channels", "round_repeats", "round_resolution", "scale",
    "BATCH_NORM_EPS", "stage_activation", "ACTIVATION_CODES", "default_skip", "total_stride", "from_document", "EFFICIENTNETV2_S",
    "PRESET_ALIASES", "TIMM_OUTPUT_STRIDE", "TIMM_PAD_TYPE", "check_timm_channels", "from_timm",
    "timm_make_divisible", "timm_stage_repeats",
]
