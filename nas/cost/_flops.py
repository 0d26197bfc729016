"""Exact FLOPs and parameters of an architecture, from its config alone (no model is built).

FLOPs follow fvcore: ``FlopCountAnalysis(build_model(arch).eval(), zeros(1, 3, R, R)).total()``,
where one fused multiply-add = one FLOP, and only convolutions, linear layers, batch norm
(2 per element in eval mode) and adaptive average pooling (1 per input element) count.
Activations, the squeeze-excite mean, sigmoid gates, residual additions and biases do not.
Parameters are the sum of ``numel()`` over ``model.parameters()``. Both are exact integers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from nas._errors import ConfigError
from nas.arch import (
    Arch,
    encode,
    expanded_channels,
    has_pointwise_expansion,
    iter_blocks,
    output_size,
    squeeze_channels,
)
from nas._checks import check_int

FLOP_UNIT = "fvcore FLOPs (one fused multiply-add = one FLOP)"


@dataclass(frozen=True, kw_only=True)
class StageCost:
    """Cost of one part of the network (``stem``, a stage, or ``head``) for one image."""

    name: str
    block_string: str
    out_channels: int
    repeats: int
    out_size: int
    """Side of the output feature map in pixels."""
    params: int
    flops: int


@dataclass(frozen=True, kw_only=True)
class Cost:
    """Totals and per-part costs of an architecture at one resolution and class count."""

    flops: int
    params: int
    resolution: int
    num_classes: int
    stages: tuple[StageCost, ...]

    def to_dict(self) -> dict:
        """JSON-ready mapping: flops, params, resolution, num_classes, stages."""
        return {
            "flops": self.flops,
            "params": self.params,
            "resolution": self.resolution,
            "num_classes": self.num_classes,
            "flop_unit": FLOP_UNIT,
            "stages": [dataclasses.asdict(stage) for stage in self.stages],
        }


class _Tally:
    """Accumulates conv / batch-norm / SE / linear costs of one part of the network."""

    def __init__(self) -> None:
        self.flops = 0
        self.params = 0

    def conv(self, in_channels: int, out_channels: int, kernel_size: int, out_size: int, *,
             groups: int = 1, bias: bool = False) -> None:
        weights = out_channels * (in_channels // groups) * kernel_size * kernel_size
        self.flops += weights * out_size * out_size
        self.params += weights + (out_channels if bias else 0)

    def batch_norm(self, channels: int, size: int) -> None:
        self.flops += 2 * channels * size * size
        self.params += 2 * channels

    def conv_bn(self, in_channels: int, out_channels: int, kernel_size: int, out_size: int, *,
                groups: int = 1) -> None:
        self.conv(in_channels, out_channels, kernel_size, out_size, groups=groups)
        self.batch_norm(out_channels, out_size)

    def squeeze_excite(self, channels: int, squeeze: int) -> None:
        self.conv(channels, squeeze, 1, 1, bias=True)
        self.conv(squeeze, channels, 1, 1, bias=True)


def _block_cost(tally: _Tally, block, size: int) -> int:
    """Add one block's cost for an input of side ``size``; return the output side."""
    stage, in_channels = block.stage, block.in_channels
    out_size = output_size(size, block.stride)
    if stage.block_type in ("cn", "pj"):  # one k×k convolution and batch norm, nothing else
        tally.conv_bn(in_channels, stage.out_channels, stage.kernel_size, out_size)
        return out_size
    mid = expanded_channels(stage, in_channels)
    if stage.block_type == "er":
        tally.conv_bn(in_channels, mid, stage.kernel_size, out_size)
    else:
        if has_pointwise_expansion(stage):
            tally.conv_bn(in_channels, mid, 1, size)
        tally.conv_bn(mid, mid, stage.kernel_size, out_size, groups=mid)
    if stage.se_ratio:
        tally.squeeze_excite(mid, squeeze_channels(in_channels, stage.se_ratio))
    tally.conv_bn(mid, stage.out_channels, 1, out_size)
    return out_size


def count(arch: Arch, *, resolution: int | None = None, num_classes: int | None = None) -> Cost:
    """FLOPs and parameters of ``arch`` for one ``resolution``×``resolution`` RGB image.

    Args:
        resolution: input side in pixels; defaults to ``arch.resolution``.
        num_classes: classifier outputs; defaults to ``arch.num_classes``.
    """
    resolution = arch.resolution if resolution is None else check_int(
        "resolution", resolution, minimum=1)
    num_classes = arch.num_classes if num_classes is None else check_int(
        "num_classes", num_classes, minimum=1)
    if not isinstance(arch, Arch):
        raise ConfigError(f"arch must be an Arch, but got {type(arch).__name__}")
    rows: list[StageCost] = []

    stem = _Tally()
    size = output_size(resolution, arch.stem_stride)
    stem.conv_bn(3, arch.stem_channels, 3, size)
    rows.append(StageCost(name="stem", block_string=f"conv_k3_s{arch.stem_stride}", out_channels=arch.stem_channels,
                          repeats=1, out_size=size, params=stem.params, flops=stem.flops))

    tallies = [_Tally() for _ in arch.stages]
    sizes = [size] * len(arch.stages)
    for block in iter_blocks(arch):
        size = _block_cost(tallies[block.stage_index], block, size)
        sizes[block.stage_index] = size
    for index, (stage, tally) in enumerate(zip(arch.stages, tallies), start=1):
        rows.append(StageCost(name=f"stage{index}", block_string=encode(stage),
                              out_channels=stage.out_channels, repeats=stage.repeats,
                              out_size=sizes[index - 1], params=tally.params, flops=tally.flops))

    head = _Tally()
    head.conv_bn(arch.stages[-1].out_channels, arch.head_channels, 1, size)
    head.flops += arch.head_channels * size * size  # adaptive average pool: 1 per input element
    head.flops += arch.head_channels * num_classes  # linear
    head.params += arch.head_channels * num_classes + num_classes
    rows.append(StageCost(name="head", block_string="conv_k1_pool_fc", out_channels=num_classes,
                          repeats=1, out_size=1, params=head.params, flops=head.flops))

    return Cost(flops=sum(row.flops for row in rows), params=sum(row.params for row in rows),
                resolution=resolution, num_classes=num_classes, stages=tuple(rows))
