"""Timing a callable the way latency must be timed: warm-up, pinned threads, synchronised
clocks, and as many runs as it takes for the median to be known to within a stated precision.

Stopping rule: after ``min_runs`` timed runs, and every 10 runs after that, the distribution-free
95 % confidence interval of the median (order statistics ``n/2 ± 0.98·√n``) is computed; timing
stops once that interval lies within ± ``precision`` (a fraction, 0.02 = ±2 %) of the median,
or at ``max_runs`` runs or ``max_seconds`` of timed work, whichever comes first
(``converged`` says which).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from nas._checks import check_int, check_real
from nas._errors import ConfigError

RUNTIMES = ("torch", "onnxruntime")
LATENCY_DEVICES = ("cpu", "cuda")


@dataclass(frozen=True, kw_only=True)
class LatencySettings:
    """Where and how latency is measured.

    Attributes:
        runtime: ``torch`` (eager, ``torch.inference_mode``) or ``onnxruntime`` (the model
            exported to ONNX; needs the deploy extra).
        device: ``cpu`` or ``cuda``.
        batch: images per forward pass.
        threads: intra-op threads, pinned for the measurement (torch.set_num_threads, or
            onnxruntime's intra_op_num_threads); 1 by default, the least noisy on a shared
            machine and the usual setting for mobile-style latency.
        instances: separately built copies of the network that the runs cycle through, their
            samples pooled: on this project's 2-core CPU two builds of the same network differed
            by up to ±20 % in latency (memory placement), so one copy is one draw of that.
        warmup_seconds: untimed runs for at least this long (and at least 5 runs) first.
        min_runs, max_runs: bounds on timed runs.
        max_seconds: bound on timed work, in seconds.
        precision: stop when the 95 % interval of the median is within ± this fraction of it.
    """

    runtime: str = "torch"
    device: str = "cpu"
    batch: int = 1
    threads: int = 1
    instances: int = 3
    warmup_seconds: float = 0.5
    min_runs: int = 20
    max_runs: int = 2000
    max_seconds: float = 15.0
    precision: float = 0.02

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIMES:
            raise ConfigError(f"runtime must be one of {', '.join(RUNTIMES)}, "
                              f"but got {self.runtime!r}")
        if self.device not in LATENCY_DEVICES:
            raise ConfigError(f"latency device must be one of {', '.join(LATENCY_DEVICES)}, "
                              f"but got {self.device!r}")
        check_int("batch", self.batch, minimum=1)
        check_int("threads", self.threads, minimum=1)
        check_int("instances", self.instances, minimum=1)
        check_real("warm-up seconds", self.warmup_seconds, minimum=0)
        check_int("min runs", self.min_runs, minimum=5)
        if check_int("max runs", self.max_runs, minimum=5) < self.min_runs:
            raise ConfigError(f"max runs must be >= min runs ({self.min_runs}), "
                              f"but got {self.max_runs}")
        check_real("max seconds", self.max_seconds, minimum=0.001)
        check_real("precision", self.precision, minimum=1e-4, maximum=1)

    def context(self) -> dict:
        """What a measurement depends on besides the network: runtime, device, batch, threads."""
        return {"runtime": self.runtime, "device": self.device, "batch": self.batch,
                "threads": self.threads}


@dataclass(frozen=True, kw_only=True)
class Timing:
    """Wall-clock times of one callable, in milliseconds."""

    median_ms: float
    p90_ms: float
    interval_ms: tuple[float, float]
    """95 % confidence interval of the median."""
    runs: int
    """Timed runs it took (warm-up not counted)."""
    converged: bool
    """Whether the interval reached ± precision before the run or time bound."""


def _quantile(ordered: list[float], fraction: float) -> float:
    """Linear-interpolated quantile of sorted values."""
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median_of(samples: list[float]) -> float:
    """The median of ``samples``."""
    return _quantile(sorted(samples), 0.5)


def median_interval(samples: list[float]) -> tuple[float, float]:
    """Distribution-free 95 % confidence interval of the median of ``samples``."""
    ordered = sorted(samples)
    n = len(ordered)
    half_width = 0.98 * math.sqrt(n)  # 1.96 · √n / 2
    low = max(0, math.floor(n / 2 - half_width) - 1)
    high = min(n - 1, math.ceil(n / 2 + half_width))
    return ordered[low], ordered[high]


PROCESS_WARMUP_SECONDS = 2.0
"""The first timing in a process warms up for at least this long: on this project's 2-core
CPU, the first second or two of a fresh process ran 20-40 % slower (``benchmarks/latency.py``),
which no per-measurement warm-up of a fraction of a second absorbs."""
_process_warm = False


@contextlib.contextmanager
def pinned_threads(threads: int) -> Iterator[None]:
    """torch's intra-op thread count set to ``threads`` inside the block, restored after."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def time_runs(run: Callable[[], object], settings: LatencySettings, *,
              synchronize: Callable[[], None] | None = None,
              clock: Callable[[], float] = time.perf_counter) -> Timing:
    """Time ``run()`` by the stopping rule of this module, after its warm-up (at least
    :data:`PROCESS_WARMUP_SECONDS` for the first timing in a process). ``synchronize`` (e.g.
    ``torch.cuda.synchronize``) is called before each clock read, so queued device work is
    inside the interval it belongs to. ``clock`` reads seconds (tests pass a controlled one)."""
    global _process_warm
    sync = synchronize or (lambda: None)
    warmup = settings.warmup_seconds if _process_warm else max(settings.warmup_seconds,
                                                                PROCESS_WARMUP_SECONDS)
    _process_warm = True
    sync()
    start = clock()
    warmups = 0
    while warmups < 5 or clock() - start < warmup:
        run()
        sync()
        warmups += 1
    samples: list[float] = []
    spent = 0.0
    converged = False
    while len(samples) < settings.max_runs and spent < settings.max_seconds:
        sync()
        begin = clock()
        run()
        sync()
        elapsed = clock() - begin
        samples.append(elapsed * 1000)
        spent += elapsed
        if len(samples) >= settings.min_runs and (len(samples) - settings.min_runs) % 10 == 0:
            low, high = median_interval(samples)
            median = _quantile(sorted(samples), 0.5)
            if max(median - low, high - median) <= settings.precision * median:
                converged = True
                break
    ordered = sorted(samples)
    return Timing(median_ms=_quantile(ordered, 0.5), p90_ms=_quantile(ordered, 0.9),
                  interval_ms=median_interval(samples), runs=len(samples),
                  converged=converged)
