"""Predicted latency from a per-block lookup table, in the spirit of once-for-all's tables.

A network is cut into parts: the stem, every block, and the head (1×1 conv, pooling and the
classifier). Each part is timed once per device and stored in ``studies/latency/blocks.json``
under a key naming everything its latency depends on: block type, kernel, stride, expand ratio,
SE ratio, input and output channels, input feature-map side, whether it has a residual, the
activation, and the measuring context (device by name, runtime, batch, threads, software
versions). The predicted latency of a network is the sum of its parts' entries. Entries are
measured the first time a network needs them, under a lock, so concurrent workers never time
the same part twice.

How a part is timed: in ``torch``, *inside the network that first needs it*: the whole network
runs (warm-up, then the stopping rule of :mod:`nas.cost._timing` on its end-to-end time) and a
clock read after the stem and after every block splits each run into its parts, whose medians
are stored. Timing a block alone, on the same input over and over, keeps its weights and
activations in cache and under-predicted whole networks by 20-35 % on this project's 2-core CPU
(the benchmark in ``benchmarks/latency.py``); inside the network each part sees the cache state
it has in real use. In ``onnxruntime``, which has no per-block clock, each part is exported and
timed alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from nas._errors import ConfigError
from nas.arch import (Arch, format_number, has_residual, iter_blocks, output_size,
                      stage_activation)
from nas.cost._latency import (
    CACHE_DIRECTORY,
    check_device,
    device_name,
    time_module,
    versions,
)
from nas.cost._store import JsonStore
from nas.cost._timing import LatencySettings

TABLE_SETTINGS = dict(warmup_seconds=0.3, max_seconds=3.0)
"""Table entries are timed with a shorter warm-up and time bound than an end-to-end
measurement (a search fills the table as it goes); the precision target is the same."""


@dataclass(frozen=True)
class Part:
    """One timed part of a network: its table key (without the measuring context) and the
    shape of its input, (batch, channels, side, side)."""

    key: str
    input_shape: tuple[int, int, int, int]
    kind: str
    """``stem``, ``block`` or ``head``."""
    index: int | None = None
    """0-based block index for blocks."""


def parts(arch: Arch, *, resolution: int | None = None, batch: int = 1) -> list[Part]:
    """The parts of ``arch`` at ``resolution`` (default: its own), in network order."""
    side = arch.resolution if resolution is None else resolution
    activation = arch.activation
    found = [Part(f"stem_i3_o{arch.stem_channels}_k3_s{arch.stem_stride}_{side}px_{activation}",
                  (batch, 3, side, side), "stem")]
    side = output_size(side, arch.stem_stride)
    for block in iter_blocks(arch):
        stage = block.stage
        residual = has_residual(stage, block.in_channels, block.stride)
        key = (f"{stage.block_type}_k{stage.kernel_size}_s{block.stride}"
               f"_e{format_number(stage.expand_ratio)}_se{format_number(stage.se_ratio)}"
               f"_i{block.in_channels}_o{stage.out_channels}_{side}px_"
               f"{stage_activation(arch, stage) if stage.block_type != 'pj' else 'linear'}"
               + ("_residual" if residual else ""))
        found.append(Part(key, (batch, block.in_channels, side, side), "block", block.index))
        side = output_size(side, block.stride)
    last = arch.stages[-1].out_channels
    found.append(Part(f"head_i{last}_o{arch.head_channels}_n{arch.num_classes}_{side}px_"
                      f"{activation}", (batch, last, side, side), "head"))
    return found


def _module(arch: Arch, part: Part):
    """The torch module of one part (blocks as built in the network, without stochastic depth
    or dropout, which are identities in eval mode)."""
    from torch import nn

    from nas.model import ConvBnAct, build_block

    if part.kind == "stem":
        return ConvBnAct(3, arch.stem_channels, 3, stride=2, activation=arch.activation)
    if part.kind == "head":
        return nn.Sequential(
            ConvBnAct(part.input_shape[1], arch.head_channels, 1, activation=arch.activation),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(arch.head_channels,
                                                            arch.num_classes))
    block = next(block for block in iter_blocks(arch) if block.index == part.index)
    return build_block(dataclasses.replace(arch, drop_path_rate=0.0), block)


def _time_in_network(arch: Arch, wanted: list[Part], settings: LatencySettings
                     ) -> list[tuple[float, int]]:
    """(median ms, timed runs) of every part of ``wanted`` (``parts(arch, ...)``), timed
    inside the whole network: clock reads after the stem and every block split each forward
    pass into stem, blocks and the rest (the head). The runs cycle through
    ``settings.instances`` separately built copies of the network."""
    import itertools
    import time

    import torch

    from nas.cost._timing import median_of, pinned_threads, time_runs
    from nas.model import build_model

    device = torch.device(settings.device)
    models = [build_model(arch).eval().to(device) for _ in range(settings.instances)]
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    marks: list[float] = []
    runs: list[list[float]] = []

    def stamp(*_) -> None:
        synchronize()
        marks.append(time.perf_counter())

    handles = []
    for model in models:
        handles.append(model.stem.register_forward_hook(stamp))
        handles += [block.register_forward_hook(stamp)
                    for stage in model.stages for block in stage]
    side = wanted[0].input_shape[2]
    images = torch.randn(settings.batch, 3, side, side,
                         generator=torch.Generator().manual_seed(0)).to(device)
    turn = itertools.count()

    def run() -> None:
        marks.clear()
        stamp()
        with torch.inference_mode():
            models[next(turn) % len(models)](images)
        stamp()
        runs.append([end - start for start, end in zip(marks, marks[1:])])

    try:
        with pinned_threads(settings.threads):
            timing = time_runs(run, settings, synchronize=synchronize if device.type == "cuda"
                               else None)
    finally:
        for handle in handles:
            handle.remove()
    timed = runs[-timing.runs:]  # the warm-up runs came first
    if len(timed[0]) != len(wanted):
        raise ConfigError(f"a network's parts must be its stem, blocks and head, but timing "
                          f"found {len(timed[0])} for {len(wanted)}")
    return [(median_of([run[index] * 1000 for run in timed]), timing.runs)
            for index in range(len(wanted))]


@dataclass(frozen=True, kw_only=True)
class Prediction:
    """Predicted latency of one network: the sum of its parts' table entries."""

    latency_ms: float
    parts_ms: tuple[tuple[str, float], ...]
    """(part key, milliseconds) in network order."""
    measured: int
    """Parts this prediction had to time (not yet in the table)."""


