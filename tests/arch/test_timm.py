import dataclasses
import json
import random

import pytest

from nas._errors import ConfigError
from nas.arch import (
    EFFICIENTNET_B0,
    EFFICIENTNETV2_S,
    PRESET_NAMES,
    decode,
    encode,
    from_timm,
    load,
    load_target,
    preset,
    round_repeats,
    timm_make_divisible,
    timm_stage_repeats,
)
from nas.cost import count
from nas.exporting import to_timm
from tests.conftest import random_arch

# timm's own definitions (timm/models/efficientnet.py, _gen_efficientnetv2_*): arch_def, stem
V2_BASE = [["cn_r1_k3_s1_e1_c16_skip"], ["er_r2_k3_s2_e4_c32"], ["er_r2_k3_s2_e4_c48"],
           ["ir_r3_k3_s2_e4_c96_se0.25"], ["ir_r5_k3_s1_e6_c112_se0.25"],
           ["ir_r8_k3_s2_e6_c192_se0.25"]]
V2_S = [["cn_r2_k3_s1_e1_c24_skip"], ["er_r4_k3_s2_e4_c48"], ["er_r4_k3_s2_e4_c64"],
        ["ir_r6_k3_s2_e4_c128_se0.25"], ["ir_r9_k3_s1_e6_c160_se0.25"],
        ["ir_r15_k3_s2_e6_c256_se0.25"]]
V2_M = [["cn_r3_k3_s1_e1_c24_skip"], ["er_r5_k3_s2_e4_c48"], ["er_r5_k3_s2_e4_c80"],
        ["ir_r7_k3_s2_e4_c160_se0.25"], ["ir_r14_k3_s1_e6_c176_se0.25"],
        ["ir_r18_k3_s2_e6_c304_se0.25"], ["ir_r5_k3_s1_e6_c512_se0.25"]]
V2_L = [["cn_r4_k3_s1_e1_c32_skip"], ["er_r7_k3_s2_e4_c64"], ["er_r7_k3_s2_e4_c96"],
        ["ir_r10_k3_s2_e4_c192_se0.25"], ["ir_r19_k3_s1_e6_c224_se0.25"],
        ["ir_r25_k3_s2_e6_c384_se0.25"], ["ir_r7_k3_s1_e6_c640_se0.25"]]

# tf_efficientnetv2_*: timm's kwargs (B0…B3 round channels with round_limit 0); parameters as
# counted on timm 1.0.31's own models (sum of numel, 1000 classes); expected stem, head,
# repeats and channels per stage
OFFICIAL_V2 = {
    "b0": (dict(arch_def=V2_BASE, round_limit=0, channel_multiplier=1.0, depth_multiplier=1.0),
           7_139_704, 32, 1280, [1, 2, 2, 3, 5, 8], [16, 32, 48, 96, 112, 192]),
    "b1": (dict(arch_def=V2_BASE, round_limit=0, channel_multiplier=1.0, depth_multiplier=1.1),
           8_141_052, 32, 1280, [2, 3, 3, 4, 6, 9], [16, 32, 48, 96, 112, 192]),
    "b2": (dict(arch_def=V2_BASE, round_limit=0, channel_multiplier=1.1, depth_multiplier=1.2),
           10_096_086, 32, 1408, [2, 3, 3, 4, 6, 10], [16, 32, 56, 104, 120, 208]),
    "b3": (dict(arch_def=V2_BASE, round_limit=0, channel_multiplier=1.2, depth_multiplier=1.4),
           14_358_406, 40, 1536, [2, 3, 3, 5, 7, 12], [16, 40, 56, 112, 136, 232]),
    "s": (dict(arch_def=V2_S, stem_size=24), 21_458_488, 24, 1280, [2, 4, 4, 6, 9, 15],
          [24, 48, 64, 128, 160, 256]),
    "m": (dict(arch_def=V2_M, stem_size=24), 54_139_356, 24, 1280, [3, 5, 5, 7, 14, 18, 5],
          [24, 48, 80, 160, 176, 304, 512]),
    "l": (dict(arch_def=V2_L, stem_size=32), 118_515_272, 32, 1280, [4, 7, 7, 10, 19, 25, 7],
          [32, 64, 96, 192, 224, 384, 640]),
}


