"""Measured latency of an architecture end to end, on this machine, stored and cached.

A measurement builds the network (random weights: latency does not depend on them; three
separately built copies by default, see :class:`~nas.cost.LatencySettings`), puts it in eval
mode, and times one forward pass of a (batch, 3, R, R) input by the rule of
:mod:`nas.cost._timing`, with threads pinned and CUDA synchronised before each clock read.
Results are cached in ``studies/latency/measurements.json`` by (architecture, device, runtime,
resolution, batch, threads, software versions): asking again returns the stored result.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import itertools
import json
import os
import platform
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nas._checks import check_int
from nas._errors import ConfigError
from nas.arch import Arch, to_dict
from nas.cost._store import JsonStore
from nas.cost._timing import LatencySettings, Timing, pinned_threads, time_runs

LATENCY_UNIT = "milliseconds per forward pass (wall clock)"
CACHE_DIRECTORY = Path("studies") / "latency"


@functools.cache
def device_name(device: str) -> str:
    """A human-readable name of ``device`` on this machine: the CPU model and core count, or
    the CUDA device's name."""
    if device == "cuda":
        import torch

        return torch.cuda.get_device_name()
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as stream:
            for line in stream:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model} ({os.cpu_count()} logical cores)"


def versions(runtime: str) -> dict[str, str]:
    """Versions a latency depends on: nas, torch, python and (for onnxruntime) onnxruntime."""
    import torch

    import nas

    found = {"nas": nas.__version__, "torch": torch.__version__,
             "python": platform.python_version()}
    if runtime == "onnxruntime":
        import onnxruntime

        found["onnxruntime"] = onnxruntime.__version__
    return found


def check_device(settings: LatencySettings) -> None:
    """Refuse a device or runtime this machine lacks, with one line."""
    if settings.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ConfigError("latency device must be available, but got cuda and torch sees "
                              "no CUDA device on this machine")
    if settings.runtime == "onnxruntime":
        from nas.model import require_deploy

        require_deploy("latency in onnxruntime")


def time_module(build: Callable[[], object], input_shape: tuple[int, ...],
                settings: LatencySettings) -> Timing:
    """Time the torch module that ``build()`` returns (in eval mode) on a random input of
    ``input_shape``, in the runtime and on the device of ``settings``; the runs cycle through
    ``settings.instances`` separately built copies and their samples are pooled."""
    import torch

    generator = torch.Generator().manual_seed(0)
    example = torch.randn(input_shape, generator=generator)
    with pinned_threads(settings.threads):
        if settings.runtime == "onnxruntime":
            return _time_onnx(build, example, settings)
        device = torch.device(settings.device)
        modules = [build().eval().to(device) for _ in range(settings.instances)]
        example = example.to(device)
        synchronize = torch.cuda.synchronize if device.type == "cuda" else None
        turn = itertools.count()

        def run() -> None:
            with torch.inference_mode():
                modules[next(turn) % len(modules)](example)

        return time_runs(run, settings, synchronize=synchronize)


def _time_onnx(build, example, settings: LatencySettings) -> Timing:
    from nas.model import export_onnx, onnx_session

    with tempfile.TemporaryDirectory(prefix="nas-latency-") as directory:
        path = Path(directory) / "model.onnx"
        batch, channels, side, _ = example.shape
        export_onnx(build(), path, resolution=side, batch=batch, channels=channels)
        sessions = [onnx_session(path, threads=settings.threads, device=settings.device)
                    for _ in range(settings.instances)]
        name = sessions[0].get_inputs()[0].name
        feed = {name: example.numpy()}
        turn = itertools.count()
        return time_runs(lambda: sessions[next(turn) % len(sessions)].run(None, feed),
                         settings)


def architecture_key(arch: Arch) -> dict:
    """The parts of ``arch`` that latency depends on (not dropout or stochastic depth, which
    are identities in eval mode; the resolution is keyed separately)."""
    document = to_dict(arch)
    for name in ("dropout", "drop_path_rate", "resolution"):
        document.pop(name)
    return document


def measurement_key(arch: Arch, settings: LatencySettings, resolution: int) -> str:
    """Cache key of one measurement: a hash of architecture, device (by name), runtime,
    resolution, batch, threads and software versions."""
    context = {"arch": architecture_key(arch), **settings.context(), "resolution": resolution,
               "device_name": device_name(settings.device), "versions": versions(
                   settings.runtime)}
    return hashlib.sha256(json.dumps(context, sort_keys=True).encode()).hexdigest()[:24]


@dataclass(frozen=True, kw_only=True)
class Latency:
    """One end-to-end latency measurement (milliseconds per forward pass of one batch)."""

    median_ms: float
    p90_ms: float
    interval_ms: tuple[float, float]
    """95 % confidence interval of the median."""
    runs: int
    converged: bool
    runtime: str
    device: str
    device_name: str
    batch: int
    threads: int
    resolution: int
    versions: dict
    measured_at: str
    """When it was measured (UTC, ISO 8601)."""
    cached: bool = False
    """Whether this result came from the cache rather than a new measurement."""

    def to_dict(self) -> dict:
        document = dataclasses.asdict(self)
        document["interval_ms"] = list(self.interval_ms)
        document["unit"] = LATENCY_UNIT
        return document

    @classmethod
    def from_dict(cls, document: dict, *, cached: bool) -> Latency:
        fields = {field.name for field in dataclasses.fields(cls)}
        values = {key: value for key, value in document.items() if key in fields}
        values["interval_ms"] = tuple(values["interval_ms"])
        return cls(**{**values, "cached": cached})


def default_cache(root: str | os.PathLike = ".") -> JsonStore:
    """The measurement cache under ``root``: ``studies/latency/measurements.json``."""
    return JsonStore(Path(root) / CACHE_DIRECTORY / "measurements.json",
                     what="latency cache")


def measure_latency(arch: Arch, settings: LatencySettings = LatencySettings(), *,
                    resolution: int | None = None, cache: JsonStore | None = None,
                    refresh: bool = False,
                    build: Callable[[Arch], object] | None = None) -> Latency:
    """Measured latency of ``arch`` at ``resolution`` (default: its own), end to end.

    Args:
        cache: where results are stored and looked up (None: neither); see
            :func:`default_cache`.
        refresh: measure again even when the cache has a result (and store the new one).
        build: how to build the model (default :func:`nas.model.build_model`); a trained model
            may be passed in by a caller that has one.
    """
    from nas.model import build_model

    resolution = arch.resolution if resolution is None else check_int(
        "resolution", resolution, minimum=1)
    check_device(settings)
    key = measurement_key(arch, settings, resolution)
    if cache is not None and not refresh:
        stored = cache.get(key)
        if stored is not None:
            return Latency.from_dict(stored, cached=True)
    timing = time_module(lambda: (build or build_model)(arch),
                         (settings.batch, 3, resolution, resolution), settings)
    result = Latency(
        median_ms=round(timing.median_ms, 6), p90_ms=round(timing.p90_ms, 6),
        interval_ms=tuple(round(value, 6) for value in timing.interval_ms), runs=timing.runs,
        converged=timing.converged, runtime=settings.runtime, device=settings.device,
        device_name=device_name(settings.device), batch=settings.batch,
        threads=settings.threads, resolution=resolution, versions=versions(settings.runtime),
        measured_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    if cache is not None:
        cache.put({key: {**result.to_dict(), "arch": architecture_key(arch)}})
    return result
