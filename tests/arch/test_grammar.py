import random

import pytest

from nas._errors import ConfigError
from nas.arch import PRESET_NAMES, Stage, decode, encode, preset
from tests.conftest import REFERENCE, random_stage


def test_reference_b0_strings_round_trip():
    for [text] in REFERENCE["base_arch_def_b0"]:
        assert encode(decode(text)) == text


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_preset_stages_round_trip(name):
    for stage in preset(name).stages:
        assert decode(encode(stage)) == stage


def test_random_stages_round_trip_both_ways():
    rng = random.Random(0)
    stages = [random_stage(rng, max_channels=2048) for _ in range(500)]
    for stage in stages:
        text = encode(stage)
        assert decode(text) == stage
        assert encode(decode(text)) == text
    assert {(s.block_type, s.skip) for s in stages} == {
        (block_type, skip) for block_type in ("ds", "ir", "er", "cn") for skip in (True, False)}


@pytest.mark.parametrize("text", [
    "ir_r2_k3_s2_e6_c24_se0.25",
    "ds_r1_k3_s1_e1_c16",
    "er_r4_k3_s1_e4_c48_noskip",
    "ir_r1_k7_s1_e4.5_c100_se0.0625_noskip",
    "ir_r1_k3_s1_e3_c8_se0.0001",
    "cn_r1_k3_s1_e1_c16_skip",
    "cn_r1_k3_s1_e1_c16",
    "cn_r2_k3_s1_e1_c24_skip",
    "cn_r1_k5_s2_e1_c32",
])
def test_canonical_strings_round_trip(text):
    assert encode(decode(text)) == text


def test_decode_fields():
    assert decode("ir_r2_k3_s2_e6_c24_se0.25") == Stage(
        block_type="ir", repeats=2, kernel_size=3, stride=2, expand_ratio=6.0, out_channels=24,
        se_ratio=0.25, skip=True)
    assert decode("er_r1_k3_s1_e4_c24_noskip").skip is False


def test_decode_accepts_any_token_order_and_encodes_canonically():
    assert encode(decode("ir_c24_se0.25_e6_s2_k3_r2")) == "ir_r2_k3_s2_e6_c24_se0.25"


def test_cn_residual_is_off_unless_skip_and_the_default_flag_is_not_written():
    assert decode("cn_r1_k3_s1_e1_c16_skip") == Stage(
        block_type="cn", repeats=1, kernel_size=3, stride=1, expand_ratio=1.0, out_channels=16,
        se_ratio=0.0, skip=True)
    assert decode("cn_r1_k3_s1_e1_c16").skip is False
    assert encode(decode("cn_r1_k3_s1_e1_c16_noskip")) == "cn_r1_k3_s1_e1_c16"
    for text in ("ds_r1_k3_s1_e1_c16_skip", "ir_r2_k3_s2_e6_c24_skip", "er_r1_k3_s1_e4_c24_skip"):
        assert decode(text).skip is True
        assert encode(decode(text)) == text.removesuffix("_skip")
    assert encode(decode("er_r1_k3_s1_e4_c24_noskip")) == "er_r1_k3_s1_e4_c24_noskip"


@pytest.mark.parametrize("text, message", [
    ("ir_r2_k4_s2_e6_c24", "kernel_size must be an odd integer >= 1, but got 4"),
    ("xx_r2_k3_s2_e6_c24", "block type must be one of ds, ir, er, cn, pj, but got 'xx'"),
    ("ir_r2_k3_s2_e6", "must give r, k, s, e and c, but got no out_channels"),
    ("ir_r2_k3_s3_e6_c24", "stride must be 1 or 2, but got 3"),
    ("ir_r0_k3_s1_e6_c24", "repeats must be an integer >= 1, but got 0"),
    ("ir_r2_k3_s1_e6_c24_x5", "token must be one of"),
    ("ir_r2_k3_s1_e6_c24_r3", "each token may appear once, but got repeats twice"),
    ("ir_r2.5_k3_s1_e6_c24", "r must be followed by an integer"),
    ("ir_r2_k3_s1_enan_c24", "e must be followed by a decimal number"),
    ("ir_r2_k3_s1_e6_c24_se1e-3", "se must be followed by a decimal number"),
    ("ir_r2_k3_s1_e0.5_c24", "expand_ratio must be a number >= 1"),
    ("ds_r1_k3_s1_e6_c16", "expand_ratio must be 1 for a ds block, but got 6.0"),
    ("ir_r1_k3_s1_e6_c16_se1.5", "se_ratio must be a number >= 0 and <= 1, but got 1.5"),
    ("", "block string must be a non-empty string"),
    ("cn_r1_k3_s1_e4_c16", "expand_ratio must be 1 for a cn block, but got 4.0"),
    ("cn_r1_k3_s1_e1_c16_se0.25", "se_ratio must be 0 for a cn block"),
    ("cn_r1_k3_s1_c16_skip", "must give r, k, s, e and c, but got no expand_ratio"),
    ("cn_r1_k3_s1_e1_c16_skip_noskip", "each token may appear once, but got skip/noskip twice"),
    ("ir_r1_k3_s1_e6_c16_nmi", "token must be one of r, k, s, e, c, se (followed by a number), "
                               "skip, noskip or an activation (nre, nr6, nhs, nsw), but got "
                               "'nmi'"),
    ("ir_r1_k3_s1_e6_c16_nre_nhs", "each token may appear once, but got an activation twice"),
    ("pj_r1_k1_s2_e1_c16_nre", "activation must not be given for a pj block"),
])
def test_decode_rejects_with_message(text, message):
    with pytest.raises(ConfigError, match=None) as raised:
        decode(text)
    assert message in str(raised.value)


def test_decode_rejects_non_strings():
    with pytest.raises(ConfigError, match="block string must be a non-empty string"):
        decode(24)
