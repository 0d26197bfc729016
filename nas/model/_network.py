"""Build a PyTorch network from an :class:`~nas.arch.Arch` (the builder only reads the config)."""

from __future__ import annotations

import math

import torch
from torch import nn

from nas.arch import (
    Arch,
    expanded_channels,
    has_pointwise_expansion,
    has_residual,
    iter_blocks,
    squeeze_channels,
    stage_activation,
)
from nas.model._blocks import ConvBlock, ConvBnAct, FusedMBConv, MBConv


class EfficientNet(nn.Module):
    """Stem -> stages of blocks -> head -> classifier.

    Input: images (batch, 3, H, W), any H, W >= 1 (``arch.resolution`` is the nominal size).
    Output: logits (batch, num_classes).
    """

    def __init__(self, arch: Arch) -> None:
        super().__init__()
        self.arch = arch
        self.stem = ConvBnAct(3, arch.stem_channels, 3, stride=arch.stem_stride,
                              activation=arch.activation)
        stages: list[list[nn.Module]] = [[] for _ in arch.stages]
        for block in iter_blocks(arch):
            stages[block.stage_index].append(_make_block(arch, block))
        self.stages = nn.Sequential(*(nn.Sequential(*blocks) for blocks in stages))
        self.head = ConvBnAct(arch.stages[-1].out_channels, arch.head_channels, 1,
                              activation=arch.activation)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(arch.dropout)
        self.classifier = nn.Linear(arch.head_channels, arch.num_classes)
        self.apply(initialise_module)
        for module in self.modules():
            # residual branches start at zero, so every block starts as the identity
            if isinstance(module, (MBConv, FusedMBConv)) and module.residual:
                nn.init.zeros_(module.project[1].weight)
            elif isinstance(module, ConvBlock) and module.residual:
                # batch norm gives 0 and every activation maps 0 to 0
                nn.init.zeros_(module.conv[1].weight)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Images (batch, 3, H, W) -> pooled features (batch, head_channels)."""
        x = self.stem(x)
        x = self.stages(x)
        x = self.head(x)
        return self.pool(x).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.forward_features(x)))

    def freeze_features(self) -> None:
        """Train only the classifier: feature weights stop learning and batch-norm statistics
        stay fixed (the features run in eval mode even while the model trains)."""
        self.features_frozen = True
        for name, parameter in self.named_parameters():
            if not name.startswith("classifier."):
                parameter.requires_grad_(False)
        self.train(self.training)

    def train(self, mode: bool = True) -> EfficientNet:
        super().train(mode)
        if getattr(self, "features_frozen", False):
            for part in (self.stem, self.stages, self.head):
                part.eval()
        return self

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the classifier with a freshly initialised one for ``num_classes`` outputs."""
        self.classifier = nn.Linear(self.arch.head_channels, num_classes)
        initialise_module(self.classifier)


def _make_block(arch: Arch, block) -> nn.Module:
    """The module of one block. Its stochastic-depth rate is ``arch.drop_path_rate × i / n``
    for 0-based block index i of n blocks (0 for the first block, ``drop_path_rate × (n - 1)
    / n`` for the last); only blocks with a residual connection use it."""
    stage = block.stage
    arguments = dict(
        in_channels=block.in_channels,
        out_channels=stage.out_channels,
        kernel_size=stage.kernel_size,
        stride=block.stride,
        residual=has_residual(stage, block.in_channels, block.stride),
        drop_path_rate=arch.drop_path_rate * block.index / arch.total_blocks,
        activation=stage_activation(arch, stage),
    )
    if stage.block_type == "cn":
        return ConvBlock(**arguments)
    if stage.block_type == "pj":  # linear projection: convolution and batch norm only
        return ConvBnAct(block.in_channels, stage.out_channels, stage.kernel_size,
                         stride=block.stride, activation=None)
    arguments.update(
        mid_channels=expanded_channels(stage, block.in_channels),
        squeeze_channels=(squeeze_channels(block.in_channels, stage.se_ratio)
                          if stage.se_ratio else None),
    )
    if stage.block_type == "er":
        return FusedMBConv(**arguments)
    return MBConv(**arguments, expand=has_pointwise_expansion(stage))


def initialise_module(module: nn.Module) -> None:
    """Initialise one module in place: convolution weights ~ normal with mean 0 and standard
    deviation sqrt(2 / fan_out), fan_out = kernel height × kernel width × out_channels / groups
    (EfficientNet's); linear weights ~ normal with mean 0 and standard deviation 0.01; biases
    0; batch-norm scale 1 and shift 0."""
    if isinstance(module, nn.Conv2d):
        fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels
        fan_out //= module.groups
        nn.init.normal_(module.weight, 0.0, math.sqrt(2.0 / fan_out))
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.01)
        nn.init.zeros_(module.bias)


def build_block(arch: Arch, block) -> nn.Module:
    """The module of one block of ``arch`` (a :class:`nas.arch.Block` from
    :func:`nas.arch.iter_blocks`), exactly as :class:`EfficientNet` builds it; input
    (batch, block.in_channels, H, W), output (batch, stage.out_channels, ceil(H / stride),
    ceil(W / stride)). Used to time blocks alone (:class:`nas.cost.LatencyTable`)."""
    return _make_block(arch, block)


def build_model(arch: Arch) -> EfficientNet:
    """A freshly initialised :class:`EfficientNet` for ``arch``."""
    return EfficientNet(arch)
