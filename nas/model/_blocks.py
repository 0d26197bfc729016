"""PyTorch blocks of the EfficientNet family. Tensors are (batch, channels, height, width).

Every convolution is 'same'-padded (``kernel_size // 2``) and bias-free when followed by batch
norm, so a stride-s layer maps side H to ``ceil(H / s)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from nas.arch import BATCH_NORM_EPS

_ACTIVATIONS = {
    "swish": lambda: nn.SiLU(inplace=True),
    "relu": lambda: nn.ReLU(inplace=True),
    "relu6": lambda: nn.ReLU6(inplace=True),
    "hard_swish": lambda: nn.Hardswish(inplace=True),
}


def make_activation(name: str) -> nn.Module:
    """A fresh activation module for one of :data:`nas.arch.ACTIVATIONS`."""
    return _ACTIVATIONS[name]()


def _recording() -> bool:
    """Whether a tracer, exporter or compiler is recording the forward pass (a branch on a
    tensor's shape would then be fixed in the recorded graph)."""
    return (torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()
            or torch.compiler.is_compiling() or torch.compiler.is_exporting())


class Conv2d(nn.Conv2d):
    """``nn.Conv2d`` with exact shortcuts for 1×1 feature maps (deep stages of small proxies).

    On a 1×1 map a 1×1 convolution is a matrix product (run as ``F.linear``), and a
    'same'-padded depthwise convolution only uses its centre tap (run as an elementwise product
    in training only). Both give the same numbers as the convolution; oneDNN's kernels are very
    slow on such maps. The shortcuts are eager-mode only: while a tracer or exporter records
    the forward pass (``torch.jit.trace``, hence fvcore; ``torch.onnx.export``;
    ``torch.export``; ``torch.compile``) the plain convolution runs, so no shape test is frozen
    into a graph and fvcore counts every layer as a convolution.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _recording() or x.shape[-1] != 1 or x.shape[-2] != 1:
            return super().forward(x)
        if self.groups == 1 and self.kernel_size == (1, 1):
            return F.linear(x.flatten(1), self.weight.flatten(1), self.bias)[:, :, None, None]
        if self.training and self.groups == self.in_channels == self.out_channels:
            centre = self.weight[:, 0, self.kernel_size[0] // 2, self.kernel_size[1] // 2]
            x = x * centre.view(1, -1, 1, 1)
            return x if self.bias is None else x + self.bias.view(1, -1, 1, 1)
        return super().forward(x)


class ConvBnAct(nn.Sequential):
    """Convolution, batch norm and (optionally) an activation."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1,
                 groups: int = 1, activation: str | None) -> None:
        layers = [
            Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                      padding=kernel_size // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out_channels, eps=BATCH_NORM_EPS),
        ]
        if activation is not None:
            layers.append(make_activation(activation))
        super().__init__(*layers)


def fold_batch_norm(model: nn.Module) -> nn.Module:
    """Fold each :class:`ConvBnAct`'s batch norm into its convolution, in place, for inference
    only: the convolution gains the bias, the batch norm becomes an identity, and the outputs in
    eval mode stay the same up to float rounding (torch's ``fuse_conv_bn_eval``). About a
    quarter less time per forward pass of a small proxy on CPU, where batch norm is a memory
    pass of its own. The result can no longer be trained or recalibrated. Returns ``model``,
    in eval mode."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    model.eval()
    for module in model.modules():
        if isinstance(module, ConvBnAct) and isinstance(module[1], nn.BatchNorm2d):
            module[0] = fuse_conv_bn_eval(module[0], module[1])
            module[1] = nn.Identity()
    return model


class SqueezeExcite(nn.Module):
    """Channel attention: global mean, reduce (1×1 conv), activation, expand, sigmoid gate."""

    def __init__(self, channels: int, squeeze_channels: int, activation: str) -> None:
        super().__init__()
        self.reduce = Conv2d(channels, squeeze_channels, 1, bias=True)
        self.activation = make_activation(activation)
        self.expand = Conv2d(squeeze_channels, channels, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = x.mean((2, 3), keepdim=True)
        scale = self.expand(self.activation(self.reduce(scale)))
        return x * scale.sigmoid()


class DropPath(nn.Module):
    """Stochastic depth: in training, zero a sample's residual branch with probability ``rate``
    and scale the kept ones by 1 / (1 - rate), so the expected output is unchanged; the
    identity in eval mode."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return x
        keep = 1 - self.rate
        mask = x.new_empty((x.shape[0], 1, 1, 1)).bernoulli_(keep)
        return x * mask.div_(keep)

    def extra_repr(self) -> str:
        return f"rate={self.rate}"


