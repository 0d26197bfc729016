import math
import time

import pytest
import torch

from nas._checks import parse_duration
from nas._errors import ConfigError
from nas.cost import LatencySettings, time_runs
from nas.cost._timing import median_interval, pinned_threads


def test_median_interval_brackets_the_median_and_narrows_with_more_samples():
    few = [float(v) for v in range(1, 22)]  # median 11
    low, high = median_interval(few)
    assert low < 11 < high
    many = [float(v % 21 + 1) for v in range(2100)]  # same distribution, 100x the samples
    low_many, high_many = median_interval(many)
    assert low_many <= 11 <= high_many and high_many - low_many < high - low


def test_time_runs_stops_once_the_median_is_known_to_the_precision():
    def work():
        deadline = time.perf_counter() + 0.0005
        while time.perf_counter() < deadline:
            pass

    timing = time_runs(work, LatencySettings(warmup_seconds=0.01, min_runs=20,
                                             max_seconds=5, precision=0.05))
    assert timing.converged and 20 <= timing.runs < 2000
    low, high = timing.interval_ms
    assert low <= timing.median_ms <= high <= timing.p90_ms * 1.5
    assert max(timing.median_ms - low, high - timing.median_ms) <= 0.05 * timing.median_ms
    assert 0.45 <= timing.median_ms < 5


def test_time_runs_respects_its_run_bound_and_says_it_did_not_converge():
    values = iter(range(10**6))

    def jittery():  # alternates 0 ms and 2 ms: the median never settles to +-0.01 %
        if next(values) % 2:
            time.sleep(0.002)

    timing = time_runs(jittery, LatencySettings(warmup_seconds=0, min_runs=20, max_runs=40,
                                                precision=1e-4))
    assert timing.runs == 40 and not timing.converged


def test_pinned_threads_sets_and_restores_torch_threads():
    before = torch.get_num_threads()
    with pinned_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("changes, message", [
    ({"runtime": "tvm"}, "runtime must be one of torch, onnxruntime, but got 'tvm'"),
    ({"device": "tpu"}, "latency device must be one of cpu, cuda, but got 'tpu'"),
    ({"threads": 0}, "threads must be"),
    ({"min_runs": 50, "max_runs": 20}, "max runs must be >= min runs (50), but got 20"),
])
def test_bad_settings_are_one_line_errors(changes, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        LatencySettings(**changes)


def test_durations_read_as_milliseconds():
    assert [parse_duration(text) for text in ("12ms", "12", "0.012s", "1500us")] == \
        [12.0, 12.0, 12.0, 1.5]
    for bad in ("0", "-3ms", "12h", "", "nan"):
        with pytest.raises(ConfigError, match="must be a positive time"):
            parse_duration(bad)
    assert math.isclose(parse_duration("2.5e1ms"), 25.0)