class LatencyTable:
    """A per-part latency table for one measuring context (device, runtime, batch, threads).

    Args:
        settings: where and how parts are timed (its warm-up and time bound are shortened to
            :data:`TABLE_SETTINGS` per part).
        root: the directory holding ``studies/`` (the table is
            ``studies/latency/blocks.json``), unless ``path`` is given.
    """

    def __init__(self, settings: LatencySettings = LatencySettings(), *, root: str = ".",
                 path: str | None = None) -> None:
        check_device(settings)  # before versions(), which imports the runtime
        self.measure_settings = settings
        """The settings as given: what an end-to-end measurement beside the table uses."""
        self.settings = dataclasses.replace(settings, **TABLE_SETTINGS)
        self.store = JsonStore(path or f"{root}/{CACHE_DIRECTORY}/blocks.json",
                               what="latency table")
        context = {**settings.context(), "device_name": device_name(settings.device),
                   "versions": versions(settings.runtime)}
        self.context = context
        self.prefix = hashlib.sha256(json.dumps(context, sort_keys=True).encode()
                                     ).hexdigest()[:12] + ":"

    def predict(self, arch: Arch, *, resolution: int | None = None) -> Prediction:
        """Predicted latency of ``arch`` at ``resolution`` (default: its own), in ms; parts not
        yet in the table are timed now and stored."""
        wanted = parts(arch, resolution=resolution, batch=self.settings.batch)
        entries = self.store.read()
        missing = [part for part in wanted if self.prefix + part.key not in entries]
        measured = 0
        if missing:
            with self.store.locked():
                entries = self.store.read()  # another worker may have timed them meanwhile
                new: dict[str, dict] = {}
                if self.settings.runtime == "torch":
                    timed = _time_in_network(arch, wanted, self.settings)
                else:
                    timed = None
                for index, part in enumerate(wanted):
                    key = self.prefix + part.key
                    if key in entries or key in new:
                        continue
                    if timed is None:
                        timing = time_module(lambda: _module(arch, part), part.input_shape,
                                             self.settings)
                        median, runs = timing.median_ms, timing.runs
                    else:
                        median, runs = timed[index]
                    new[key] = {"median_ms": round(median, 6), "runs": runs, "part": part.key,
                                **self.context}
                self.store.update(new)
                entries, measured = {**entries, **new}, len(new)
        values = tuple((part.key, entries[self.prefix + part.key]["median_ms"])
                       for part in wanted)
        if not values:
            raise ConfigError("a network must have at least a stem and a head")
        return Prediction(latency_ms=round(sum(ms for _, ms in values), 6), parts_ms=values,
                          measured=measured)

    def __len__(self) -> int:
        """Entries of this table's measuring context."""
        return sum(key.startswith(self.prefix) for key in self.store.read())


WITHIN = 0.10
"""The predictor's tolerance: a prediction is good when within ±10 % of the measurement."""


@dataclass(frozen=True, kw_only=True)
class Validation:
    """How well the table predicts measured end-to-end latency over some networks.

    Attributes:
        rows: per network: predicted and measured milliseconds and the error in % of the
            measurement ((predicted − measured) / measured × 100).
        within_share: share of networks predicted within ±10 %.
        rmse_percent: root mean square of the errors, in %.
        bias_percent: mean error, in % (positive: the table over-predicts).
    """

    rows: tuple[dict, ...]
    within_share: float
    rmse_percent: float
    bias_percent: float

    def to_dict(self) -> dict:
        return {"rows": list(self.rows), "within_10_percent": self.within_share,
                "rmse_percent": self.rmse_percent, "bias_percent": self.bias_percent}


def validate_table(table: LatencyTable, archs: list[Arch], *, cache: JsonStore | None = None,
                   on_network=None) -> Validation:
    """Predict each of ``archs`` from ``table`` and measure it end to end with the table's
    measuring settings as given (not the table's shorter per-entry bounds);
    ``on_network(row)`` is called after each."""
    import math

    from nas.arch import encode
    from nas.cost._latency import measure_latency

    settings = table.measure_settings
    rows = []
    for arch in archs:
        predicted = table.predict(arch).latency_ms
        measured = measure_latency(arch, settings, cache=cache).median_ms
        error = (predicted - measured) / measured * 100
        row = {"blocks": [encode(stage) for stage in arch.stages],
               "resolution": arch.resolution, "predicted_ms": round(predicted, 4),
               "measured_ms": round(measured, 4), "error_percent": round(error, 3)}
        rows.append(row)
        if on_network is not None:
            on_network(row)
    if not rows:
        raise ConfigError("validation needs at least one network, but got none")
    errors = [row["error_percent"] for row in rows]
    return Validation(
        rows=tuple(rows),
        within_share=sum(abs(error) <= 100 * WITHIN for error in errors) / len(errors),
        rmse_percent=math.sqrt(sum(error * error for error in errors) / len(errors)),
        bias_percent=sum(errors) / len(errors))
