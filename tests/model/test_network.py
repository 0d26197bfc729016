import dataclasses
import random

import pytest
import torch

from nas.arch import EFFICIENTNET_B0, decode
from nas.model import DropPath, FusedMBConv, MBConv, build_model, fold_batch_norm
from tests.conftest import random_arch


def tiny(**changes):
    arch = dataclasses.replace(
        EFFICIENTNET_B0,
        stages=tuple(decode(t) for t in ("ds_r1_k3_s1_e1_c16_se0.25", "ir_r2_k3_s2_e6_c24_se0.25",
                                         "er_r2_k3_s2_e4_c32", "ir_r1_k5_s1_e1_c32_noskip")),
        head_channels=64, resolution=32, num_classes=10)
    return dataclasses.replace(arch, **changes)


def test_forward_shape_for_any_resolution():
    model = build_model(tiny()).eval()
    for side in (1, 17, 32, 33):
        assert model(torch.randn(2, 3, side, side)).shape == (2, 10)


def test_channels_last_gives_the_same_output():
    torch.manual_seed(0)
    model = build_model(tiny()).eval()
    x = torch.randn(4, 3, 32, 32)
    expected = model(x)
    model = model.to(memory_format=torch.channels_last)
    got = model(x.to(memory_format=torch.channels_last))
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


def test_block_structure_follows_the_config():
    model = build_model(tiny())
    blocks = [block for stage in model.stages for block in stage]
    assert [type(block) for block in blocks] == [MBConv, MBConv, MBConv, FusedMBConv,
                                                 FusedMBConv, MBConv]
    ds, first_ir, second_ir, first_er, second_er, noskip = blocks
    assert isinstance(ds.expand, torch.nn.Identity)  # expand ratio 1: no 1×1 expansion
    assert isinstance(first_ir.expand, torch.nn.Sequential)
    assert first_ir.squeeze_excite.reduce.out_channels == 4  # 16 input channels × 0.25
    assert [b.residual for b in blocks] == [False, False, True, False, True, False]
    # stochastic depth: rate × i / n for 0-based block i of n = 6, residual blocks only
    assert second_ir.drop_path.rate == pytest.approx(0.2 * 2 / 6)
    assert second_er.drop_path.rate == pytest.approx(0.2 * 4 / 6)
    assert isinstance(noskip.drop_path, torch.nn.Identity)


def test_initialisation_follows_its_description():
    torch.manual_seed(0)
    model = build_model(tiny(head_channels=512, num_classes=1000))
    assert model.classifier.weight.std().item() == pytest.approx(0.01, rel=0.02)
    assert model.classifier.weight.mean().abs().item() < 1e-3
    assert torch.equal(model.classifier.bias, torch.zeros(1000))
    head = model.head[0]  # 1×1, 512 outputs: fan_out 512
    assert head.weight.std().item() == pytest.approx((2 / 512) ** 0.5, rel=0.02)
    depthwise = model.stages[1][0].depthwise[0]  # 3×3, one group per channel: fan_out 9
    assert depthwise.weight.std().item() == pytest.approx((2 / 9) ** 0.5, rel=0.05)


def test_drop_path_is_identity_in_eval_and_unbiased_in_training():
    torch.manual_seed(0)
    layer = DropPath(0.5)
    x = torch.ones(20000, 1, 1, 1)
    assert torch.equal(layer.eval()(x), x)
    out = layer.train()(x)
    assert set(out.unique().tolist()) == {0.0, 2.0}
    assert out.mean().item() == pytest.approx(1.0, abs=0.05)


def test_training_step_runs_for_random_configs():
    for seed in range(5):
        arch = dataclasses.replace(random_arch(random.Random(seed)), resolution=32)
        model = build_model(arch).train()
        loss = model(torch.randn(3, 3, 32, 32)).logsumexp(1).mean()
        loss.backward()
        assert all(p.grad is not None for p in model.parameters())


def test_reset_classifier_and_features():
    model = build_model(tiny())
    model.reset_classifier(3)
    x = torch.randn(2, 3, 32, 32)
    assert model.forward_features(x).shape == (2, 64)
    assert model(x).shape == (2, 3)


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_tracing_takes_no_shape_shortcut(mode):
    """Traced where the deep stages see 1×1 maps (8 px), the graph holds plain convolutions:
    no TracerWarning from our code, and it gives the eager output for another batch and
    resolution (eval mode: the 1×1-convolution shortcut; training: the depthwise one too)."""
    import warnings
    from pathlib import Path

    import nas

    torch.manual_seed(0)
    model = build_model(tiny(dropout=0.0, drop_path_rate=0.0)).train(mode == "train")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # training: batch norm's running statistics change between trace and check
        traced = torch.jit.trace(model, torch.randn(2, 3, 8, 8), check_trace=mode == "eval")
    tracer_warnings = [w for w in caught if issubclass(w.category, torch.jit.TracerWarning)]
    if mode == "train":  # torch's batch norm tests its batch size in Python when training
        package = Path(nas.__file__).parent
        tracer_warnings = [w for w in tracer_warnings if Path(w.filename).is_relative_to(package)]
    assert not tracer_warnings, [str(w.message) for w in tracer_warnings]
    for shape in ((3, 3, 8, 8), (3, 3, 32, 32)):
        x = torch.randn(shape)
        torch.testing.assert_close(traced(x), model(x), rtol=1e-5, atol=1e-6)


def test_fvcore_counts_1x1_maps_like_the_analytic_count():
    from nas.cost import count
    from tests.conftest import fvcore_flops

    arch = tiny(resolution=8)  # stages 3 and 4 run on 1×1 maps
    assert fvcore_flops(build_model(arch), 8) == count(arch).flops


def test_plain_conv_stages_build_and_residual_ones_start_as_the_identity():
    from nas.model import ConvBlock

    arch = tiny(stages=tuple(decode(t) for t in (
        "cn_r2_k3_s1_e1_c32_skip", "cn_r1_k3_s2_e1_c16", "cn_r1_k5_s1_e1_c16_skip",
        "er_r1_k3_s2_e4_c24")), drop_path_rate=0.2)
    model = build_model(arch)
    blocks = [block for stage in model.stages for block in stage]
    assert [type(block) for block in blocks] == [ConvBlock] * 4 + [FusedMBConv]
    assert [block.residual for block in blocks[:4]] == [True, True, False, True]
    assert blocks[1].drop_path.rate == pytest.approx(0.2 * 1 / 5)
    assert isinstance(blocks[2].drop_path, torch.nn.Identity)
    assert not blocks[2].conv[1].weight.eq(0).any()  # only residual branches start at zero
    x = torch.randn(2, 32, 9, 9)
    for mode in (False, True):
        model.train(mode)
        torch.testing.assert_close(blocks[0](x), x, rtol=0, atol=0)
    model.eval()
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.parametrize("seed", range(6))
def test_folded_batch_norm_gives_the_same_outputs(seed):
    arch = random_arch(random.Random(seed))
    torch.manual_seed(seed)
    model = build_model(arch).eval()
    with torch.no_grad():  # statistics and affine terms away from their initial 0 / 1
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
        images = torch.randn(3, 3, 40, 40)
        expected = model(images)
        folded = fold_batch_norm(model)
        assert folded is model and not model.training
        assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
        assert torch.allclose(model(images), expected, rtol=1e-4, atol=1e-4)
