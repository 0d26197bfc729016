import dataclasses
import json

import pytest
import torch

from nas._errors import ConfigError
from nas.arch import EFFICIENTNET_B0, EFFICIENTNETV2_S, PRESET_NAMES, decode, loads, preset
from nas.exporting import export, to_timm
from tests.conftest import REFERENCE


def test_timm_export_of_b0_matches_the_reference_arch_def():
    spec = to_timm(preset("efficientnet-b0"))
    assert spec["arch_def"] == REFERENCE["base_arch_def_b0"]
    assert (spec["stem_size"], spec["num_features"], spec["num_classes"], spec["act_layer"]) == (
        32, 1280, 1000, "swish")


def test_timm_export_has_scaled_channels_and_repeats():
    spec = to_timm(preset("efficientnet-b4"))
    assert spec["arch_def"][3] == ["ir_r6_k3_s2_e6_c112_se0.25"]
    assert (spec["stem_size"], spec["num_features"]) == (48, 1792)


def test_ir_without_expansion_exports_as_timm_ds():
    arch = dataclasses.replace(EFFICIENTNET_B0, stages=(decode("ir_r1_k3_s1_e1_c16_se0.25"),
                                                       decode("er_r2_k3_s2_e4_c24_noskip")))
    assert to_timm(arch)["arch_def"] == [["ds_r1_k3_s1_e1_c16_se0.25"],
                                         ["er_r2_k3_s2_e4_c24_noskip"]]


@pytest.mark.parametrize("changes, message", [
    (dict(stem_channels=30), "stem_channels must be a multiple of 8"),
    (dict(stages=(decode("ir_r1_k3_s1_e6_c20"),)), "stage 1: out_channels must be a multiple"),
    (dict(stages=(decode("ir_r1_k3_s1_e1.1_c16"),)),
     "stage 1: expanded channels must equal timm's make_divisible(32 × 1.1) = 32, but got 35"),
])
def test_timm_export_refuses_what_timm_would_round_differently(changes, message):
    with pytest.raises(ConfigError) as raised:
        to_timm(dataclasses.replace(EFFICIENTNET_B0, **changes))
    assert message in str(raised.value)


@pytest.mark.parametrize("name", PRESET_NAMES)
@pytest.mark.parametrize("format", ["yaml", "json"])
def test_config_exports_load_back_identically(name, format):
    arch = preset(name)
    assert loads(export(arch, format), format) == arch


def test_timm_export_is_json():
    assert json.loads(export(EFFICIENTNET_B0, "timm"))["drop_rate"] == 0.2


def test_timm_export_states_stride_padding_epsilon_and_input_size():
    from nas.model import BATCH_NORM_EPS, build_model

    spec = to_timm(preset("efficientnet-b0"))
    assert (spec["output_stride"], spec["pad_type"], spec["bn_eps"], spec["input_size"]) == (
        32, "", 1e-3, [3, 224, 224])
    assert spec["bn_eps"] == BATCH_NORM_EPS
    norms = [m for m in build_model(EFFICIENTNET_B0).modules()
             if isinstance(m, torch.nn.BatchNorm2d)]
    assert {m.eps for m in norms} == {BATCH_NORM_EPS}
    assert to_timm(EFFICIENTNETV2_S)["input_size"] == [3, 384, 384]


def test_output_stride_is_the_total_stride_past_32():
    def strided(count):
        return dataclasses.replace(EFFICIENTNET_B0, stages=(decode("ir_r1_k3_s2_e6_c24"),) * count)
    assert [to_timm(strided(count))["output_stride"] for count in (3, 4, 5, 7)] == [32, 32, 64, 256]


def test_v2_s_exports_timms_own_arch_def():
    spec = to_timm(EFFICIENTNETV2_S)
    assert spec["arch_def"][0] == ["cn_r2_k3_s1_e1_c24_skip"]
    assert (spec["stem_size"], spec["num_features"], spec["drop_rate"]) == (24, 1280, 0.2)


def test_plain_conv_without_residual_and_any_head_width_export():
    arch = dataclasses.replace(EFFICIENTNET_B0, stages=(decode("cn_r1_k3_s1_e1_c32"),),
                               head_channels=1001)  # timm's class keeps num_features as given
    spec = to_timm(arch)
    assert spec["arch_def"] == [["cn_r1_k3_s1_e1_c32"]] and spec["num_features"] == 1001
