"""A candidate's trial: record its exact cost and its worker, share the result of a trial that
trained the same network, pick the best originals to confirm; and open a run's study once its
inputs are checked. Shared by the search, compound scaling and the rank check; the candidate
itself is scored by :mod:`nas.scoring`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import optuna
from optuna.trial import FrozenTrial, TrialState

from nas.arch import Arch, encode, to_dict
from nas.cost import Cost, count
from nas.scoring import get_data
from nas.search._summary import SKIPPED_IMAGES_KEY
from nas.study import CONFIRM_KEY, manifest, open_settings_study, trial_seed, worker_threads
from nas.train import resolve_device


def open_run(options, *, name: str, identity: dict, directions: list[str], sampler, pruner,
             threads: int | None, load_data: bool = True) -> tuple[optuna.Study, int]:
    """Check device and data of ``options`` (a SearchOptions or ScaleOptions), then open or
    create study ``name``; return it and the torch threads of this worker. Bad input writes
    nothing: the storage is touched only after everything else has been checked.
    ``load_data``: False where no candidate is trained (a table answers)."""
    resolve_device(options.proxy.train.device)
    data = get_data(options.proxy, resolution=options.proxy.resolution, seed=options.study.seed,
                    strict=getattr(options, "strict", False)) if load_data else None
    threads = threads or worker_threads(options.study.workers, options.proxy.train.threads)
    study = open_settings_study(
        options.study, name=name, identity=identity, directions=directions, sampler=sampler,
        pruner=pruner, manifest_document=manifest(options=dataclasses.asdict(options),
                                                  threads=threads,
                                                  device=options.proxy.train.device))
    if data is not None and data.skipped:
        study.set_user_attr(SKIPPED_IMAGES_KEY, {"count": len(data.skipped),
                                                 "files": list(data.skipped[:20])})
    return study, threads


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
                "reward", "latency_measured_ms", "fidelity", "table_seed",
                "table_mean_accuracy"):
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
