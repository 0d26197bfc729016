import dataclasses

import pytest

from nas._errors import ConfigError
from nas.arch import (
    EFFICIENTNET_B0,
    EFFICIENTNETV2_S,
    Stage,
    expanded_channels,
    has_residual,
    iter_blocks,
    total_stride,
)


def stage(**changes):
    fields = dict(block_type="ir", repeats=2, kernel_size=3, stride=2, expand_ratio=6,
                  out_channels=24, se_ratio=0.25)
    return Stage(**{**fields, **changes})


def test_configs_are_frozen_and_keyword_only():
    with pytest.raises(dataclasses.FrozenInstanceError):
        EFFICIENTNET_B0.resolution = 10
    with pytest.raises(TypeError):
        Stage("ir", 2, 3, 2, 6, 24)


def test_numbers_are_normalised_to_float():
    assert stage(expand_ratio=6).expand_ratio == 6.0
    assert isinstance(stage(se_ratio=0).se_ratio, float)


@pytest.mark.parametrize("changes, message", [
    (dict(kernel_size=4), "kernel_size must be an odd integer >= 1, but got 4"),
    (dict(kernel_size=3.0), "kernel_size must be an odd integer >= 1, but got 3.0"),
    (dict(repeats=True), "repeats must be an integer >= 1, but got True"),
    (dict(out_channels=0), "out_channels must be an integer >= 1, but got 0"),
    (dict(expand_ratio=float("nan")), "expand_ratio must be a number >= 1, but got nan"),
    (dict(se_ratio=-0.25), "se_ratio must be a number >= 0 and <= 1, but got -0.25"),
    (dict(block_type="mb"), "block_type must be one of ds, ir, er, cn, pj, but got 'mb'"),
    (dict(skip="yes"), "skip must be true or false, but got 'yes'"),
    (dict(block_type="cn", se_ratio=0), "expand_ratio must be 1 for a cn block, but got 6"),
    (dict(block_type="cn", expand_ratio=1),
     "se_ratio must be 0 for a cn block (it has no squeeze-excite), but got 0.25"),
    (dict(block_type="ds", expand_ratio=4), "expand_ratio must be 1 for a ds block, but got 4"),
])
def test_stage_validation(changes, message):
    with pytest.raises(ConfigError) as raised:
        stage(**changes)
    assert str(raised.value) == message


@pytest.mark.parametrize("changes, message", [
    (dict(stages=()), "stages must be a non-empty list of stages"),
    (dict(resolution=0), "resolution must be an integer >= 1, but got 0"),
    (dict(num_classes=-3), "num_classes must be an integer >= 1, but got -3"),
    (dict(dropout=1.0), "dropout must be a number >= 0 and < 1, but got 1.0"),
    (dict(activation="gelu"), "activation must be one of swish, relu, relu6, hard_swish"),
    (dict(stem_channels="32"), "stem_channels must be an integer >= 1, but got '32'"),
])
def test_arch_validation(changes, message):
    with pytest.raises(ConfigError) as raised:
        dataclasses.replace(EFFICIENTNET_B0, **changes)
    assert message in str(raised.value)


def test_iter_blocks_strides_first_block_and_chains_channels():
    blocks = list(iter_blocks(EFFICIENTNET_B0))
    assert len(blocks) == EFFICIENTNET_B0.total_blocks == 16
    assert [block.stride for block in blocks[1:4]] == [2, 1, 2]
    assert blocks[0].in_channels == 32 and blocks[1].in_channels == 16
    assert blocks[2].in_channels == 24
    assert [block.index for block in blocks] == list(range(16))


def plain_conv(**changes):
    return stage(**{"block_type": "cn", "expand_ratio": 1, "se_ratio": 0, **changes})


def test_residual_default_follows_timm_cn_off_others_on():
    assert plain_conv().skip is False
    assert plain_conv(skip=True).skip is True
    assert stage().skip is True and stage(block_type="er").skip is True
    assert stage(block_type="ds", expand_ratio=1).skip is True
    assert stage(skip=False).skip is False


def test_cn_helpers():
    conv = plain_conv(stride=1, out_channels=24)
    assert expanded_channels(conv, 24) == 24  # no expansion: one convolution in -> out
    assert has_residual(dataclasses.replace(conv, skip=True), 24, 1)
    assert not has_residual(conv, 24, 1)  # residual off unless asked for
    assert not has_residual(dataclasses.replace(conv, skip=True), 16, 1)  # in != out
    assert not has_residual(dataclasses.replace(conv, skip=True), 24, 2)  # strided


def test_total_stride():
    assert total_stride(EFFICIENTNET_B0) == 32
    assert total_stride(EFFICIENTNETV2_S) == 32
    deep = dataclasses.replace(EFFICIENTNET_B0, stages=(stage(),) * 6)
    assert total_stride(deep) == 128
