"""Predicted latency from a per-block lookup table, in the spirit of once-for-all's tables.

A network is cut into parts: the stem, every block, and the head (1×1 conv, pooling and the
classifier). Each part is timed alone, once per device, on an input of its own shape, and stored
in ``studies/latency/blocks.json`` under a key naming everything its latency depends on: block
type, kernel, stride, expand ratio, SE ratio, input and output channels, input feature-map side,
whether it has a residual, the activation, and the measuring context (device by name, runtime,
batch, threads, software versions). The predicted latency of a network is the sum of its parts'
entries. Entries are measured the first time a network needs them, under a lock, so concurrent
workers never time the same part twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from nas._errors import ConfigError
from nas.arch import Arch, format_number, has_residual, iter_blocks, output_size
from nas.cost._latency import (
    CACHE_DIRECTORY,
    check_device,
    device_name,
    time_module,
    versions,
)
from nas.cost._store import JsonStore
from nas.cost._timing import LatencySettings

TABLE_SETTINGS = dict(warmup_seconds=0.1, max_seconds=2.0)
"""Each part is timed with a shorter warm-up and time bound than a whole network (they are
small and many); the precision target is the same."""


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
    found = [Part(f"stem_i3_o{arch.stem_channels}_k3_s2_{side}px_{activation}",
                  (batch, 3, side, side), "stem")]
    side = output_size(side, 2)
    for block in iter_blocks(arch):
        stage = block.stage
        residual = has_residual(stage, block.in_channels, block.stride)
        key = (f"{stage.block_type}_k{stage.kernel_size}_s{block.stride}"
               f"_e{format_number(stage.expand_ratio)}_se{format_number(stage.se_ratio)}"
               f"_i{block.in_channels}_o{stage.out_channels}_{side}px_{activation}"
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
            check_device(self.settings)
            with self.store.locked():
                entries = self.store.read()  # another worker may have timed them meanwhile
                new: dict[str, dict] = {}
                for part in missing:
                    key = self.prefix + part.key
                    if key in entries or key in new:
                        continue
                    timing = time_module(_module(arch, part), part.input_shape, self.settings)
                    new[key] = {"median_ms": round(timing.median_ms, 6),
                                "p90_ms": round(timing.p90_ms, 6), "runs": timing.runs,
                                "part": part.key, **self.context}
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
    measuring context (full warm-up and precision); ``on_network(row)`` is called after each."""
    import math

    from nas.arch import encode
    from nas.cost._latency import measure_latency

    settings = dataclasses.replace(table.settings, **{
        name: getattr(LatencySettings(), name) for name in TABLE_SETTINGS})
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
