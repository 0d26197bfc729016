"""PyTorch networks built from architecture configs (no timm, no torchvision), and their ONNX
files checked by onnxruntime."""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_blocks": ["BATCH_NORM_EPS", "Conv2d", "ConvBlock", "ConvBnAct", "DropPath", "FusedMBConv",
                "MBConv", "SqueezeExcite", "fold_batch_norm", "make_activation"],
    "_network": ["EfficientNet", "build_block", "build_model", "initialise_module"],
    "_onnx": ["DEPLOY_INSTALL", "DEPLOY_PACKAGES", "check_onnx", "export_onnx", "onnx_session", "require_deploy"],
})
