import copy

import pytest
import torch
from torch import nn

from nas.model import Conv2d, ConvBlock, FusedMBConv, MBConv


def with_plain_convolutions(module: nn.Module) -> nn.Module:
    """A copy of ``module`` whose every :class:`Conv2d` is a plain ``nn.Conv2d`` holding the
    same weights (no 1×1-map shortcuts)."""
    reference = copy.deepcopy(module)
    for parent in list(reference.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, Conv2d):
                plain = nn.Conv2d(child.in_channels, child.out_channels, child.kernel_size,
                                  stride=child.stride, padding=child.padding,
                                  groups=child.groups, bias=child.bias is not None)
                plain.load_state_dict(child.state_dict())
                setattr(parent, name, plain.to(child.weight.dtype))
    assert not any(isinstance(m, Conv2d) for m in reference.modules())
    return reference


BLOCKS = {
    "ir expand, k3 depthwise, squeeze-excite, residual": lambda: MBConv(
        in_channels=16, out_channels=16, mid_channels=64, kernel_size=3, stride=1,
        squeeze_channels=4, residual=True, drop_path_rate=0.0, activation="swish", expand=True),
    "ds k5 depthwise, stride 2": lambda: MBConv(
        in_channels=24, out_channels=32, mid_channels=24, kernel_size=5, stride=2,
        squeeze_channels=None, residual=False, drop_path_rate=0.0, activation="relu",
        expand=False),
    "er k3 full convolution, squeeze-excite, residual": lambda: FusedMBConv(
        in_channels=16, out_channels=16, mid_channels=48, kernel_size=3, stride=1,
        squeeze_channels=4, residual=True, drop_path_rate=0.0, activation="hard_swish"),
    "cn k3 plain convolution, residual": lambda: ConvBlock(
        in_channels=16, out_channels=16, kernel_size=3, stride=1, residual=True,
        drop_path_rate=0.0, activation="relu6"),
    "cn k1 plain convolution, stride 2": lambda: ConvBlock(
        in_channels=16, out_channels=24, kernel_size=1, stride=2, residual=False,
        drop_path_rate=0.0, activation="swish"),
}


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("name", list(BLOCKS))
def test_shortcuts_on_1x1_maps_equal_the_convolutions(name, mode):
    torch.manual_seed(0)
    block = BLOCKS[name]().double()
    for module in block.modules():  # batch-norm statistics that are not the identity
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.uniform_(module.bias, -0.5, 0.5)
    reference = with_plain_convolutions(block)
    block.train(mode == "train")
    reference.train(mode == "train")
    in_channels = next(m for m in block.modules() if isinstance(m, Conv2d)).in_channels
    x = torch.randn(6, in_channels, 1, 1, dtype=torch.float64)
    x_reference = x.clone().requires_grad_()
    x.requires_grad_()
    out, expected = block(x), reference(x_reference)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-6)
    out.square().sum().backward()
    expected.square().sum().backward()
    torch.testing.assert_close(x.grad, x_reference.grad, rtol=0, atol=1e-6)
    gradients = dict(reference.named_parameters())
    for parameter_name, parameter in block.named_parameters():
        torch.testing.assert_close(parameter.grad, gradients[parameter_name].grad, rtol=0,
                                   atol=1e-6)


def test_plain_conv_block_is_conv_norm_activation_then_residual():
    torch.manual_seed(0)
    block = ConvBlock(in_channels=8, out_channels=8, kernel_size=3, stride=1, residual=True,
                      drop_path_rate=0.5, activation="relu").eval()
    conv, norm, activation = block.conv
    assert (conv.kernel_size, conv.stride, conv.groups, conv.bias) == ((3, 3), (1, 1), 1, None)
    assert isinstance(activation, nn.ReLU) and block.drop_path.rate == 0.5
    x = torch.randn(2, 8, 5, 5)
    expected = torch.relu(norm(nn.functional.conv2d(x, conv.weight, padding=1))) + x
    torch.testing.assert_close(block(x), expected)
    plain = ConvBlock(in_channels=8, out_channels=16, kernel_size=3, stride=2, residual=False,
                      drop_path_rate=0.5, activation="relu")
    assert isinstance(plain.drop_path, nn.Identity)
    assert plain(x).shape == (2, 16, 3, 3)
