import random

import pytest
import torch

from nas.arch import EFFICIENTNET_B0, PRESET_NAMES, preset
from nas.cost import count
from nas.model import build_model
from tests.conftest import REFERENCE, fvcore_flops, random_arch


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_presets_match_reference_exactly(name):
    cost = count(preset(name))
    assert (cost.params, cost.flops) == (REFERENCE["models"][name]["params"],
                                          REFERENCE["models"][name]["flops"])


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_presets_match_fvcore_and_numel(name):
    arch = preset(name)
    model = build_model(arch)
    cost = count(arch)
    assert cost.params == sum(p.numel() for p in model.parameters())
    assert cost.flops == fvcore_flops(model, arch.resolution)


@pytest.mark.parametrize("seed", range(200))
def test_random_configs_match_fvcore_and_numel(seed):
    arch = random_arch(random.Random(seed))
    model = build_model(arch)
    cost = count(arch)
    assert cost.params == sum(p.numel() for p in model.parameters()), arch
    assert cost.flops == fvcore_flops(model, arch.resolution), arch


def test_random_configs_cover_the_space():
    arches = [random_arch(random.Random(seed)) for seed in range(200)]
    stages = [stage for arch in arches for stage in arch.stages]
    assert {s.block_type for s in stages} == {"ds", "ir", "er"}
    assert {s.kernel_size for s in stages} == {3, 5, 7}
    assert {s.expand_ratio for s in stages} == {1.0, 3.0, 4.0, 6.0}
    assert {s.se_ratio for s in stages} == {0.0, 0.25}
    assert {s.stride for s in stages} == {1, 2}
    resolutions = {arch.resolution for arch in arches}
    assert any(r % 2 for r in resolutions) and any(r % 2 == 0 for r in resolutions)
    assert min(resolutions) < 40 and max(resolutions) > 500
    assert len({arch.num_classes for arch in arches}) >= 5


def test_overrides_and_stage_rows():
    cost = count(EFFICIENTNET_B0, resolution=32, num_classes=10)
    assert (cost.resolution, cost.num_classes) == (32, 10)
    assert [row.name for row in cost.stages] == ["stem", *(f"stage{i}" for i in range(1, 8)),
                                                 "head"]
    assert [row.out_size for row in cost.stages] == [16, 16, 8, 4, 2, 2, 1, 1, 1]
    assert sum(row.flops for row in cost.stages) == cost.flops
    assert cost.flops == fvcore_flops(build_model(EFFICIENTNET_B0), 32) - 1280 * 990


def test_count_does_not_build_a_model(monkeypatch):
    monkeypatch.setattr(torch.nn.Module, "__init__", None)  # any model construction would fail
    assert count(EFFICIENTNET_B0).flops == REFERENCE["models"]["efficientnet-b0"]["flops"]
