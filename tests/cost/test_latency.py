import json
import os
import stat

import pytest

from nas.arch import Arch, decode, iter_blocks
from nas.cost import (
    LatencySettings, LatencyTable, default_cache, measure_latency, parts, validate_table,
)
from nas.cost._latency import measurement_key
from nas.model import build_model

QUICK = LatencySettings(warmup_seconds=0.02, max_seconds=0.5, precision=0.05)


def small(*blocks: str, resolution: int = 32) -> Arch:
    return Arch(stages=tuple(decode(text) for text in blocks), stem_channels=8,
                head_channels=32, resolution=resolution, num_classes=10)


SMALL = small("ds_r1_k3_s1_e1_c8", "ir_r2_k3_s2_e3_c16_se0.25")


def test_a_measurement_reports_its_context_and_is_cached(tmp_path):
    cache = default_cache(tmp_path)
    first = measure_latency(SMALL, QUICK, cache=cache)
    assert first.median_ms > 0 and first.p90_ms >= first.median_ms * 0.5 and first.runs >= 20
    assert first.interval_ms[0] <= first.median_ms <= first.interval_ms[1]
    assert (first.runtime, first.device, first.batch, first.threads, first.resolution) == \
        ("torch", "cpu", 1, 1, 32)
    assert {"nas", "torch", "python"} <= set(first.versions) and not first.cached
    path = tmp_path / "studies" / "latency" / "measurements.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~_umask()
    again = measure_latency(SMALL, QUICK, cache=cache)
    assert again.cached and again.median_ms == first.median_ms and again.runs == first.runs
    # another resolution, batch or thread count is another measurement
    other = measure_latency(SMALL, QUICK, cache=cache, resolution=48)
    assert not other.cached and other.resolution == 48
    assert len(json.loads(path.read_text())) == 2
    fresh = measure_latency(SMALL, QUICK, cache=cache, refresh=True)
    assert not fresh.cached


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_parts_cover_stem_every_block_and_head_with_their_input_shapes():
    found = parts(SMALL, batch=2)
    blocks = list(iter_blocks(SMALL))
    assert [part.kind for part in found] == ["stem"] + ["block"] * len(blocks) + ["head"]
    assert found[0].input_shape == (2, 3, 32, 32)
    assert found[1].input_shape == (2, 8, 16, 16) and found[1].key.startswith("ds_k3_s1_e1")
    assert found[2].key == "ir_k3_s2_e3_se0.25_i8_o16_16px_swish"
    assert found[3].key == "ir_k3_s1_e3_se0.25_i16_o16_8px_swish_residual"
    assert found[-1].key == "head_i16_o32_n10_8px_swish"


def test_the_table_times_each_part_once_and_predicts_the_sum(tmp_path):
    table = LatencyTable(QUICK, root=str(tmp_path))
    first = table.predict(SMALL)
    assert first.measured == len(parts(SMALL)) == len(table)
    assert first.latency_ms == pytest.approx(sum(ms for _, ms in first.parts_ms))
    again = table.predict(SMALL)
    assert again.measured == 0 and again.latency_ms == first.latency_ms
    # a network sharing all but its last stage only times what is new
    wider = small("ds_r1_k3_s1_e1_c8", "ir_r2_k3_s2_e3_c16_se0.25", "ir_r1_k5_s2_e6_c24")
    assert table.predict(wider).measured == 2  # the new block and the new head
    # another thread count is another table
    assert len(LatencyTable(LatencySettings(threads=2), root=str(tmp_path))) == 0


def test_validation_compares_predictions_with_end_to_end_measurements(tmp_path):
    table = LatencyTable(QUICK, root=str(tmp_path))
    networks = [SMALL, small("ds_r1_k3_s1_e1_c8", "er_r1_k3_s2_e4_c16")]
    seen = []
    validation = validate_table(table, networks, cache=default_cache(tmp_path),
                                on_network=seen.append)
    assert len(validation.rows) == 2 and seen == list(validation.rows)
    for row in validation.rows:
        assert row["error_percent"] == pytest.approx(
            (row["predicted_ms"] - row["measured_ms"]) / row["measured_ms"] * 100, abs=0.1)
    # plant end-to-end medians that miss the (now stored) predictions by +2 % and -14 %:
    # one within +-10 %, one not; rmse sqrt((2² + 14²) / 2) = 10, bias (2 - 14) / 2 = -6
    cache = default_cache(tmp_path)
    for network, error in zip(networks, (2, -14)):
        key = measurement_key(network, QUICK, network.resolution)
        predicted = table.predict(network).latency_ms
        cache.put({key: {**cache.get(key), "median_ms": predicted / (1 + error / 100)}})
    planted = validate_table(table, networks, cache=cache)
    assert [row["error_percent"] for row in planted.rows] == [2.0, -14.0]
    assert planted.within_share == 0.5
    assert planted.rmse_percent == pytest.approx(10.0)
    assert planted.bias_percent == pytest.approx(-6.0)


def test_a_passed_builder_is_what_gets_timed(tmp_path):
    built = []

    def build(arch):
        built.append(arch)
        return build_model(arch)

    measure_latency(SMALL, QUICK, build=build)
    assert built == [SMALL] * QUICK.instances  # three separately built copies by default
