"""The trained proxy: the network a candidate is judged by (its geometry, :func:`proxy_arch`),
and training it inside an Optuna trial (:func:`train_candidate`)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import optuna
import torch

from nas.arch import Arch, scale
from nas.data import ImageData
from nas.model import build_model
from nas.scoring._options import ProxySettings
from nas.train import EpochResult, FitResult, fit


def proxy_arch(target: Arch, *, num_classes: int, resolution: int, width: float,
               strides_removed: int = 0) -> Arch:
    """The network actually trained: ``target`` at the proxy resolution, width and classes,
    with its first ``strides_removed`` stride-2 stages at stride 1 (see
    :attr:`ProxySettings.strides_removed`)."""
    arch = scale(target, width=width) if width != 1 else target
    stages, removed = [], 0
    for stage in arch.stages:
        if stage.stride == 2 and removed < strides_removed:
            stage, removed = dataclasses.replace(stage, stride=1), removed + 1
        stages.append(stage)
    return dataclasses.replace(arch, stages=tuple(stages), resolution=resolution,
                               num_classes=num_classes)


def train_candidate(trial: optuna.Trial, target: Arch, *, proxy: ProxySettings, data: ImageData,
                    seed: int, threads: int,
                    on_epoch: Callable[[EpochResult], None] | None = None,
                    progress: Callable[[EpochResult], None] | None = None) -> FitResult:
    """Train the proxy of ``target``; store accuracy per epoch and timings as user attributes."""
    arch = proxy_arch(target, num_classes=data.num_classes, resolution=data.resolution,
                      width=proxy.width, strides_removed=proxy.strides_removed)
    config = dataclasses.replace(proxy.train, seed=seed, threads=threads)
    torch.manual_seed(seed)
    model = build_model(arch)
    trial.set_user_attr("proxy_resolution", data.resolution)
    trial.set_user_attr("proxy_params", sum(p.numel() for p in model.parameters()))
    accuracies: list[float] = []
    start = time.perf_counter()

    def after_epoch(result: EpochResult) -> None:
        accuracies.append(result.validation_accuracy)
        trial.set_user_attr("accuracy_per_epoch", list(accuracies))
        if progress is not None:
            progress(result)
        if on_epoch is not None:
            on_epoch(result)

    result = fit(model, data, config, on_epoch=after_epoch)
    trial.set_user_attr("accuracy", result.accuracy)
    trial.set_user_attr("train_seconds", round(time.perf_counter() - start, 3))
    trial.set_user_attr("compute_seconds", round(result.timing.compute_seconds, 3))
    return result
