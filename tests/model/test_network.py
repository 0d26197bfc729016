import dataclasses
import random

import pytest
import torch

from nas.arch import EFFICIENTNET_B0, decode
from nas.model import DropPath, FusedMBConv, MBConv, build_model
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
