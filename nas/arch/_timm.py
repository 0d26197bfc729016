"""timm's EfficientNet definitions read as an :class:`Arch`, and the channel rules timm applies.

:func:`from_timm` reads what timm's ``EfficientNet`` builds from one of two forms (``load``,
``loads`` and ``load_target`` detect them in a YAML/JSON file):

1. a mapping with ``arch_def``, timm's list of stage lists of block strings (every string
   becomes one of our stages, in order), and any of these keys::

       arch_def: [[cn_r2_k3_s1_e1_c24_skip], [er_r4_k3_s2_e4_c48], [er_r4_k3_s2_e4_c64], ...]
       stem_size: 24            # stem channels                       (default 32)
       num_features: 1280       # head channels                       (default 1280)
       num_classes: 1000        #                                     (default 1000)
       act_layer: swish         # swish/silu, relu, relu6, hard_swish/hardswish (default swish)
       drop_rate: 0.2           # dropout before the classifier       (default 0.2)
       drop_path_rate: 0.2      # stochastic depth                    (default 0.2)
       input_size: [3, 384, 384]  # -> resolution 384                 (default 224)
       channel_multiplier: 1.0  # timm's width multiplier             (default: none)
       depth_multiplier: 1.0    # timm's depth multiplier             (default 1.0)
       round_limit: 0.9         # timm's round_channels round_limit   (default 0.9)
       fix_stem: false          # true: stem_size is used as given    (default false)
       output_stride: 32        # must not make timm dilate            (default 32)
       pad_type: ''             # must be '' (ours: symmetric k // 2)  (default '')
       bn_eps: 0.001            # must be ours, 1e-3                   (default 1e-3)

   A missing key takes our :class:`Arch` default, EfficientNet-B0's (not the defaults of timm's
   ``EfficientNet`` class, which are ReLU and no dropout). ``nas export --format timm`` writes
   this form, and ``from_timm(to_timm(arch))`` gives ``arch`` back.
2. a plain list of timm block strings (each one stage) or of stage lists (an ``arch_def``), with
   every other value at its default.

What timm builds is what is read: timm rounds every block's output channels (and the stem's,
unless ``fix_stem``) to ``make_divisible(channels × channel_multiplier, 8, round_limit)`` even
with no multiplier; ``num_features`` is scaled and rounded only when ``channel_multiplier`` is
given (as timm's EfficientNet and EfficientNetV2 generators do; its ``EfficientNet`` class takes
it as given); each stage list's total repeats become ``ceil(total × depth_multiplier)`` shared
out from the last string back, as timm's ``_scale_stage_depth`` does. EfficientNetV2-B0…B3 are
defined with ``round_limit: 0``.

Block strings follow timm's ``_decode_block_str``: types ``ds``, ``ir``, ``er`` and ``cn``;
tokens ``r``, ``k``, ``s``, ``e``, ``c``, ``se``, ``skip`` and ``noskip`` in any order; ``ds`` and
``cn`` may leave out ``e`` (it is 1); ``cn`` has its residual only with ``skip``, the others
unless ``noskip``; a per-block activation ``n<act>`` (``nre``, ``nr6``, ``nhs``, ``nsw``) is the
stage's own, and dropped where it names the network's. What timm has and we cannot express is refused with a one-line error naming it
(timm would build a different network, or silently ignores it): the ``dsa``, ``tu``, ``uir``,
``mha`` and ``mqa`` blocks, the ``a``, ``p``, ``d``, ``gs``, ``fc`` and ``cc`` tokens, mixed
kernels (``k3.5``), other activations, ``ir`` with ``e1`` (timm keeps its 1×1 expansion; write
``ds``), a stride on any string but the first of a stage list (timm ignores it), an
``output_stride`` below the network's total stride (timm would dilate), and an expanded or
squeeze-excite width that timm derives differently from us.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence

from nas._checks import check_int, check_real
from nas._errors import ConfigError
from nas.arch._config import (
    BATCH_NORM_EPS,
    BLOCK_TYPES,
    Arch,
    Stage,
    expanded_channels,
    has_pointwise_expansion,
    iter_blocks,
    squeeze_channels,
    total_stride,
)
from nas.arch._grammar import ACTIVATION_CODES, stage_from_tokens
from nas.arch._scale import MAX_COEFFICIENT, make_divisible

TIMM_OUTPUT_STRIDE = 32
"""timm's default ``output_stride``: past it, timm turns strides into dilation."""
TIMM_PAD_TYPE = ""
"""timm's ``pad_type`` for our padding: symmetric ``kernel_size // 2`` (PyTorch's). TensorFlow's
``'same'`` pads asymmetrically on strided layers: the same shapes, parameters and FLOPs, but
different outputs."""

