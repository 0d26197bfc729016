import dataclasses

import pytest

from nas.arch import EFFICIENTNET_B0, EFFICIENTNET_TABLE, preset, round_channels, round_repeats
from nas.arch import round_resolution, scale

# Published EfficientNet channel counts (stem, 7 stages, head) and repeats, B0…B7.
GOLDEN = {
    "efficientnet-b0": ([32, 16, 24, 40, 80, 112, 192, 320, 1280], [1, 2, 2, 3, 3, 4, 1]),
    "efficientnet-b1": ([32, 16, 24, 40, 80, 112, 192, 320, 1280], [2, 3, 3, 4, 4, 5, 2]),
    "efficientnet-b2": ([32, 16, 24, 48, 88, 120, 208, 352, 1408], [2, 3, 3, 4, 4, 5, 2]),
    "efficientnet-b3": ([40, 24, 32, 48, 96, 136, 232, 384, 1536], [2, 3, 3, 5, 5, 6, 2]),
    "efficientnet-b4": ([48, 24, 32, 56, 112, 160, 272, 448, 1792], [2, 4, 4, 6, 6, 8, 2]),
    "efficientnet-b5": ([48, 24, 40, 64, 128, 176, 304, 512, 2048], [3, 5, 5, 7, 7, 9, 3]),
    "efficientnet-b6": ([56, 32, 40, 72, 144, 200, 344, 576, 2304], [3, 6, 6, 8, 8, 11, 3]),
    "efficientnet-b7": ([64, 32, 48, 80, 160, 224, 384, 640, 2560], [4, 7, 7, 10, 10, 13, 4]),
}


@pytest.mark.parametrize("name", GOLDEN)
def test_presets_have_published_channels_and_repeats(name):
    arch = preset(name)
    channels = [arch.stem_channels, *(s.out_channels for s in arch.stages), arch.head_channels]
    assert (channels, [s.repeats for s in arch.stages]) == GOLDEN[name]
    row = EFFICIENTNET_TABLE[name]
    assert (arch.resolution, arch.dropout) == (row.resolution, row.dropout)


@pytest.mark.parametrize("channels, width, expected", [
    (32, 1.1, 32), (40, 1.1, 48), (16, 1.2, 24), (112, 1.4, 160), (320, 1.8, 576),
    (24, 1.2, 32), (10, 1.0, 10), (8, 0.5, 8), (100, 0.66, 64),
])
def test_round_channels(channels, width, expected):
    assert round_channels(channels, width) == expected


def test_round_channels_is_a_multiple_of_eight_and_at_least_90_percent():
    for channels in range(8, 400, 8):
        for width in [0.5, 0.75, 1.1, 1.15, 1.21, 1.33, 1.8, 2.0, 2.6]:
            rounded = round_channels(channels, width)
            assert rounded % 8 == 0
            assert rounded >= 0.9 * channels * width
            assert abs(rounded - channels * width) <= 8


def test_round_repeats_rounds_up_without_float_noise():
    assert round_repeats(2, 1.1) == 3
    assert round_repeats(10, 1.1) == 11
    assert round_repeats(3, 1.0) == 3
    assert round_repeats(1, 3.1) == 4


def test_round_resolution():
    assert round_resolution(224 * 1.15, 8) == 256
    assert round_resolution(224 * 1.15) == 258
    assert round_resolution(3, 8) == 8


def test_scale_is_pure_and_returns_a_new_config():
    before = dataclasses.asdict(EFFICIENTNET_B0)
    scaled = scale(EFFICIENTNET_B0, width=1.1, depth=1.2, resolution=1.15, resolution_divisor=8)
    assert dataclasses.asdict(EFFICIENTNET_B0) == before
    assert scaled.resolution == 256
    assert scaled.stages[2].out_channels == 48
    assert [s.repeats for s in scaled.stages] == [2, 3, 3, 4, 4, 5, 2]
    assert scale(EFFICIENTNET_B0) == EFFICIENTNET_B0