@pytest.mark.parametrize("name", list(OFFICIAL_V2))
def test_official_efficientnetv2_models_are_expressible(name):
    document, params, stem, head, repeats, channels = OFFICIAL_V2[name]
    arch = from_timm(document, source=name)
    assert (arch.stem_channels, arch.head_channels) == (stem, head)
    assert [stage.repeats for stage in arch.stages] == repeats
    assert [stage.out_channels for stage in arch.stages] == channels
    assert arch.stages[0].block_type == "cn" and arch.stages[0].skip
    assert count(arch).params == params


def test_the_v2_s_preset_is_timms_tf_efficientnetv2_s():
    document = dict(arch_def=V2_S, stem_size=24, input_size=[3, 384, 384])
    assert from_timm(document, source="v2s") == EFFICIENTNETV2_S
    assert preset("efficientnetv2-s") is EFFICIENTNETV2_S
    assert preset("efficientnetv2_s") == load_target("efficientnetv2_s") == EFFICIENTNETV2_S
    assert to_timm(EFFICIENTNETV2_S)["arch_def"] == V2_S


def test_missing_keys_take_b0_defaults_and_keys_map_to_fields():
    strings = [encode(stage) for stage in EFFICIENTNET_B0.stages]
    assert from_timm({"arch_def": [[text] for text in strings]}) == EFFICIENTNET_B0
    arch = from_timm({"arch_def": [["ds_r1_k3_s1_c16"]], "stem_size": 16, "num_features": 64,
                      "num_classes": 10, "act_layer": "silu", "drop_rate": 0.1,
                      "drop_path_rate": 0.0, "input_size": [3, 32, 32]})
    assert (arch.stem_channels, arch.head_channels, arch.num_classes, arch.activation,
            arch.dropout, arch.drop_path_rate, arch.resolution) == (
        16, 64, 10, "swish", 0.1, 0.0, 32)
    for name, ours in (("relu6", "relu6"), ("hardswish", "hard_swish"), ("relu", "relu")):
        assert from_timm({"arch_def": [["ds_r1_k3_s1_c16"]], "act_layer": name}).activation == ours


def test_plain_lists_of_block_strings():
    flat = from_timm(["cn_r1_k3_s1_c32_skip", "er_r2_k3_s2_e4_c48"], source="list")
    nested = from_timm([["cn_r1_k3_s1_c32_skip"], ["er_r2_k3_s2_e4_c48"]], source="list")
    assert flat == nested
    assert [encode(stage) for stage in flat.stages] == ["cn_r1_k3_s1_e1_c32_skip",
                                                        "er_r2_k3_s2_e4_c48"]


def test_short_forms_and_timm_defaults():
    arch = from_timm([["ds_r1_k3_s1_c16_se0.25"], ["cn_r1_k3_s1_c16"],
                      ["cn_r1_k3_s1_e1_c16_noskip"], ["ir_r1_k3_s1_e6_c16_skip"],
                      ["ir_r1_k3_s1_e6_c16_nsw"]])
    assert [encode(stage) for stage in arch.stages] == [
        "ds_r1_k3_s1_e1_c16_se0.25", "cn_r1_k3_s1_e1_c16", "cn_r1_k3_s1_e1_c16",
        "ir_r1_k3_s1_e6_c16", "ir_r1_k3_s1_e6_c16"]  # nsw: the network's own swish


def test_several_strings_per_stage_become_consecutive_stages():
    arch = from_timm({"arch_def": [["ir_r1_k3_s2_e6_c24", "ir_r3_k5_s1_e3_c24_se0.25"]],
                      "depth_multiplier": 1.5})
    assert [encode(stage) for stage in arch.stages] == ["ir_r2_k3_s2_e6_c24",
                                                        "ir_r4_k5_s1_e3_c24_se0.25"]