ACTIVATION_NAMES = {"swish": "swish", "silu": "swish", "relu": "relu", "relu6": "relu6",
                    "hard_swish": "hard_swish", "hardswish": "hard_swish"}
"""timm ``act_layer`` names -> ours."""
_NUMERIC_TOKENS = ("r", "k", "s", "e", "c", "se")
_DEFAULTS = {field.name: field.default for field in dataclasses.fields(Arch)
             if field.default is not dataclasses.MISSING}
_KEYS = ("arch_def", "stem_size", "num_features", "num_classes", "act_layer", "drop_rate",
         "drop_path_rate", "input_size", "channel_multiplier", "depth_multiplier", "round_limit",
         "fix_stem", "output_stride", "pad_type", "bn_eps")
_UNSUPPORTED = ("supported are r, k, s, e, c, se, skip, noskip and an activation nre, nr6, nhs "
                "or nsw; timm's a, p, d, gs, fc and cc tokens, mixed kernels (k3.5) and other "
                "per-block activations cannot be expressed")


timm_make_divisible = make_divisible
"""timm's rounding of a channel count is our one rounding rule, :func:`nas.arch.make_divisible`
(the name says where the rule is applied as timm applies it)."""


def timm_stage_repeats(repeats: Sequence[int], depth_multiplier: float) -> list[int]:
    """Repeats of the strings of one timm stage list under ``depth_multiplier``: the total
    becomes ``ceil(total × depth_multiplier)`` (in floating point, as timm computes it), shared
    out from the last string back, each rounded and at least 1."""
    remaining, scaled = sum(repeats), int(math.ceil(sum(repeats) * depth_multiplier))
    shares = []
    for count in reversed(repeats):
        share = max(1, round(count / remaining * scaled))
        shares.append(share)
        remaining, scaled = remaining - count, scaled - share
    return shares[::-1]


def check_timm_channels(arch: Arch, *, context: str,
                        stage_names: Sequence[str] | None = None) -> None:
    """Raise :class:`ConfigError` unless timm derives every block's expanded and squeeze-excite
    channels as we do: expanded = ``timm_make_divisible(in × expand)`` for ``er`` and expanding
    ``ir`` blocks (ours: ``round(in × expand)``), squeeze = ``round(expanded × se / expand)``
    (ours: ``round(in × se)``). ``stage_names`` name the stages in errors."""
    for block in iter_blocks(arch):
        stage, in_channels = block.stage, block.in_channels
        name = (stage_names[block.stage_index] if stage_names
                else f"stage {block.stage_index + 1}")
        expands = stage.block_type == "er" or has_pointwise_expansion(stage)
        ratio = stage.expand_ratio if expands else 1.0
        theirs = timm_make_divisible(in_channels * ratio) if expands else in_channels
        ours = expanded_channels(stage, in_channels)
        if theirs != ours:
            raise ConfigError(f"{context}: {name}: expanded channels must equal timm's "
                              f"make_divisible({in_channels} × {ratio:g}) = {theirs}, "
                              f"but got {ours}")
        if stage.se_ratio:
            theirs_squeeze = round(theirs * (stage.se_ratio / ratio))
            ours_squeeze = squeeze_channels(in_channels, stage.se_ratio)
            if theirs_squeeze != ours_squeeze:
                raise ConfigError(f"{context}: {name}: squeeze-excite channels must equal "
                                  f"timm's round({theirs} × {stage.se_ratio:g} / {ratio:g}) = "
                                  f"{theirs_squeeze}, but got {ours_squeeze}")


