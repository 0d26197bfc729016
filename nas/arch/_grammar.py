"""The block-string grammar: one stage <-> one compact, canonical string.

A stage is written with timm's vocabulary, tokens joined by ``_``::

    ir_r2_k3_s2_e6_c24_se0.25          MBConv, 2 repeats, 3×3, stride 2, expand 6, 24 ch, SE 0.25
    ds_r1_k3_s1_e1_c16_se0.25_noskip   depthwise-separable without residual
    cn_r2_k3_s1_e1_c24_skip            plain 3×3 convolution + BN + activation, with residual

The canonical form is ``<type>_r<repeats>_k<kernel>_s<stride>_e<expand>_c<channels>`` followed by
``_se<ratio>`` when the SE ratio is not 0, then the stage's own activation where it has one
(timm's ``n<act>``: ``nre``, ``nr6``, ``nhs``, ``nsw``), then the residual flag where it differs
from the block type's default (timm's rule): ``_noskip`` for ``ds``/``ir``/``er`` without residual, ``_skip``
for ``cn`` with one. The default flag is accepted when written (``ir_..._skip``,
``cn_..._noskip``) and dropped on encoding. Numbers are written in their shortest form (``e6``,
``se0.25``). ``decode(encode(stage)) == stage`` for every stage, and
``encode(decode(text)) == text`` for every canonical string.
"""

from __future__ import annotations

import re

import numpy

from nas._errors import ConfigError
from nas.arch._config import BLOCK_TYPES, Stage, default_skip

_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_TOKENS = {  # prefix -> (field, parser)
    "r": ("repeats", int),
    "k": ("kernel_size", int),
    "s": ("stride", int),
    "e": ("expand_ratio", float),
    "c": ("out_channels", int),
    "se": ("se_ratio", float),
}
_REQUIRED = ("repeats", "kernel_size", "stride", "expand_ratio", "out_channels")
_FLAGS = {"skip": True, "noskip": False}
ACTIVATION_CODES = {"re": "relu", "r6": "relu6", "hs": "hard_swish", "sw": "swish"}
"""Per-block activation tokens ``n<code>`` (timm's) -> activation names."""
_ACTIVATION_TOKENS = {name: f"n{code}" for code, name in ACTIVATION_CODES.items()}


def format_number(value: float) -> str:
    """Shortest exact decimal for a block-string number: ``6.0 -> '6'``, ``0.25 -> '0.25'``."""
    return numpy.format_float_positional(float(value), trim="-")


def encode(stage: Stage) -> str:
    """Canonical block string of ``stage``."""
    tokens = [
        stage.block_type,
        f"r{stage.repeats}",
        f"k{stage.kernel_size}",
        f"s{stage.stride}",
        f"e{format_number(stage.expand_ratio)}",
        f"c{stage.out_channels}",
    ]
    if stage.se_ratio:
        tokens.append(f"se{format_number(stage.se_ratio)}")
    if stage.activation is not None:
        tokens.append(_ACTIVATION_TOKENS[stage.activation])
    if stage.skip != default_skip(stage.block_type):
        tokens.append("skip" if stage.skip else "noskip")
    return "_".join(tokens)


def _split_token(token: str) -> tuple[str, str]:
    prefix = "se" if token.startswith("se") else token[:1]
    return prefix, token[len(prefix):]


def decode(text: object) -> Stage:
    """Parse a block string into a :class:`Stage`; raise :class:`ConfigError` on any defect.

    Tokens after the block type may come in any order; unknown, repeated or missing tokens are
    errors (nothing is silently ignored).
    """
    block_type, tokens = _split_block(text, what="block string",
                                      example="'ir_r2_k3_s2_e6_c24_se0.25'")
    return stage_from_tokens(text, block_type, tokens)


def _split_block(text: object, *, what: str, example: str, also: str = ""
                 ) -> tuple[str, list[str]]:
    """A block string's type and its other tokens, the type checked; ``what`` and ``example``
    name the kind of string in errors, ``also`` what else it may be."""
    if not isinstance(text, str) or not text:
        raise ConfigError(f"{what} must be a non-empty string such as {example}{also}, "
                          f"but got {text!r}")
    block_type, *tokens = text.split("_")
    if block_type not in BLOCK_TYPES:
        raise ConfigError(f"{what} {text!r}: block type must be one of "
                          f"{', '.join(BLOCK_TYPES)}{also}, but got {block_type!r}")
    return block_type, tokens


