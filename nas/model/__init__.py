"""PyTorch networks built from architecture configs (no timm, no torchvision)."""

from nas.model._blocks import ConvBnAct, DropPath, FusedMBConv, MBConv, SqueezeExcite
from nas.model._network import EfficientNet, build_model

__all__ = ["ConvBnAct", "DropPath", "FusedMBConv", "MBConv", "SqueezeExcite", "EfficientNet",
           "build_model"]
