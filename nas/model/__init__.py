"""PyTorch networks built from architecture configs (no timm, no torchvision)."""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_blocks": ["Conv2d", "ConvBnAct", "DropPath", "FusedMBConv", "MBConv", "SqueezeExcite"],
    "_network": ["EfficientNet", "build_model"],
})
