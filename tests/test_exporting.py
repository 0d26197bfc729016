import dataclasses
import json

import pytest

from nas._errors import ConfigError
from nas.arch import EFFICIENTNET_B0, PRESET_NAMES, decode, loads, preset
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
    (dict(stages=(decode("ir_r1_k3_s1_e1.1_c16"),)), "expanded channels must be a multiple of 8"),
])
def test_timm_export_refuses_what_timm_would_round_differently(changes, message):
    with pytest.raises(ConfigError, match=message):
        to_timm(dataclasses.replace(EFFICIENTNET_B0, **changes))


@pytest.mark.parametrize("name", PRESET_NAMES)
@pytest.mark.parametrize("format", ["yaml", "json"])
def test_config_exports_load_back_identically(name, format):
    arch = preset(name)
    assert loads(export(arch, format), format) == arch


def test_timm_export_is_json():
    assert json.loads(export(EFFICIENTNET_B0, "timm"))["drop_rate"] == 0.2