def test_timm_rounding_rules():
    # timm rounds every block's channels (and the stem) even without a multiplier
    arch = from_timm({"arch_def": [["ir_r1_k3_s1_e6_c20"]], "stem_size": 30,
                      "num_features": 1001})
    assert (arch.stem_channels, arch.stages[0].out_channels, arch.head_channels) == (32, 24, 1001)
    assert from_timm({"arch_def": [["ds_r1_k3_s1_c16"]], "stem_size": 30,
                      "fix_stem": True}).stem_channels == 30
    # num_features is scaled only with a channel multiplier, as timm's generators do
    assert from_timm({"arch_def": [["ds_r1_k3_s1_c16"]], "num_features": 1001,
                      "channel_multiplier": 1.0}).head_channels == 1000
    assert [timm_make_divisible(v) for v in (19.2, 35.2, 1408.0)] == [24, 32, 1408]
    assert timm_make_divisible(19.2, round_limit=0) == 16
    # depth: timm's ceil in floating point, shared out from the last string back
    assert timm_stage_repeats([1, 3], 1.5) == [2, 4]
    assert timm_stage_repeats([2, 1, 3], 2.2) == [5, 2, 7]
    assert (timm_stage_repeats([50], 1.1), round_repeats(50, 1.1)) == ([56], 55)


@pytest.mark.parametrize("document, message", [
    (["ir_r2_k3_s2_e6_c24_nmi"], "item 0: block string 'ir_r2_k3_s2_e6_c24_nmi': token 'nmi' "
                                 "cannot be read: supported are r, k, s, e, c, se, skip, noskip"),
    (["pj_r1_k1_s2_e1_c24"], "block type must be one of ds, ir, er, cn (timm's dsa"),
    (["ir_r1_k3_a1_s1_e6_c24"], "token 'a1' cannot be read"),
    (["ir_r1_k3_p1_s1_e6_c24"], "token 'p1' cannot be read"),
    (["er_r1_k3_s1_e4_gs8_c24"], "token 'gs8' cannot be read"),
    (["er_r1_k3_s1_e4_c24_fc16"], "token 'fc16' cannot be read"),
    (["ds_r1_k3_s1_c16_d1"], "token 'd1' cannot be read"),
    (["ir_r1_k3.5_s1_e6_c24"], "token 'k3.5' cannot be read"),
    (["ir_r1_k3_s1_e6_c24_cc4"], "token 'cc4' cannot be read"),
    (["dsa_r1_k3_s1_c16"], "block type must be one of ds, ir, er, cn (timm's dsa, tu, uir, mha "
                           "and mqa cannot be expressed), but got 'dsa'"),
    (["ir_r1_k3_s1_e1_c16"], "timm's ir with e1 keeps a 1×1 expansion convolution"),
    (["ir_r1_k3_s1_c16"], "must give r, k, s, e and c, but got no expand_ratio"),
    (["cn_r1_k3_s1_c16_se0.25"], "se_ratio must be 0 for a cn block"),
    (["ds_r1_k3_s1_e6_c16"], "expand_ratio must be 1 for a ds block, but got 6.0"),
    ([["ir_r1_k3_s2_e6_c24", "ir_r1_k3_s2_e6_c24"]],
     "item [0][1] 'ir_r1_k3_s2_e6_c24': stride must be 1 after the first string of a stage list "
     "(timm would silently use 1), but got 2"),
    ([], "arch_def must be a non-empty list"),
    ([[]], "item 0 must be a timm block string or a non-empty list of them, but got []"),
    ({"arch_def": [["ds_r1_k3_s1_c16"]], "stages": []},
     "keys of a timm document must be among arch_def, stem_size"),
    ({"arch_def": [["ds_r1_k3_s1_c16"]], "act_layer": "gelu"}, "act_layer must be one of swish"),
    ({"arch_def": [["ds_r1_k3_s1_c16"]], "pad_type": "same"}, "pad_type must be ''"),
    ({"arch_def": [["ds_r1_k3_s1_c16"]], "bn_eps": 1e-5}, "bn_eps must be 0.001"),
    ({"arch_def": [["ds_r1_k3_s1_c16"]], "input_size": [3, 224, 200]},
     "input_size must be [3, R, R]"),
    ({"arch_def": [["ds_r1_k3_s1_c16"]], "stem_size": "32"},
     "stem_size must be an integer >= 1, but got '32'"),
    ({"arch_def": [["ds_r1_k3_s1_c16"]], "channel_multiplier": 0},
     "channel_multiplier must be a number >= 0.001"),
    ({"arch_def": [["ir_r1_k3_s2_e6_c24"]] * 5}, "output_stride must be at least the network's "
                                                "total stride 64"),
    ({"arch_def": [["ir_r1_k3_s1_e4.5_c8"]], "stem_size": 8},
     "expanded channels must equal timm's make_divisible(8 × 4.5) = 40, but got 36"),
    ({"arch_def": [["cn_r1_k3_s1_e4_c8"]]}, "expand_ratio must be 1 for a cn block"),
])
def test_what_cannot_be_expressed_is_one_line_naming_it(document, message):
    with pytest.raises(ConfigError) as raised:
        from_timm(document, source="m.json")
    text = str(raised.value)
    assert text.startswith("m.json: ") and "\n" not in text
    assert message in text, text


