"""Layer-wise spaces: menus of whole blocks per layer (skip included), their Optuna parameters,
the networks they build, and the file's errors."""

import pytest

from nas._errors import ConfigError
from nas.arch import decode, decode_entry, encode, encode_entry, from_dict, to_dict
from nas.exporting import export
from nas.space import parse_space

SPACE = {
    "name": "mixed", "target": {"resolution": 64, "num_classes": 10},
    "network": {"stem_channels": 16, "head_channels": 64, "activation": "relu"},
    "choices": {"block_type": ["ir"], "kernel_size": [3], "expand_ratio": [1, 3],
                "se_ratio": [0], "repeats_delta": [0], "width_multiplier": [1.0]},
    "stages": [
        {"base": "ds_r1_k3_s1_e1_c16"},
        {"stride": 2, "channels": 24, "layers": [["skip", "ir_k3_e3"], ["skip", "ir_k5_e6"],
                                                 ["ir_k3_e3_se0.25"]]},
    ],
}


def test_menu_entries_round_trip_in_the_block_grammar():
    for text in ("ir_k3_e3", "ir_k5_e6_se0.25", "er_k3_e4", "ds_k3_e1_noskip", "cn_k3_e1"):
        stage = decode_entry(text, stride=2, out_channels=40)
        assert (stage.repeats, stage.stride, stage.out_channels) == (1, 2, 40)
        assert encode_entry(stage) == text
    assert encode(decode("pj_r1_k1_s2_e1_c64")) == "pj_r1_k1_s2_e1_c64"
    with pytest.raises(ConfigError, match="tokens must leave out r, s and c"):
        decode_entry("ir_r2_k3_e3", stride=1, out_channels=8)


def test_layers_are_categorical_parameters_and_skips_vanish_or_project():
    space = parse_space(SPACE, source="mixed")
    assert space.parameters() == {"stage1.expand_ratio": (1, 3),
                                  "stage2.layer1": ("skip", "ir_k3_e3"),
                                  "stage2.layer2": ("skip", "ir_k5_e6")}
    assert space.size == 8
    params = {"stage1.expand_ratio": 1, "stage2.layer1": "skip", "stage2.layer2": "skip"}
    assert [encode(s) for s in space.arch(params).stages] == [
        "ds_r1_k3_s1_e1_c16", "pj_r1_k1_s2_e1_c24", "ir_r1_k3_s1_e3_c24_se0.25"]
    params["stage2.layer1"] = "ir_k3_e3"
    assert [encode(s) for s in space.arch(params).stages][1:] == [
        "ir_r1_k3_s2_e3_c24", "ir_r1_k3_s1_e3_c24_se0.25"]
    assert space.baseline_params()["stage2.layer1"] == "skip"  # each layer's first entry


def test_identical_neighbours_merge_into_one_stage():
    document = {**SPACE, "stages": [{"stride": 2, "channels": 24, "layers": 3,
                                     "menu": ["ir_k3_e3", "skip"]}]}
    space = parse_space(document, source="merge")
    arch = space.arch({f"stage1.layer{i}": "ir_k3_e3" for i in (1, 2, 3)})
    assert [encode(s) for s in arch.stages] == ["ir_r3_k3_s2_e3_c24"]
    assert arch == space.arch({"stage1.layer1": "ir_k3_e3", "stage1.layer2": "skip",
                               "stage1.layer3": "ir_k3_e3"}) or len(arch.stages) == 1


def test_stem_stride_round_trips_and_timm_says_why_not():
    space = parse_space({**SPACE, "network": {**SPACE["network"], "stem_stride": 1}},
                        source="stem")
    arch = space.arch({"stage1.expand_ratio": 3, "stage2.layer1": "skip",
                       "stage2.layer2": "skip"})
    assert arch.stem_stride == 1 and from_dict(to_dict(arch)) == arch
    assert "stem_stride" not in to_dict(space.baseline().__class__(
        **{**arch.__dict__, "stem_stride": 2}))  # written only where it is not 2
    with pytest.raises(ConfigError, match="stem_stride must be 2"):
        export(arch, "timm")
    projection = parse_space(SPACE, source="pj").arch(
        {"stage1.expand_ratio": 3, "stage2.layer1": "skip", "stage2.layer2": "skip"})
    with pytest.raises(ConfigError, match="but got pj"):
        export(projection, "timm")


@pytest.mark.parametrize("stage, message", [
    ({"stride": 2, "channels": 8, "layers": 2, "menu": ["skip", "ir_k3_e3", "ir_k3_e3"]},
     "menu entries must be distinct"),
    ({"stride": 3, "channels": 8, "layers": 1, "menu": ["ir_k3_e3"]}, "stride must be 1 or 2"),
    ({"channels": 8, "layers": 2}, "must come with a menu"),
    ({"channels": 8, "layers": 1, "menu": ["ir_k3_e3"], "kernel": 3}, "keys of a layer-wise"),
    ({"channels": 8, "layers": 1, "menu": ["ir_k3_e3"], "baseline": ["ir_k5_e3"]},
     "baseline layer 1 must be one of its menu"),
    ({"channels": 16, "layers": 2, "menu": ["skip", "ir_k3_e3"]},
     "at least one layer"),
])
def test_bad_layer_stages_are_named(stage, message):
    document = {**SPACE, "stages": [stage]}
    document.pop("choices")
    with pytest.raises(ConfigError, match=message):
        parse_space(document, source="bad")


def test_an_entry_couples_its_own_activation_which_the_network_builds():
    from nas.model import build_model

    document = {**SPACE, "stages": [{"stride": 2, "channels": 24, "layers": 2,
                                     "menu": ["ir_k3_e3_nhs", "ir_k3_e3", "skip"]}]}
    document.pop("choices")
    space = parse_space(document, source="activations")
    assert space.parameters()["stage1.layer1"] == ("ir_k3_e3_nhs", "ir_k3_e3", "skip")
    arch = space.arch({"stage1.layer1": "ir_k3_e3_nhs", "stage1.layer2": "ir_k3_e3"})
    assert [encode(s) for s in arch.stages] == ["ir_r1_k3_s2_e3_c24_nhs", "ir_r1_k3_s1_e3_c24"]
    first, second = build_model(arch).stages[0][0], build_model(arch).stages[1][0]
    assert type(first.expand[2]).__name__ == "Hardswish"  # the entry's own
    assert type(second.expand[2]).__name__ == "ReLU"  # the network's
    assert from_dict(to_dict(arch)) == arch
    timm = export(arch, "timm")
    assert "ir_r1_k3_s2_e3_c24_nhs" in timm
