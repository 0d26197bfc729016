"""Reading results back out of a study: trial tables, the best trial, the Pareto front, the
architecture a trial evaluated, best.yaml and the run's summary document."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import optuna
import pandas
from optuna.trial import FrozenTrial, TrialState

from nas._errors import StudyError
from nas.arch import Arch, from_dict, save
from nas.cost import FLOP_UNIT
from nas.search._noise import noise_margin, pooled_seed_std, within_noise
from nas.study import StudyRun, best_by_seeds, count_trials, fail_reason, is_confirmation
from nas.study import is_feasible, seed_groups
from nas.study import state_label, study_directory

BEST_FILE = "best.yaml"


def arch_of(trial: FrozenTrial) -> Arch:
    """The target architecture a trial evaluated (stored with the trial, so edits to the space
    file later do not change it)."""
    if "arch" not in trial.user_attrs:
        raise StudyError(f"trial {trial.number} must hold an architecture, but it has none "
                         f"(state {trial.state.name})")
    return from_dict(trial.user_attrs["arch"], source=f"trial {trial.number}")


@dataclass(frozen=True)
class SeedNoise:
    """The seeds behind a single-objective study's results (see ``--confirm``).

    Attributes:
        groups: per complete original trial, its reward followed by its confirmations'.
        seed_std: pooled seed std of the reward over the confirmed trials (None: none).
        best: the winner's mean reward (None: no complete trial).
    """

    groups: dict[int, list[float]]
    seed_std: float | None
    best: float | None

    def mean(self, trial: FrozenTrial) -> float:
        values = self.groups.get(trial.number)
        return statistics.fmean(values) if values else trial.value

    def record(self, trial: FrozenTrial) -> dict:
        """``seed_rewards`` (one per training seed), ``mean_reward`` and ``within_noise`` (of
        the winner, by the rule of :func:`nas.search.within_noise`) of a complete trial."""
        if trial.state != TrialState.COMPLETE or trial.number not in self.groups:
            return {"seed_rewards": None, "mean_reward": None, "within_noise": None}
        mean = self.mean(trial)
        return {"seed_rewards": self.groups[trial.number], "mean_reward": mean,
                "within_noise": self.best is not None
                and within_noise(mean, self.best, self.seed_std)}

    def describe(self) -> dict:
        return {"seed_std": self.seed_std, "noise_margin": noise_margin(self.seed_std),
                "confirmed": sum(len(values) >= 2 for values in self.groups.values())}


def seed_noise(study: optuna.Study) -> SeedNoise:
    groups = seed_groups(study)
    complete = _originals(study)
    best = best_by_seeds(study, groups) if complete and len(study.directions) == 1 else None
    return SeedNoise(groups, pooled_seed_std(groups.values()),
                     None if best is None else statistics.fmean(groups[best.number]))


def _originals(study: optuna.Study) -> list[FrozenTrial]:
    return [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if not is_confirmation(t)]


def best_trial(study: optuna.Study) -> FrozenTrial | None:
    """Single objective: the highest reward among feasible complete trials (else among all);
    once trials have been confirmed (``--confirm``), the highest mean reward over seeds among
    the confirmed ones. Two objectives: the most accurate feasible trial on the Pareto front."""
    complete = _originals(study)
    if not complete:
        return None
    if len(study.directions) == 1:
        return best_by_seeds(study)
    front = pareto_trials(study)
    return max(front, key=lambda t: (is_feasible(t), t.values[0], -t.values[1]))


def pareto_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Two objectives: the (feasible, if any) Pareto front, most accurate first."""
    front = study.best_trials
    if not front:
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        front = [t for t in complete
                 if not any(o.values[0] >= t.values[0] and o.values[1] <= t.values[1]
                            and o.values != t.values for o in complete)]
    return sorted(front, key=lambda t: (-t.values[0], t.values[1]))


def find_trial(study: optuna.Study, which: str) -> FrozenTrial:
    """``best`` or a trial number."""
    if which == "best":
        trial = best_trial(study)
        if trial is None:
            raise StudyError(f"study {study.study_name!r} must have a complete trial, "
                             f"but has none yet")
        return trial
    if not (which.isascii() and which.isdecimal()):
        raise StudyError(f"trial must be 'best' or a trial number, but got {which!r}")
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    if int(which) not in trials:
        raise StudyError(f"trial must be one of 0..{max(trials, default=-1)} in study "
                         f"{study.study_name!r}, but got {which}")
    return trials[int(which)]


