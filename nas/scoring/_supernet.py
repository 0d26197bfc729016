"""A weight-sharing supernet: one network that contains every proxy network of a search space.

Every candidate of a space, mapped to the network a search actually evaluates (its proxy:
:func:`nas.scoring.proxy_arch` at the proxy resolution, width, class count and removed strides),
is a *subnet* of one :class:`Supernet`, which holds for each block position of each stage and
each block type of the stage one block at the largest size the space allows:

- channels (stage widths, expanded channels, squeeze-excite channels): a subnet uses the
  *leading* channels of every weight (Once-for-All's elastic width);
- kernel size: a smaller kernel is the *centre* of the largest (Once-for-All's elastic kernel,
  without its kernel transformation matrices);
- layers per stage: a subnet uses the *first* ``repeats`` blocks of each stage (elastic depth);
- squeeze-excite ratio 0 skips the block's squeeze-excite;
- block type: MBConv (``ir``), depthwise-separable (``ds``: an MBConv with expand ratio 1, no
  expansion), fused-MBConv (``er``) and plain convolution (``cn``) blocks of one position have
  their own weights. ``ds`` is apart from ``ir`` because its depthwise convolution filters the
  block's input, not an expansion of it: shared, the two would pull the same weights towards
  different functions (Once-for-All's expand ratios, 3 to 6, never include 1).

Stem, head and classifier are fixed (the space does not search them). Batch norm keeps one set
of running statistics per layer, shared by every subnet through leading slices; they are only
meaningful after recalibration on the subnet (:func:`nas.scoring.recalibrate_batch_norm`).

:meth:`Supernet.forward` runs a subnet functionally on sliced weights (gradients flow into the
shared tensors); :meth:`Supernet.extract` copies the same slices into an ordinary
:class:`nas.model.EfficientNet`, whose outputs equal the supernet's forward pass on that subnet.
Residual connections follow :func:`nas.arch.has_residual` for the subnet's own channels; the
supernet's forward has no stochastic depth (the extracted network has the subnet's, as built).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from nas._errors import ConfigError
from nas.arch import (
    Arch,
    Stage,
    expanded_channels,
    has_pointwise_expansion,
    has_residual,
    iter_blocks,
    round_channels,
    squeeze_channels,
)
from nas.model import (
    ConvBlock,
    ConvBnAct,
    FusedMBConv,
    MBConv,
    build_model,
    initialise_module,
    make_activation,
)
from nas.scoring._proxy import proxy_arch
from nas.space import Space


def weight_type(stage: Stage) -> str:
    """The weight set a stage's blocks use: ``ds`` for an MBConv without expansion, however it
    is written (``ds``, or ``ir`` with expand ratio 1), else the block type."""
    return "ds" if stage.block_type == "ir" and stage.expand_ratio == 1 else stage.block_type


def weight_types(block_types: tuple[str, ...], expand_ratios: tuple) -> tuple[str, ...]:
    """The weight sets of a stage with these block-type and expand-ratio choices: an ``ir``
    choice needs ``ds`` weights when expand ratio 1 is a choice and ``ir`` weights when a
    larger one is."""
    types = set()
    for block_type in block_types:
        if block_type == "ir":
            types.update(["ds"] if min(expand_ratios) == 1 else [])
            types.update(["ir"] if max(expand_ratios) > 1 else [])
        else:
            types.add(block_type)
    return tuple(sorted(types))


@dataclass(frozen=True)
class Geometry:
    """How a space's candidates map to the networks a supernet holds (the proxy protocol).

    Attributes:
        resolution: input side of the proxy in pixels.
        width: proxy width multiplier (channels scaled and rounded by
            :func:`nas.arch.round_channels`).
        strides_removed: the proxy's first N stride-2 stages run at stride 1.
        num_classes: classifier outputs (the data's classes).
    """

    resolution: int
    width: float
    strides_removed: int
    num_classes: int

    def proxy(self, target: Arch) -> Arch:
        """The network evaluated for ``target`` (an architecture at the space's target)."""
        return proxy_arch(target, num_classes=self.num_classes, resolution=self.resolution,
                          width=self.width, strides_removed=self.strides_removed)


@dataclass(frozen=True)
class StageLimits:
    """The largest block sizes of one stage over the space's choices, in proxy channels."""

    block_types: tuple[str, ...]
    """Weight sets of the stage (``ds``, ``ir``, ``er``, ``cn``: :func:`weight_types`)."""
    stride: int
    repeats: int
    kernel_size: int
    expand_ratio: float
    se_ratio: float
    out_channels: int
    skip: bool


def stage_limits(space: Space, geometry: Geometry) -> tuple[StageLimits, ...]:
    """Per stage, the largest choice of every elastic dimension, after the proxy's width
    rounding (a maximum over each channel option, so no monotonicity is assumed) and with the
    proxy's strides."""
    if space.layer_wise or space.network.get("stem_stride", 2) != 2:
        raise ConfigError(f"space must have per-stage choices and a stride-2 stem for a "
                          f"supernet, but {space.name!r} is layer-wise or has a stride-1 stem: "
                          f"weight sharing over layer menus (one weight set per entry per "
                          f"layer, SPOS-style) is not built yet; search it with trained proxies "
                          f"or a table (--evaluate table:FILE)")
    if any(stage.base.activation not in (None, space.network.get("activation", "swish"))
           for stage in space.stages):
        raise ConfigError(f"space must use the network's activation in every stage for a "
                          f"supernet, but {space.name!r} gives a stage its own (n<act>)")
    baseline = geometry.proxy(space.baseline())
    limits = []
    for stage_space, proxy_stage in zip(space.stages, baseline.stages, strict=True):
        options = stage_space.options
        limits.append(StageLimits(
            block_types=weight_types(options["block_type"], options["expand_ratio"]),
            stride=proxy_stage.stride, repeats=max(options["repeats"]),
            kernel_size=max(options["kernel_size"]), expand_ratio=max(options["expand_ratio"]),
            se_ratio=max(options["se_ratio"]),
            out_channels=max(round_channels(c, geometry.width) for c in options["out_channels"]),
            skip=proxy_stage.skip))
    return tuple(limits)


def _largest_block(limits: StageLimits, block_type: str, in_channels: int, stride: int,
                   activation: str) -> nn.Module:
    """A block of ``block_type`` at the stage's largest sizes for ``in_channels`` inputs (the
    largest the previous stage or this one can give)."""
    stage = Stage(block_type=block_type, repeats=1, kernel_size=limits.kernel_size,
                  stride=stride,
                  expand_ratio=limits.expand_ratio if block_type in ("ir", "er") else 1,
                  out_channels=limits.out_channels,
                  se_ratio=limits.se_ratio if block_type != "cn" else 0, skip=limits.skip)
    if block_type == "cn":
        return ConvBlock(in_channels=in_channels, out_channels=limits.out_channels,
                         kernel_size=limits.kernel_size, stride=stride, residual=False,
                         drop_path_rate=0.0, activation=activation)
    arguments = dict(
        in_channels=in_channels, out_channels=limits.out_channels,
        mid_channels=expanded_channels(stage, in_channels), kernel_size=limits.kernel_size,
        stride=stride, residual=False, drop_path_rate=0.0, activation=activation,
        squeeze_channels=(squeeze_channels(in_channels, limits.se_ratio)
                          if limits.se_ratio else None))
    if block_type == "er":
        return FusedMBConv(**arguments)
    return MBConv(**arguments, expand=has_pointwise_expansion(stage))


class Supernet(nn.Module):
    """Every proxy network of ``space`` under ``geometry`` in one module (see the module
    docstring). Input: images (batch, 3, H, W); output: logits (batch, num_classes)."""

    def __init__(self, space: Space, geometry: Geometry) -> None:
        super().__init__()
        self.space, self.geometry = space, geometry
        self.limits = stage_limits(space, geometry)
        baseline = geometry.proxy(space.baseline())
        self.activation_name = baseline.activation
        self.stem_channels, self.head_channels = baseline.stem_channels, baseline.head_channels
        self.stem = ConvBnAct(3, self.stem_channels, 3, stride=2, activation=self.activation_name)
        stages, in_channels = [], self.stem_channels
        for limits in self.limits:
            blocks = []
            for position in range(limits.repeats):
                stride = limits.stride if position == 0 else 1
                blocks.append(nn.ModuleDict({
                    block_type: _largest_block(limits, block_type, in_channels, stride,
                                               self.activation_name)
                    for block_type in limits.block_types}))
                in_channels = limits.out_channels
            stages.append(nn.ModuleList(blocks))
        self.stages = nn.ModuleList(stages)
        self.head = ConvBnAct(in_channels, self.head_channels, 1, activation=self.activation_name)
        self.classifier = nn.Linear(self.head_channels, geometry.num_classes)
        self._activation = make_activation(self.activation_name)
        self.apply(initialise_module)  # EfficientNet's initialisation
        for limits, stage in zip(self.limits, self.stages):
            if not limits.skip:  # no residual: a zero scale would make the stage dead
                continue
            for position in stage[1:]:  # residual in every subnet: starts as the identity,
                for module in position.values():  # as in nas.model
                    norm = module.conv[1] if isinstance(module, ConvBlock) else module.project[1]
                    nn.init.zeros_(norm.weight)

    # -- subnets -------------------------------------------------------------------------------

    def check_subnet(self, arch: Arch) -> None:
        """Raise :class:`ConfigError` unless ``arch`` (a proxy network) is a subnet."""
        if len(arch.stages) != len(self.limits):
            raise ConfigError(f"a subnet must have {len(self.limits)} stages, but got "
                              f"{len(arch.stages)}")
        fixed = {"stem_channels": self.stem_channels, "head_channels": self.head_channels,
                 "num_classes": self.geometry.num_classes, "activation": self.activation_name}
        for name, value in fixed.items():
            if getattr(arch, name) != value:
                raise ConfigError(f"a subnet's {name} must be {value}, but got "
                                  f"{getattr(arch, name)!r}")
        for index, (stage, limits) in enumerate(zip(arch.stages, self.limits), start=1):
            sizes = {"repeats": limits.repeats, "kernel_size": limits.kernel_size,
                     "expand_ratio": limits.expand_ratio, "se_ratio": limits.se_ratio,
                     "out_channels": limits.out_channels}
            problems = [f"{name} at most {limit}" for name, limit in sizes.items()
                        if getattr(stage, name) > limit]
            if weight_type(stage) not in limits.block_types:
                problems.append(f"block type among {', '.join(limits.block_types)}")
            if stage.stride != limits.stride:
                problems.append(f"stride {limits.stride}")
            if problems:
                raise ConfigError(f"stage {index} of a subnet must have "
                                  f"{'; '.join(problems)}, but got {stage}")

    def largest(self) -> Arch:
        """The largest subnet: every elastic dimension at its maximum, each stage with the
        block type of the space's baseline (``ir`` for a ``ds`` base with larger expand
        ratios)."""
        return self._extreme(maximum=True)

    def smallest(self) -> Arch:
        """The smallest subnet: every elastic dimension at its minimum, baseline block types."""
        return self._extreme(maximum=False)

    def extreme_params(self, *, maximum: bool) -> dict:
        """The space's parameters of the largest (``maximum``) or the smallest subnet."""
        pick = max if maximum else min
        values = {}
        for index, stage in enumerate(self.space.stages, start=1):
            base = stage.baseline_values()
            for field, options in stage.options.items():
                values[f"stage{index}.{field}"] = (base[field] if field == "block_type"
                                                   else pick(options))
        parameters = self.space.parameters()
        return {name: value for name, value in values.items() if name in parameters}

    def _extreme(self, *, maximum: bool) -> Arch:
        return self.geometry.proxy(self.space.arch(self.extreme_params(maximum=maximum)))

    # -- forward on sliced weights -------------------------------------------------------------

    def forward(self, images: torch.Tensor, arch: Arch) -> torch.Tensor:
        """Logits (batch, num_classes) of subnet ``arch`` (a proxy network of the space,
        see :meth:`check_subnet`) on ``images`` (batch, 3, H, W)."""
        x = self._conv_bn(self.stem, images, self.stem_channels, stride=2, act=True)
        for block, position in _positions(arch):
            module = self.stages[block.stage_index][position]
            x = self._block(module[weight_type(block.stage)], block, x)
        x = self._conv_bn(self.head, x, self.head_channels, act=True)
        x = x.mean((2, 3))
        x = F.dropout(x, arch.dropout, self.training)
        return F.linear(x, self.classifier.weight, self.classifier.bias)

    def _block(self, module: nn.Module, block, x: torch.Tensor) -> torch.Tensor:
        stage, in_channels = block.stage, x.shape[1]
        shortcut = x
        if stage.block_type == "cn":
            x = self._conv_bn(module.conv, x, stage.out_channels, kernel=stage.kernel_size,
                              stride=block.stride, act=True)
        else:
            mid = expanded_channels(stage, in_channels)
            if stage.block_type == "er":
                x = self._conv_bn(module.expand, x, mid, kernel=stage.kernel_size,
                                  stride=block.stride, act=True)
            else:
                if has_pointwise_expansion(stage):
                    x = self._conv_bn(module.expand, x, mid, act=True)
                x = self._conv_bn(module.depthwise, x, mid, kernel=stage.kernel_size,
                                  stride=block.stride, act=True, depthwise=True)
            if stage.se_ratio:
                x = self._squeeze_excite(module.squeeze_excite, x,
                                         squeeze_channels(in_channels, stage.se_ratio))
            x = self._conv_bn(module.project, x, stage.out_channels, act=False)
        if has_residual(stage, in_channels, block.stride):
            x = x + shortcut
        return x

    def _conv_bn(self, layers: nn.Sequential, x: torch.Tensor, out_channels: int, *,
                 kernel: int | None = None, stride: int = 1, act: bool,
                 depthwise: bool = False) -> torch.Tensor:
        conv, norm = layers[0], layers[1]
        weight = conv.weight[:out_channels] if depthwise else \
            conv.weight[:out_channels, :x.shape[1]]
        weight = centre(weight, kernel or conv.kernel_size[0])
        x = F.conv2d(x, weight, None, stride, weight.shape[-1] // 2, 1,
                     out_channels if depthwise else 1)
        x = F.batch_norm(x, norm.running_mean[:out_channels], norm.running_var[:out_channels],
                         norm.weight[:out_channels], norm.bias[:out_channels],
                         self.training, norm.momentum or 0.0, norm.eps)
        return self._activation(x) if act else x

    def _squeeze_excite(self, module: nn.Module, x: torch.Tensor,
                        squeezed: int) -> torch.Tensor:
        channels = x.shape[1]
        scale = x.mean((2, 3), keepdim=True)
        scale = F.conv2d(scale, module.reduce.weight[:squeezed, :channels],
                         module.reduce.bias[:squeezed])
        scale = F.conv2d(self._activation(scale), module.expand.weight[:channels, :squeezed],
                         module.expand.bias[:channels])
        return x * scale.sigmoid()

    # -- extraction ----------------------------------------------------------------------------

    def extract(self, arch: Arch) -> nn.Module:
        """Subnet ``arch`` as an ordinary :class:`nas.model.EfficientNet` holding copies of the
        supernet's weights and batch-norm statistics (same outputs as ``self(x, arch)`` in the
        same mode, up to float rounding), on the supernet's device."""
        self.check_subnet(arch)
        model = build_model(arch)
        shared = self.state_dict()
        types = {(block.stage_index, position): weight_type(block.stage)
                 for block, position in _positions(arch)}
        state = {}
        for name, tensor in model.state_dict().items():
            source = name
            parts = name.split(".")
            if parts[0] == "stages":  # stages.<stage>.<position>.<rest> gains the block type
                block_type = types[int(parts[1]), int(parts[2])]
                source = ".".join(["stages", parts[1], parts[2], block_type, *parts[3:]])
            state[name] = fit_shape(shared[source], tensor.shape)
        model.load_state_dict(state)
        return model.to(next(self.parameters()).device)


def _positions(arch: Arch):
    """Every block of ``arch`` with its 0-based position within its stage."""
    for block in iter_blocks(arch):
        yield block, block.index - sum(stage.repeats for stage in arch.stages[:block.stage_index])


def centre(weight: torch.Tensor, kernel: int) -> torch.Tensor:
    """The centre ``kernel`` × ``kernel`` taps of a convolution weight (out, in, K, K)."""
    start = (weight.shape[-1] - kernel) // 2
    return weight[..., start:start + kernel, start:start + kernel]


def fit_shape(source: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """A copy of the part of a supernet tensor that a subnet uses: leading entries along the
    channel dimensions, the centre along the two kernel dimensions of a convolution weight."""
    if source.ndim == 0:
        return source.clone()
    if source.ndim == 4:
        source = centre(source, shape[-1])
    index = tuple(slice(0, size) for size in shape[:2])
    return source[index].clone()


def supernet_state(supernet: Supernet) -> dict:
    """Shapes of the supernet for its file: space name and fingerprint, geometry."""
    return {"space": supernet.space.name, "space_fingerprint": supernet.space.fingerprint,
            "geometry": dataclasses.asdict(supernet.geometry)}