def _read_block(text: object, *, activation: str) -> Stage:
    """One timm block string -> a :class:`Stage` with timm's raw channels and repeats."""
    if not isinstance(text, str) or not text:
        raise ConfigError(f"must be a timm block string such as 'ir_r2_k3_s2_e6_c24_se0.25', "
                          f"but got {text!r}")
    block_type, *tokens = text.split("_")
    if block_type not in BLOCK_TYPES or block_type == "pj":
        raise ConfigError(f"block string {text!r}: block type must be one of "
                          f"{', '.join(t for t in BLOCK_TYPES if t != 'pj')} (timm's dsa, tu, uir, mha and mqa cannot "
                          f"be expressed), but got {block_type!r}")
    kept = []
    for token in tokens:
        prefix = re.match(r"[a-z]*", token).group()
        if token in ("skip", "noskip"):
            kept.append(token)
        elif token[:1] == "n" and token[1:] in ACTIVATION_CODES:
            if ACTIVATION_CODES[token[1:]] != activation:  # the network's own: said again
                kept.append(token)
        elif prefix in _NUMERIC_TOKENS and not (prefix == "k" and "." in token):
            kept.append(token)
        else:
            raise ConfigError(f"block string {text!r}: token {token!r} cannot be read: "
                              f"{_UNSUPPORTED}")
    defaults = {"expand_ratio": 1.0} if block_type in ("ds", "cn") else {}
    stage = stage_from_tokens(text, block_type, kept, defaults=defaults)
    if block_type == "ir" and stage.expand_ratio == 1:
        raise ConfigError(f"block string {text!r}: timm's ir with e1 keeps a 1×1 expansion "
                          f"convolution that our ir/ds with expand 1 does not have; write ds "
                          f"for a depthwise-separable block")
    return stage


def _stage_lists(arch_def: object, *, source: str,
                 listed: bool) -> list[tuple[list[object], list[str]]]:
    """Every stage list of ``arch_def`` (a lone string is a list of one), with the name of each
    string for errors: ``arch_def[i][j]``, or in a plain list (``listed``) ``item i`` /
    ``item [i][j]``."""
    if not isinstance(arch_def, list) or not arch_def:
        raise ConfigError(f"{source}: arch_def must be a non-empty list of stage lists of timm "
                          f"block strings, but got {arch_def!r}")
    stage_lists = []
    for index, entry in enumerate(arch_def):
        strings = [entry] if isinstance(entry, str) else entry
        name = f"item {index}" if listed else f"arch_def[{index}]"
        if not isinstance(strings, list) or not strings:
            raise ConfigError(f"{source}: {name} must be a timm block string or a non-empty list "
                              f"of them, but got {entry!r}")
        if listed and isinstance(entry, str):
            names = [name]
        else:
            names = [f"{'item ' if listed else 'arch_def'}[{index}][{position}]"
                     for position in range(len(strings))]
        stage_lists.append((strings, names))
    return stage_lists