def stage_from_tokens(text: str, block_type: str, tokens: list[str], *,
                      defaults: dict[str, object] | None = None) -> Stage:
    """The :class:`Stage` of ``block_type`` and its ``tokens`` (``r2``, ``se0.25``, ``noskip``,
    ...), with ``defaults`` (field -> value) for fields no token gives; ``text`` names the
    block string in errors. The one token parser behind :func:`decode` and the timm reader."""
    fields: dict[str, object] = {}
    for token in tokens:
        if token in _FLAGS:
            name, value = "skip", _FLAGS[token]
        elif token[:1] == "n" and token[1:] in ACTIVATION_CODES:
            name, value = "activation", ACTIVATION_CODES[token[1:]]
        else:
            prefix, number = _split_token(token)
            if prefix not in _TOKENS:
                raise ConfigError(f"block string {text!r}: token must be one of r, k, s, e, c, "
                                  f"se (followed by a number), skip, noskip or an activation "
                                  f"({', '.join('n' + code for code in ACTIVATION_CODES)}), "
                                  f"but got {token!r}")
            name, parser = _TOKENS[prefix]
            if not _NUMBER.match(number) or (parser is int and "." in number):
                kind = "an integer" if parser is int else "a decimal number"
                raise ConfigError(f"block string {text!r}: {prefix} must be followed by {kind}, "
                                  f"but got {token!r}")
            value = parser(number)
        if name in fields:
            repeated = {"skip": "skip/noskip", "activation": "an activation"}.get(name, name)
            raise ConfigError(f"block string {text!r}: each token may appear once, "
                              f"but got {repeated} twice")
        fields[name] = value
    for name, value in (defaults or {}).items():
        fields.setdefault(name, value)
    missing = [name for name in _REQUIRED if name not in fields]
    if missing:
        raise ConfigError(f"block string {text!r}: must give r, k, s, e and c, "
                          f"but got no {', '.join(missing)}")
    try:
        return Stage(block_type=block_type, **fields)
    except ConfigError as error:
        raise ConfigError(f"block string {text!r}: {error}") from None


LAYER_TOKENS = ("r", "s", "c")
"""Tokens a menu entry of a layer-wise space leaves out: its layer gives them (one layer, the
layer's stride, the stage's channels)."""


def decode_entry(text: object, *, stride: int, out_channels: int) -> Stage:
    """A menu entry of a layer-wise space (a block string without ``r``, ``s`` and ``c``, such
    as ``ir_k3_e3`` or ``ir_k5_e6_se0.25``) as the one-layer :class:`Stage` it is at a layer of
    ``stride`` producing ``out_channels``. ``ds`` and ``cn`` entries may leave out ``e1``."""
    block_type, tokens = _split_block(text, what="menu entry",
                                      example="'ir_k3_e6_se0.25' (no r, s or c)",
                                      also=", or the entry skip")
    for token in tokens:
        if token not in _FLAGS and _split_token(token)[0] in LAYER_TOKENS:
            raise ConfigError(f"menu entry {text!r}: tokens must leave out r, s and c (the "
                              f"layer gives one layer, its stride and the stage's channels), "
                              f"but got {token!r}")
    defaults: dict[str, object] = {"repeats": 1, "stride": stride, "out_channels": out_channels}
    if block_type in ("ds", "cn", "pj"):
        defaults["expand_ratio"] = 1.0
    return stage_from_tokens(text, block_type, tokens, defaults=defaults)


def encode_entry(stage: Stage) -> str:
    """Canonical menu entry of a one-layer ``stage``: its block string without ``r``, ``s``
    and ``c`` (``decode_entry(encode_entry(stage), stride=..., out_channels=...) == stage``)."""
    block_type, *tokens = encode(stage).split("_")
    return "_".join([block_type] + [token for token in tokens if token in _FLAGS
                                    or _split_token(token)[0] not in LAYER_TOKENS])