class _Bottleneck(nn.Module):
    """What MBConv and fused-MBConv share after their expansion: squeeze-excite, a linear 1×1
    projection, and the residual with stochastic depth."""

    def _build_tail(self, *, mid_channels: int, out_channels: int,
                    squeeze_channels: int | None, residual: bool, drop_path_rate: float,
                    activation: str) -> None:
        self.squeeze_excite = (SqueezeExcite(mid_channels, squeeze_channels, activation)
                               if squeeze_channels else nn.Identity())
        self.project = ConvBnAct(mid_channels, out_channels, 1, activation=None)
        self.residual = residual
        self.drop_path = DropPath(drop_path_rate) if residual else nn.Identity()


class MBConv(_Bottleneck):
    """Inverted residual (``ir``); with expand ratio 1 it is depthwise-separable (``ds``)."""

    def __init__(self, *, in_channels: int, out_channels: int, mid_channels: int, kernel_size: int,
                 stride: int, squeeze_channels: int | None, residual: bool, drop_path_rate: float,
                 activation: str, expand: bool) -> None:
        super().__init__()
        self.expand = (ConvBnAct(in_channels, mid_channels, 1, activation=activation)
                       if expand else nn.Identity())
        self.depthwise = ConvBnAct(mid_channels, mid_channels, kernel_size, stride=stride,
                                   groups=mid_channels, activation=activation)
        self._build_tail(mid_channels=mid_channels, out_channels=out_channels,
                         squeeze_channels=squeeze_channels, residual=residual,
                         drop_path_rate=drop_path_rate, activation=activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.expand(x)  # 1×1 expand (identity when expand ratio is 1)
        x = self.depthwise(x)  # k×k depthwise, carries the stride
        x = self.squeeze_excite(x)
        x = self.project(x)  # 1×1 linear projection
        if self.residual:
            x = self.drop_path(x) + shortcut
        return x


class FusedMBConv(_Bottleneck):
    """Fused-MBConv (``er``, EfficientNetV2): a full k×k expand conv instead of 1×1 + depthwise."""

    def __init__(self, *, in_channels: int, out_channels: int, mid_channels: int, kernel_size: int,
                 stride: int, squeeze_channels: int | None, residual: bool, drop_path_rate: float,
                 activation: str) -> None:
        super().__init__()
        self.expand = ConvBnAct(in_channels, mid_channels, kernel_size, stride=stride,
                                activation=activation)
        self._build_tail(mid_channels=mid_channels, out_channels=out_channels,
                         squeeze_channels=squeeze_channels, residual=residual,
                         drop_path_rate=drop_path_rate, activation=activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.expand(x)  # k×k full convolution, carries the stride
        x = self.squeeze_excite(x)
        x = self.project(x)  # 1×1 linear projection
        if self.residual:
            x = self.drop_path(x) + shortcut
        return x


class ConvBlock(nn.Module):
    """Plain convolution (``cn``, timm's ``ConvBnAct`` block; EfficientNetV2's first stage): one
    k×k convolution, batch norm and activation, then the optional residual with stochastic
    depth (added after the activation, as in timm)."""

    def __init__(self, *, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 residual: bool, drop_path_rate: float, activation: str) -> None:
        super().__init__()
        self.conv = ConvBnAct(in_channels, out_channels, kernel_size, stride=stride,
                              activation=activation)
        self.residual = residual
        self.drop_path = DropPath(drop_path_rate) if residual else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.conv(x)  # k×k convolution, batch norm, activation; carries the stride
        if self.residual:
            x = self.drop_path(x) + shortcut
        return x
