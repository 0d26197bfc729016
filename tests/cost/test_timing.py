import itertools
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


class SteppedClock:
    """A clock that only moves when ``run`` is called, by the next of ``seconds``: every run
    takes exactly the time given, however loaded the machine is."""

    def __init__(self, seconds):
        self.now = 0
        self.seconds = iter(seconds)
        self.calls = 0

    def __call__(self) -> float:
        return self.now

    def run(self) -> None:
        self.calls += 1
        self.now += next(self.seconds)


def timed_on(monkeypatch, seconds, **settings):
    """``time_runs`` on runs of exactly ``seconds`` (after five 1 s warm-up runs, which end
    any warm-up up to 5 s), read through ``time_runs``' ``clock``."""
    from nas.cost import _timing

    clock = SteppedClock(itertools.chain([1] * 5, seconds))
    monkeypatch.setattr(_timing, "_process_warm", _timing._process_warm)  # restored after
    timing = time_runs(clock.run, LatencySettings(warmup_seconds=0, max_seconds=10**6,
                                                  **settings), clock=clock)
    assert clock.calls == 5 + timing.runs  # warm-up runs are not counted
    return timing


def test_time_runs_stops_once_the_median_is_known_to_the_precision(monkeypatch):
    # 1 s and 3 s runs, then 2 s runs: the median is 2 s from run 20 on, but its interval
    # (order statistics n/2 -+ 0.98 sqrt(n), 0-based: floor(.) - 1 and ceil(.)) only lies
    # within +-5 % once both ends are 2 s runs (sorted positions 10 .. n-11): at n = 30 the
    # low end is position 8 (a 1 s run); at n = 40 the ends are positions 12 and 27.
    # (A check at every run, not every 10th, would stop at n = 34.)
    timing = timed_on(monkeypatch, itertools.chain([1, 3] * 10, itertools.repeat(2)),
                      min_runs=20, precision=0.05)
    assert (timing.runs, timing.converged) == (40, True)
    assert (timing.median_ms, timing.interval_ms, timing.p90_ms) == (2000, (2000, 2000), 3000)
    # already settled: stops at the first check, at min_runs, not before
    settled = timed_on(monkeypatch, itertools.repeat(2), min_runs=20, precision=0.05)
    assert (settled.runs, settled.converged, settled.median_ms) == (20, True, 2000)
    # the checks come at min_runs and every 10 runs after it (25, 35, ...), not at multiples
    # of 10: settled runs with min_runs 25 stop at 25, the 1 s / 3 s start at 35 (not 40)
    assert timed_on(monkeypatch, itertools.repeat(2), min_runs=25, precision=0.05).runs == 25
    late = timed_on(monkeypatch, itertools.chain([1, 3] * 10, itertools.repeat(2)),
                    min_runs=25, precision=0.05)
    assert (late.runs, late.converged) == (35, True)
    # never settling: the run bound ends it, unconverged
    jitter = timed_on(monkeypatch, itertools.cycle([1, 3]), min_runs=20, max_runs=60,
                      precision=0.05)
    assert (jitter.runs, jitter.converged, jitter.interval_ms) == (60, False, (1000, 3000))


def test_time_runs_times_real_work_on_the_wall_clock():
    def work():
        deadline = time.perf_counter() + 0.0005
        while time.perf_counter() < deadline:
            pass

    # only what no load on the machine can change: each run busy-waits at least 0.5 ms, and
    # a converged result has its interval within the precision (the stopping rule)
    timing = time_runs(work, LatencySettings(warmup_seconds=0.01, min_runs=20, max_runs=200,
                                             max_seconds=5, precision=0.05))
    assert 20 <= timing.runs <= 200
    low, high = timing.interval_ms
    assert 0.4999 <= low <= timing.median_ms <= high <= timing.p90_ms
    if timing.converged:
        assert max(timing.median_ms - low, high - timing.median_ms) <= 0.05 * timing.median_ms


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
