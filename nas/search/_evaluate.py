"""Evaluating one candidate inside an Optuna trial: record its exact cost, train its proxy, and
report per-epoch values; and opening a run's study once its inputs are checked. Shared by the
search and by compound scaling."""

from __future__ import annotations

import collections
import dataclasses
import time
from collections.abc import Callable

import optuna
import torch
from optuna.trial import FrozenTrial, TrialState

from nas.arch import Arch, encode, scale, to_dict
from nas.cost import Cost, count
from nas.data import ImageData, load_data
from nas.model import build_model
from nas.search._options import ProxySettings
from nas.study import CONFIRM_KEY, manifest, open_settings_study, trial_seed, worker_threads
from nas.train import EpochResult, FitResult, fit, resolve_device

DATA_CACHE_SIZE = 2
"""Data sets (at one resolution each) kept per process: ``nas scale`` trains at several proxy
resolutions, and a search needs one; older entries are dropped."""
_DATA_CACHE: collections.OrderedDict[tuple, ImageData] = collections.OrderedDict()


def get_data(proxy: ProxySettings, *, resolution: int, seed: int) -> ImageData:
    """The proxy data at ``resolution`` (split fixed by ``seed``), cached per process for the
    last :data:`DATA_CACHE_SIZE` keys. It never holds the test split: a search or scaling run
    selects on the validation split and never looks at the test images."""
    key = (proxy.data, resolution, seed, proxy.train_size, proxy.validation_fraction)
    if key in _DATA_CACHE:
        _DATA_CACHE.move_to_end(key)
        return _DATA_CACHE[key]
    data = load_data(proxy.data, resolution=resolution, seed=seed,
                     validation_fraction=proxy.validation_fraction,
                     train_size=proxy.train_size, test=False)
    _DATA_CACHE[key] = data
    while len(_DATA_CACHE) > DATA_CACHE_SIZE:
        _DATA_CACHE.popitem(last=False)
    return data


def open_run(options, *, name: str, identity: dict, directions: list[str], sampler, pruner,
             threads: int | None) -> tuple[optuna.Study, int]:
    """Check device and data of ``options`` (a SearchOptions or ScaleOptions), then open or
    create study ``name``; return it and the torch threads of this worker. Bad input writes
    nothing: the storage is touched only after everything else has been checked."""
    resolve_device(options.proxy.train.device)
    get_data(options.proxy, resolution=options.proxy.resolution, seed=options.study.seed)
    threads = threads or worker_threads(options.study.workers, options.proxy.train.threads)
    study = open_settings_study(
        options.study, name=name, identity=identity, directions=directions, sampler=sampler,
        pruner=pruner, manifest_document=manifest(options=dataclasses.asdict(options),
                                                  threads=threads,
                                                  device=options.proxy.train.device))
    return study, threads


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


SAME_NETWORK_KEY = "same_network_as"


def trained_twin(study: optuna.Study, target: Arch, **attributes) -> FrozenTrial | None:
    """A complete trial of ``study`` that trained the same network: the same target
    architecture and the same value of every user attribute in ``attributes`` (e.g. the proxy
    resolution). Trials that only shared a result, and confirmations (other seeds), do not
    count. A trial that finds one shares its result instead of training again."""
    wanted = to_dict(target)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        attrs = trial.user_attrs
        if (attrs.get("arch") == wanted and SAME_NETWORK_KEY not in attrs
                and CONFIRM_KEY not in attrs
                and all(attrs.get(key) == value for key, value in attributes.items())):
            return trial
    return None


def best_originals(study: optuna.Study, count: int, *,
                   keep: Callable[[FrozenTrial], bool] = lambda trial: True
                   ) -> list[FrozenTrial]:
    """The ``count`` complete trials with the highest single-seed value that trained their own
    network (no confirmation, no shared result) and pass ``keep``: what ``--confirm`` trains
    again. Single-seed values only, so choosing again after a crash picks the same trials."""
    own = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
           if CONFIRM_KEY not in t.user_attrs and SAME_NETWORK_KEY not in t.user_attrs
           and keep(t)]
    return sorted(own, key=lambda t: (-t.value, t.number))[:count]


def share_result(trial: optuna.Trial, twin: FrozenTrial) -> None:
    """Record on ``trial`` that it is ``twin``'s network and copy what training measured."""
    trial.set_user_attr(SAME_NETWORK_KEY, twin.number)
    for key in ("proxy_resolution", "proxy_params", "accuracy", "accuracy_per_epoch",
                "reward", "latency_measured_ms"):
        if key in twin.user_attrs:
            trial.set_user_attr(key, twin.user_attrs[key])


def record_worker(trial: optuna.Trial, *, study_seed: int, threads: int, device: str) -> int:
    """Threads, device and seed of the trial (its owner was recorded when it was created);
    returns the trial's seed."""
    seed = trial_seed(study_seed, trial.number)
    for key, value in {"threads": threads, "device": device, "seed": seed}.items():
        trial.set_user_attr(key, value)
    return seed


def record_candidate(trial: optuna.Trial, target: Arch) -> Cost:
    """Count the target's FLOPs and params (analytic, exact) and store them with its config."""
    cost = count(target)
    trial.set_user_attr("arch", to_dict(target))
    trial.set_user_attr("blocks", [encode(stage) for stage in target.stages])
    trial.set_user_attr("flops", cost.flops)
    trial.set_user_attr("params", cost.params)
    trial.set_user_attr("target_resolution", target.resolution)
    trial.set_user_attr("target_num_classes", target.num_classes)
    return cost


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
