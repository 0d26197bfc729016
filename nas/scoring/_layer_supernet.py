"""A weight-sharing supernet for layer-wise spaces (every stage chooses its layers from menus):
one weight set per menu entry per layer, as SPOS, FairNAS and NAS-Bench-Macro's own supernets
hold them.

Every layer of the space holds one ordinary block (:func:`nas.model.build_block`) per entry of
its menu, at the layer's stride and the stage's channels; ``skip`` holds the ``pj`` projection
where the layer changes stride or width, and nothing where it keeps the shape. A subnet runs
its layers' chosen blocks in order, between a fixed stem, head and classifier. Batch norm keeps
running statistics per block, meaningful only after recalibration on the subnet.

A candidate reaches the supernet as an :class:`~nas.arch.Arch`, in which skipped layers inside
a stage have vanished (1,0,1 and 1,1,0 build one network). Its layers are assigned to the
*first* positions of each stage, the rest skipped: how NAS-Bench-Macro's authors trained each
network once (identities moved after a stage's other layers). :meth:`LayerSupernet.extract`
copies the chosen blocks' weights into an ordinary :class:`nas.model.EfficientNet`, whose
outputs equal :meth:`LayerSupernet.forward` on that subnet. The proxy geometry (width, removed
strides) applies to the layers as :func:`nas.scoring.proxy_arch` applies it to a candidate.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import nn

from nas._errors import ConfigError
from nas.arch import Arch, Block, decode_entry, encode_entry, iter_blocks, round_channels
from nas.model import ConvBnAct, build_block, build_model, initialise_module
from nas.space import SKIP, LayerStageSpace, Space, skip_projection


def module_key(entry: str) -> str:
    """A menu entry as a ModuleDict key (no dots: ``se0.25`` -> ``se0p25``)."""
    return entry.replace(".", "p")


def _entry_size(entry: str) -> tuple:
    """Orders a layer's entries from the cheapest (skip) to the largest block."""
    if entry == SKIP:
        return (0,)
    stage = decode_entry(entry, stride=1, out_channels=1)
    return (1, stage.expand_ratio, stage.kernel_size, stage.se_ratio, entry)


def _proxy_stages(space: Space, geometry) -> list[LayerStageSpace]:
    """The space's stages at the proxy geometry, as :func:`nas.scoring.proxy_arch` maps a
    candidate: channels scaled by the width (:func:`nas.arch.round_channels`), the first
    ``strides_removed`` stride-2 stages at stride 1."""
    stages, removed = [], 0
    for stage in space.stages:
        stride = stage.stride
        if stride == 2 and removed < geometry.strides_removed:
            stride, removed = 1, removed + 1
        channels = (stage.out_channels if geometry.width == 1
                    else round_channels(stage.out_channels, geometry.width))
        stages.append(dataclasses.replace(stage, stride=stride, out_channels=channels))
    return stages


