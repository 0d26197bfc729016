"""Frozen dataclasses that describe an architecture exactly.

An :class:`Arch` is a stem (3×3 stride-2 convolution), a sequence of :class:`Stage` s (each a
run of identical blocks, the first of which may stride), and a head (1×1 convolution, global
average pool, dropout, linear classifier). Construction validates every field, so an invalid
config cannot exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from nas._checks import check_int, check_real, is_int
from nas._errors import ConfigError

BLOCK_TYPES = ("ds", "ir", "er", "cn", "pj")
"""``ds`` depthwise-separable, ``ir`` MBConv (inverted residual), ``er`` fused-MBConv, ``cn`` a
plain k×k convolution with batch norm and activation (timm's ``ConvBnAct`` block), ``pj`` a
linear projection: a k×k (usually 1×1) convolution with the stride and batch norm, no activation
and no residual (what a skipped layer of a layer-wise space becomes where it changes stride or
width, as in NAS-Bench-Macro, FBNet and SPOS; timm has no such block)."""

STEM_STRIDES = (1, 2)

ACTIVATIONS = ("swish", "relu", "relu6", "hard_swish")

BATCH_NORM_EPS = 1e-3
"""Epsilon of every batch norm in a network built from an :class:`Arch` (TensorFlow's value;
timm's and PyTorch's default is 1e-5). It changes no shape or count, only the numbers."""


def default_skip(block_type: str) -> bool:
    """Whether a stage of ``block_type`` has its residual when ``skip`` is not given: as in
    timm, ``cn`` only with ``_skip``, ``ds``/``ir``/``er`` unless ``_noskip``; ``pj`` never."""
    return block_type not in ("cn", "pj")


@dataclass(frozen=True, kw_only=True)
class Stage:
    """A run of ``repeats`` identical blocks; only the first block strides.

    Attributes:
        block_type: ``ds`` (depthwise-separable), ``ir`` (MBConv), ``er`` (fused-MBConv),
            ``cn`` (one k×k convolution, batch norm, activation) or ``pj`` (one k×k
            convolution and batch norm: a linear projection).
        repeats: number of blocks in the stage, >= 1.
        kernel_size: spatial kernel of the depthwise (``ds``/``ir``) or full (``er``/``cn``)
            conv.
        stride: stride of the first block, 1 or 2.
        expand_ratio: expanded channels = input channels × expand_ratio (1 for ``ds``,
            ``cn`` and ``pj``, which have no expansion).
        out_channels: channels produced by every block of the stage.
        se_ratio: squeeze-excite channels = block input channels × se_ratio; 0 disables SE
            (always 0 for ``cn`` and ``pj``).
        skip: residual connection (with stochastic depth) where stride is 1 and in == out.
            ``None`` (the default) takes the block type's default, as timm does: on for
            ``ds``, ``ir`` and ``er``, off for ``cn``.
        activation: the stage's own activation (one of :data:`ACTIVATIONS`), written ``n<code>``
            in a block string as timm writes it (``nre`` ReLU, ``nr6`` ReLU6, ``nhs`` hard
            swish, ``nsw`` swish); ``None`` (the default): the network's.
    """

    block_type: str
    repeats: int
    kernel_size: int
    stride: int
    expand_ratio: float
    out_channels: int
    se_ratio: float = 0.0
    skip: bool | None = None
    activation: str | None = None

    def __post_init__(self) -> None:
        if self.block_type not in BLOCK_TYPES:
            raise ConfigError(
                f"block_type must be one of {', '.join(BLOCK_TYPES)}, but got {self.block_type!r}")
        check_int("repeats", self.repeats, minimum=1)
        if not is_int(self.kernel_size) or self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ConfigError(
                f"kernel_size must be an odd integer >= 1, but got {self.kernel_size!r}")
        if not is_int(self.stride) or self.stride not in (1, 2):
            raise ConfigError(f"stride must be 1 or 2, but got {self.stride!r}")
        expand_ratio = check_real("expand_ratio", self.expand_ratio, minimum=1)
        if self.block_type in ("ds", "cn", "pj") and expand_ratio != 1:
            raise ConfigError(f"expand_ratio must be 1 for a {self.block_type} block, "
                              f"but got {self.expand_ratio!r}")
        check_int("out_channels", self.out_channels, minimum=1)
        se_ratio = check_real("se_ratio", self.se_ratio, minimum=0, maximum=1)
        if self.block_type in ("cn", "pj") and se_ratio != 0:
            raise ConfigError(f"se_ratio must be 0 for a {self.block_type} block (it has no "
                              f"squeeze-excite), but got {self.se_ratio!r}")
        skip = default_skip(self.block_type) if self.skip is None else self.skip
        if not isinstance(skip, bool):
            raise ConfigError(f"skip must be true or false, but got {self.skip!r}")
        if self.activation is not None and self.activation not in ACTIVATIONS:
            raise ConfigError(f"activation must be one of {', '.join(ACTIVATIONS)}, but got "
                              f"{self.activation!r}")
        if self.block_type == "pj" and self.activation is not None:
            raise ConfigError(f"activation must not be given for a pj block (a linear "
                              f"projection has none), but got {self.activation!r}")
        if self.block_type == "pj" and skip:
            raise ConfigError("skip must be false for a pj block (a linear projection has no "
                              "residual), but got true")
        object.__setattr__(self, "expand_ratio", expand_ratio)
        object.__setattr__(self, "se_ratio", se_ratio)
        object.__setattr__(self, "skip", skip)


@dataclass(frozen=True, kw_only=True)
class Arch:
    """A whole network: stem, stages, head, and the input it is defined for.

    Attributes:
        stages: the block stages, in order (at least one).
        stem_channels: output channels of the 3×3 stem convolution.
        head_channels: output channels of the 1×1 head convolution (the feature size).
        resolution: input height = width in pixels.
        num_classes: outputs of the final linear layer.
        dropout: dropout probability before the classifier, in [0, 1).
        drop_path_rate: stochastic-depth scale: block i (0-based, of n) drops its residual
            branch with probability drop_path_rate × i / n, so the first block never drops and
            the last drops with drop_path_rate × (n - 1) / n; blocks without a residual
            connection never drop.
        activation: ``swish`` (SiLU), ``relu``, ``relu6`` or ``hard_swish``.
        stem_stride: stride of the stem convolution: 2 (EfficientNet, at ImageNet sizes) or 1
            (small-image networks such as NAS-Bench-Macro's at 32 px).
    """

    stages: tuple[Stage, ...]
    stem_channels: int = 32
    head_channels: int = 1280
    resolution: int = 224
    num_classes: int = 1000
    dropout: float = 0.2
    drop_path_rate: float = 0.2
    activation: str = "swish"
    stem_stride: int = 2

    def __post_init__(self) -> None:
        if not isinstance(self.stages, (tuple, list)) or not self.stages:
            raise ConfigError(f"stages must be a non-empty list of stages, but got {self.stages!r}")
        for index, stage in enumerate(self.stages, start=1):
            if not isinstance(stage, Stage):
                raise ConfigError(f"stage {index} must be a Stage, but got {stage!r}")
        object.__setattr__(self, "stages", tuple(self.stages))
        check_int("stem_channels", self.stem_channels, minimum=1)
        check_int("head_channels", self.head_channels, minimum=1)
        check_int("resolution", self.resolution, minimum=1)
        check_int("num_classes", self.num_classes, minimum=1)
        object.__setattr__(self, "dropout", check_real(
            "dropout", self.dropout, minimum=0, maximum=1, include_maximum=False))
        object.__setattr__(self, "drop_path_rate", check_real(
            "drop_path_rate", self.drop_path_rate, minimum=0, maximum=1, include_maximum=False))
        if self.activation not in ACTIVATIONS:
            raise ConfigError(
                f"activation must be one of {', '.join(ACTIVATIONS)}, but got {self.activation!r}")
        if not is_int(self.stem_stride) or self.stem_stride not in STEM_STRIDES:
            raise ConfigError(f"stem_stride must be 1 or 2, but got {self.stem_stride!r}")

    @property
    def total_blocks(self) -> int:
        """Number of blocks over all stages."""
        return sum(stage.repeats for stage in self.stages)


def stage_activation(arch: Arch, stage: Stage) -> str:
    """The activation a stage's blocks use: its own, else the network's."""
    return stage.activation or arch.activation


def has_pointwise_expansion(stage: Stage) -> bool:
    """Whether an MBConv block opens with a 1×1 expansion (skipped when expand_ratio is 1)."""
    return stage.block_type == "ir" and stage.expand_ratio != 1


def expanded_channels(stage: Stage, in_channels: int) -> int:
    """Channels inside a block: ``round(in_channels × expand_ratio)``, or ``in_channels`` when
    an MBConv/ds block has no expansion and for ``cn`` (a single convolution, in -> out)."""
    if stage.block_type != "er" and not has_pointwise_expansion(stage):
        return in_channels
    return max(1, round(in_channels * stage.expand_ratio))


def squeeze_channels(in_channels: int, se_ratio: float) -> int:
    """Reduced channels of squeeze-excite, taken from the block input: ``round(in × se_ratio)``."""
    return max(1, round(in_channels * se_ratio))


def has_residual(stage: Stage, in_channels: int, stride: int) -> bool:
    """Whether a block of ``stage`` with this input and stride adds its input to its output
    (``stage.skip`` is already resolved: off by default for ``cn``, on for the others)."""
    return stage.skip and stride == 1 and in_channels == stage.out_channels


def total_stride(arch: Arch) -> int:
    """Input side ÷ final feature-map side for sides divisible by it: the stem's stride times
    every stage's stride (timm calls it the output stride)."""
    stride = arch.stem_stride
    for stage in arch.stages:
        stride *= stage.stride
    return stride


def output_size(size: int, stride: int) -> int:
    """Feature-map side after a 'same'-padded (k // 2) convolution: ``ceil(size / stride)``."""
    return (size - 1) // stride + 1


class Block(NamedTuple):
    """One block of an architecture, in network order, with the input it receives."""

    stage_index: int
    """0-based index of the stage the block belongs to."""
    index: int
    """0-based index of the block over the whole network (drives stochastic depth)."""
    stage: Stage
    in_channels: int
    stride: int


def iter_blocks(arch: Arch) -> Iterator[Block]:
    """Every block of ``arch`` in order: the first of a stage strides, the rest do not."""
    in_channels = arch.stem_channels
    index = 0
    for stage_index, stage in enumerate(arch.stages):
        for repeat in range(stage.repeats):
            yield Block(stage_index, index, stage, in_channels, stage.stride if repeat == 0 else 1)
            in_channels = stage.out_channels
            index += 1