def trial_record(trial: FrozenTrial, study: optuna.Study | None = None) -> dict:
    """One trial as a JSON-ready dict (FLOPs: fvcore count at the target resolution); with
    ``study``, a failure recorded by the worker that swept the trial is included."""
    attrs = trial.user_attrs
    value = None
    if trial.values is not None and len(trial.values) == 1:
        value = trial.values[0]
    return {
        "number": trial.number,
        "state": state_label(trial),
        "flops": attrs.get("flops"),
        "params": attrs.get("params"),
        "accuracy": attrs.get("accuracy"),
        "reward": value,
        "latency_predicted_ms": attrs.get("latency_predicted_ms"),
        "latency_measured_ms": attrs.get("latency_measured_ms"),
        "feasible": is_feasible(trial) if trial.constraints else None,
        "train_seconds": attrs.get("train_seconds"),
        "score_seconds": attrs.get("score_seconds"),
        "blocks": attrs.get("blocks"),
        "reason": (fail_reason(study, trial) if study is not None
                   else attrs.get("skipped") or attrs.get("fail_reason")),
    }


def trial_frame(trials: list[FrozenTrial], *, limit: int | None = None,
                value_name: str = "reward", noise: SeedNoise | None = None) -> pandas.DataFrame:
    """A printable table (FLOPs and params in millions; fvcore FLOPs; in a latency-targeted
    study, predicted and measured milliseconds too); with ``noise`` from a confirmed study, the mean reward over seeds, their count and the within-noise mark."""
    rows = []
    confirmed = noise is not None and noise.seed_std is not None
    latency = any("latency_predicted_ms" in trial.user_attrs for trial in trials[:limit])
    for trial in trials[:limit]:
        record = trial_record(trial)
        seeds = noise.record(trial) if confirmed else {}
        rows.append({
            "trial": record["number"],
            "state": record["state"],
            "MFLOPs": _millions(record["flops"]),
            "M params": _millions(record["params"]),
            **({"ms predicted": _fixed(record["latency_predicted_ms"], 3),
                "ms measured": _fixed(record["latency_measured_ms"], 3)}
               if latency else {}),
            "accuracy": _fixed(record["accuracy"]),
            value_name: _fixed(record["reward"]),
            **({f"mean {value_name}": _fixed(seeds["mean_reward"]),
                "seeds": len(seeds["seed_rewards"] or ()) or "",
                "within noise": {True: "yes", False: "", None: ""}[seeds["within_noise"]]}
               if confirmed else {}),
            # training a proxy, or scoring with inherited weights (--supernet)
            "seconds": _fixed(record["train_seconds"] if record["train_seconds"] is not None
                              else record["score_seconds"], 1),
        })
    return pandas.DataFrame(rows)


def ranked_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Complete trials best first (by mean reward over seeds where confirmed), then pruned,
    skipped and failed ones. Confirmations are not listed: they are seeds of their
    original (see :class:`SeedNoise`)."""
    trials = [t for t in study.get_trials(deepcopy=False) if not is_confirmation(t)]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if len(study.directions) == 1:
        groups = seed_groups(study)
        complete.sort(key=lambda t: (is_feasible(t), statistics.fmean(groups[t.number])),
                      reverse=True)
    else:
        complete.sort(key=lambda t: (-t.values[0], t.values[1]))
    rest = sorted((t for t in trials if t.state != TrialState.COMPLETE),
                  key=lambda t: t.number)
    return complete + rest


def _millions(value) -> str:
    return "" if value is None else f"{value / 1e6:,.2f}"


def _fixed(value, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def write_best(study: optuna.Study, name: str, root: str = ".") -> Path | None:
    """Write the best trial's architecture to ``studies/<name>/best.yaml`` (atomically);
    return the path, or None while the study has no complete trial."""
    trial = best_trial(study)
    if trial is None:
        return None
    path = study_directory(root, name) / BEST_FILE
    save(arch_of(trial), path)
    return path


SKIPPED_IMAGES_KEY = "data_skipped_images"
"""Study attribute: the unreadable images of a folder left out of the data (count, first 20)."""


def search_summary(run: StudyRun, *, extra: dict | None = None) -> dict:
    """What a search found, as one JSON-ready document: trial counts, the best trial (and its
    config file), the top ten and, with two objectives, the Pareto front."""
    study = run.study
    counts = count_trials(study.get_trials(deepcopy=False))
    trial = best_trial(study)
    noise = seed_noise(study) if len(study.directions) == 1 else None
    document = {
        "study": run.name,
        "storage": run.storage,
        "flop_unit": FLOP_UNIT,
        "trials": {"finished": counts.finished, "complete": counts.complete,
                   "pruned": counts.pruned, "skipped": counts.skipped, "failed": counts.failed,
                   "running": counts.running, "ran_this_time": run.ran},
        "unresolved_running": run.unresolved,
        "interrupted": run.signal is not None,
        "error": run.failure,
        "skipped_images": study.user_attrs.get(SKIPPED_IMAGES_KEY, {"count": 0, "files": []}),
        **(extra or {}),
        "noise": noise and noise.describe(),
        "best": None if trial is None else {**trial_record(trial, study),
                                             **(noise.record(trial) if noise else {}),
                                             "config": run.outputs.get("best")},
        "top": [{**trial_record(t, study), **(noise.record(t) if noise else {})}
                for t in ranked_trials(study)[:10]],
    }
    if len(study.directions) == 2:
        document["pareto_front"] = [trial_record(t, study) for t in pareto_trials(study)]
    return document