def _options(document: dict, *, source: str) -> dict:
    """The document's keys, checked under timm's names, with defaults filled in."""
    unknown = sorted(str(key) for key in document if key not in _KEYS)
    if unknown:
        raise ConfigError(f"{source}: keys of a timm document must be among {', '.join(_KEYS)}, "
                          f"but got unknown {', '.join(unknown)}")
    options = dict(document)
    try:
        check_int("stem_size", options.setdefault("stem_size", _DEFAULTS["stem_channels"]),
                  minimum=1)
        check_int("num_features", options.setdefault("num_features", _DEFAULTS["head_channels"]),
                  minimum=1)
        check_int("num_classes", options.setdefault("num_classes", _DEFAULTS["num_classes"]),
                  minimum=1)
        for name, ours in (("drop_rate", "dropout"), ("drop_path_rate", "drop_path_rate")):
            check_real(name, options.setdefault(name, _DEFAULTS[ours]), minimum=0, maximum=1,
                       include_maximum=False)
        act_layer = options.setdefault("act_layer", _DEFAULTS["activation"])
        if not isinstance(act_layer, str) or act_layer not in ACTIVATION_NAMES:
            raise ConfigError(f"act_layer must be one of {', '.join(ACTIVATION_NAMES)}, "
                              f"but got {act_layer!r}")
        for name in ("channel_multiplier", "depth_multiplier"):
            if name in options:
                check_real(name, options[name], minimum=1e-3, maximum=MAX_COEFFICIENT)
        check_real("round_limit", options.setdefault("round_limit", 0.9), minimum=0, maximum=1)
        if not isinstance(options.setdefault("fix_stem", False), bool):
            raise ConfigError(f"fix_stem must be true or false, but got {options['fix_stem']!r}")
        check_int("output_stride", options.setdefault("output_stride", TIMM_OUTPUT_STRIDE),
                  minimum=1)
        if options.setdefault("pad_type", TIMM_PAD_TYPE) != TIMM_PAD_TYPE:
            raise ConfigError(f"pad_type must be '' (symmetric k // 2 padding, the only one "
                              f"here; TensorFlow's 'same' gives the same shapes, parameters "
                              f"and FLOPs but different outputs: drop the key to read the "
                              f"network with ours), but got {options['pad_type']!r}")
        if options.setdefault("bn_eps", BATCH_NORM_EPS) != BATCH_NORM_EPS:
            raise ConfigError(f"bn_eps must be {BATCH_NORM_EPS:g} (our batch norm's epsilon: "
                              f"drop the key to read the network with it), "
                              f"but got {options['bn_eps']!r}")
        size = options.setdefault("input_size", [3] + [_DEFAULTS["resolution"]] * 2)
        if (not isinstance(size, (list, tuple)) or len(size) != 3 or size[0] != 3
                or size[1] != size[2]):
            raise ConfigError(f"input_size must be [3, R, R] (RGB, a square side of R "
                              f"pixels), but got {size!r}")
        check_int("input_size side", size[1], minimum=1)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None
    return options


def from_timm(document: object, *, source: str = "config") -> Arch:
    """The :class:`Arch` timm's ``EfficientNet`` builds from ``document`` (a mapping with
    ``arch_def``, or a list of block strings or stage lists; see the module docstring), naming
    ``source`` in every error."""
    listed = isinstance(document, list)
    if listed:
        document = {"arch_def": document}
    if not isinstance(document, dict) or "arch_def" not in document:
        raise ConfigError(f"{source}: must be a timm mapping with arch_def or a list of timm "
                          f"block strings, but got {type(document).__name__}")
    options = _options(document, source=source)
    activation = ACTIVATION_NAMES[options["act_layer"]]
    width = options.get("channel_multiplier", 1.0)
    depth = options.get("depth_multiplier", 1.0)

    def channels(count: int) -> int:
        return timm_make_divisible(count * width, round_limit=options["round_limit"])

    stages, names = [], []
    for strings, string_names in _stage_lists(options["arch_def"], source=source, listed=listed):
        read = []
        for position, (text, name) in enumerate(zip(strings, string_names)):
            try:
                stage = _read_block(text, activation=activation)
            except ConfigError as error:
                raise ConfigError(f"{source}: {name}: {error}") from None
            if position > 0 and stage.stride != 1:
                raise ConfigError(f"{source}: {name} {text!r}: stride must be 1 after the first "
                                  f"string of a stage list (timm would silently use 1), "
                                  f"but got {stage.stride}")
            read.append(stage)
            names.append(f"{name} {text!r}")
        repeats = timm_stage_repeats([stage.repeats for stage in read], depth)
        stages += [dataclasses.replace(stage, repeats=count,
                                       out_channels=channels(stage.out_channels))
                   for stage, count in zip(read, repeats)]
    stem = options["stem_size"]
    head = options["num_features"]
    try:
        arch = Arch(
            stages=tuple(stages),
            stem_channels=stem if options["fix_stem"] else channels(stem),
            head_channels=channels(head) if "channel_multiplier" in options else head,
            resolution=options["input_size"][1],
            num_classes=options["num_classes"],
            dropout=options["drop_rate"],
            drop_path_rate=options["drop_path_rate"],
            activation=activation,
        )
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None
    if total_stride(arch) > options["output_stride"]:
        raise ConfigError(f"{source}: output_stride must be at least the network's total stride "
                          f"{total_stride(arch)} (below it timm turns strides into dilation, "
                          f"which cannot be expressed), but got {options['output_stride']}")
    check_timm_channels(arch, context=source, stage_names=names)
    return arch