class LayerSupernet(nn.Module):
    """Every proxy network of a layer-wise ``space`` under ``geometry`` in one module. Input:
    images (batch, 3, H, W); output: logits (batch, num_classes)."""

    def __init__(self, space: Space, geometry) -> None:
        super().__init__()
        if not all(isinstance(stage, LayerStageSpace) for stage in space.stages):
            raise ConfigError(f"a layer-wise supernet needs every stage of the space to be "
                              f"layer-wise, but {space.name!r} mixes per-stage choices in")
        self.space, self.geometry = space, geometry
        self.stages = _proxy_stages(space, geometry)
        baseline = geometry.proxy(space.baseline())
        self.fixed = {"stem_channels": baseline.stem_channels,
                      "head_channels": baseline.head_channels, "stem_stride": baseline.stem_stride,
                      "num_classes": geometry.num_classes, "activation": baseline.activation}
        self.stem = ConvBnAct(3, baseline.stem_channels, 3, stride=baseline.stem_stride,
                              activation=baseline.activation)
        self.layers = nn.ModuleList()
        self.positions: list[tuple[int, int, int, int]] = []
        """Per layer: (stage index, layer index in the stage, stride, in_channels)."""
        in_channels = baseline.stem_channels
        for stage_index, stage in enumerate(self.stages):
            for layer, menu in enumerate(stage.menus):
                stride = stage.stride if layer == 0 else 1
                blocks = nn.ModuleDict()
                for entry in menu:
                    built = self._layer_stage(stage, entry, stride, in_channels)
                    if built is not None:
                        blocks[module_key(entry)] = build_block(
                            baseline, Block(0, 0, built, in_channels, stride))
                self.layers.append(blocks)
                self.positions.append((stage_index, layer, stride, in_channels))
                in_channels = stage.out_channels
        self.head = ConvBnAct(in_channels, baseline.head_channels, 1,
                              activation=baseline.activation)
        self.classifier = nn.Linear(baseline.head_channels, geometry.num_classes)
        self.dropout_rate = baseline.dropout
        self.apply(initialise_module)

    @staticmethod
    def _layer_stage(stage: LayerStageSpace, entry: str, stride: int, in_channels: int):
        """The one-layer stage an entry builds at a position, or None for an absent skip."""
        if entry != SKIP:
            return decode_entry(entry, stride=stride, out_channels=stage.out_channels)
        if stride == 1 and in_channels == stage.out_channels:
            return None
        return skip_projection(stride=stride, out_channels=stage.out_channels)

    # -- subnets -------------------------------------------------------------------------------

    def choices(self, arch: Arch) -> list[str]:
        """The entry of every layer of the space for subnet ``arch`` (a proxy network), its
        layers at the first positions of each stage; raises :class:`ConfigError` unless it is a
        subnet."""
        for name, value in self.fixed.items():
            if getattr(arch, name) != value:
                raise ConfigError(f"a subnet's {name} must be {value}, but got "
                                  f"{getattr(arch, name)!r}")
        blocks = list(iter_blocks(arch))
        chosen, at = [], 0
        for stage in self.stages:
            kept = []
            while (at < len(blocks) and len(kept) < len(stage.menus)
                   and blocks[at].stage.out_channels == stage.out_channels
                   and blocks[at].stride == (stage.stride if not kept else 1)):
                block = blocks[at].stage
                kept.append(SKIP if block.block_type == "pj" else encode_entry(
                    dataclasses.replace(block, repeats=1)))
                at += 1
            for layer, menu in enumerate(stage.menus):
                entry = kept[layer] if layer < len(kept) else SKIP
                if entry not in menu:
                    raise ConfigError(f"a subnet's layers must come from the space's menus, but "
                                      f"got {entry!r} where the menu is {list(menu)}")
                chosen.append(entry)
        if at != len(blocks):
            raise ConfigError(f"a subnet must be a network of space {self.space.name!r}, but "
                              f"block {at + 1} of {len(blocks)} fits no layer")
        return chosen

    def check_subnet(self, arch: Arch) -> None:
        self.choices(arch)

    def extreme_params(self, *, maximum: bool) -> dict[str, str]:
        """The space's parameters of the largest (``maximum``) or the smallest subnet."""
        pick = max if maximum else min
        return {name: pick(options, key=_entry_size)
                for name, options in self.space.parameters().items()}

    def largest(self) -> Arch:
        """Every layer at its largest entry (by expand ratio, then kernel, then SE)."""
        return self.geometry.proxy(self.space.arch(self.extreme_params(maximum=True)))

    def smallest(self) -> Arch:
        """Every layer at its smallest entry (skip where the menu has it)."""
        return self.geometry.proxy(self.space.arch(self.extreme_params(maximum=False)))

    def placed(self, params: dict[str, str]) -> list[str]:
        """Every layer's entry for the space's ``params``, each skip where it was drawn
        (unlike the network they build, in which a stage's layers come first)."""
        return [entry for number, stage in enumerate(self.space.stages, start=1)
                for entry in stage.entries(number, params, space=self.space.name)]

    # -- forward -------------------------------------------------------------------------------

    def forward(self, images: torch.Tensor, arch: Arch | list[str]) -> torch.Tensor:
        """Logits (batch, num_classes) of subnet ``arch`` on ``images`` (batch, 3, H, W);
        ``arch`` may also be every layer's entry in place (:meth:`placed`)."""
        x = self.stem(images)
        entries = arch if isinstance(arch, list) else self.choices(arch)
        for blocks, entry in zip(self.layers, entries, strict=True):
            key = module_key(entry)
            if key in blocks:  # an absent skip passes x through
                x = blocks[key](x)
        x = self.head(x).mean((2, 3))
        x = F.dropout(x, self.dropout_rate, self.training)
        return self.classifier(x)

    def extract(self, arch: Arch) -> nn.Module:
        """Subnet ``arch`` as an ordinary :class:`nas.model.EfficientNet` holding copies of the
        chosen blocks' weights and statistics (same outputs as ``self(x, arch)`` in the same
        mode), on the supernet's device."""
        chosen = self.choices(arch)
        model = build_model(arch)
        modules = [blocks[module_key(entry)] for blocks, entry in zip(self.layers, chosen)
                   if module_key(entry) in blocks]
        built = [block for stage in model.stages for block in stage]
        for target, source in zip(built, modules, strict=True):
            target.load_state_dict(source.state_dict())
        for name in ("stem", "head", "classifier"):
            getattr(model, name).load_state_dict(getattr(self, name).state_dict())
        return model.to(next(self.parameters()).device)