def test_output_stride_above_32_is_read():
    document = {"arch_def": [["ir_r1_k3_s2_e6_c24"]] * 5, "output_stride": 64}
    assert [stage.stride for stage in from_timm(document).stages] == [2] * 5


def exportable(arch):
    """``arch`` with every channel count rounded up to a multiple of 8 (what timm keeps)."""
    def up(channels):
        return -(-channels // 8) * 8
    return dataclasses.replace(
        arch, stem_channels=up(arch.stem_channels),
        stages=tuple(dataclasses.replace(stage, out_channels=up(stage.out_channels))
                     for stage in arch.stages))


def timm_named(arch):
    """``arch`` as timm names it: an ir stage without expansion is a ds stage."""
    return dataclasses.replace(arch, stages=tuple(
        dataclasses.replace(stage, block_type="ds")
        if stage.block_type == "ir" and stage.expand_ratio == 1 else stage
        for stage in arch.stages))


def test_export_reads_back_as_the_same_architecture():
    rng = random.Random(3)
    deep = dataclasses.replace(EFFICIENTNET_B0, stages=tuple(decode(text) for text in (
        "cn_r1_k3_s2_e1_c16", "er_r1_k3_s2_e4_c24", "ir_r1_k3_s2_e6_c32", "ir_r1_k3_s2_e6_c40",
        "ir_r1_k3_s2_e6_c48", "ir_r1_k3_s2_e6_c56")), head_channels=1001)  # total stride 128
    arches = [preset(name) for name in PRESET_NAMES] + [deep]
    arches += [exportable(random_arch(rng)) for _ in range(300)]
    block_types = set()
    for arch in arches:
        document = json.loads(json.dumps(to_timm(arch)))
        assert from_timm(document, source="export") == timm_named(arch)
        block_types |= {(stage.block_type, stage.skip) for stage in arch.stages}
    assert ("cn", True) in block_types and ("cn", False) in block_types
    assert to_timm(deep)["output_stride"] == 128


def test_files_in_timm_forms_load_and_errors_name_the_file(tmp_path):
    path = tmp_path / "v2s.timm.json"
    path.write_text(json.dumps(to_timm(EFFICIENTNETV2_S)))
    assert load(path) == load_target(str(path)) == EFFICIENTNETV2_S
    listed = tmp_path / "blocks.yaml"
    listed.write_text("- cn_r1_k3_s1_c32_skip\n- er_r2_k3_s2_e4_c48\n")
    assert [stage.block_type for stage in load(listed).stages] == ["cn", "er"]
    bad = tmp_path / "bad.timm.json"
    bad.write_text(json.dumps({"arch_def": [["ir_r1_k3_s1_e6_c24_nmi"]]}))
    with pytest.raises(ConfigError) as raised:
        load(bad)
    assert str(raised.value).startswith(f"{bad}: arch_def[0][0]: block string ")
