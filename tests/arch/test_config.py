import dataclasses

import pytest

from nas._errors import ConfigError
from nas.arch import EFFICIENTNET_B0, Stage, iter_blocks


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
    (dict(block_type="mb"), "block_type must be one of ds, ir, er, but got 'mb'"),
    (dict(skip="yes"), "skip must be true or false, but got 'yes'"),
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
