"""Reading results back out of a study: trial tables, the best trial, the Pareto front, and the
architecture a trial evaluated."""

from __future__ import annotations

from dataclasses import dataclass

import optuna
import pandas
from optuna.trial import FrozenTrial, TrialState

from nas._errors import StudyError
from nas.arch import Arch, from_dict


@dataclass(frozen=True)
class Counts:
    complete: int
    pruned: int
    skipped: int
    failed: int
    running: int
    waiting: int

    @property
    def finished(self) -> int:
        """Trials that count towards ``--trials``: complete or pruned (not skipped, not failed)."""
        return self.complete + self.pruned


def is_skipped(trial: FrozenTrial) -> bool:
    return trial.state == TrialState.PRUNED and "skipped" in trial.user_attrs


def count_trials(trials: list[FrozenTrial]) -> Counts:
    states = [t.state for t in trials]
    skipped = sum(is_skipped(t) for t in trials)
    return Counts(complete=states.count(TrialState.COMPLETE),
                  pruned=states.count(TrialState.PRUNED) - skipped, skipped=skipped,
                  failed=states.count(TrialState.FAIL), running=states.count(TrialState.RUNNING),
                  waiting=states.count(TrialState.WAITING))


def state_label(trial: FrozenTrial) -> str:
    return "SKIPPED" if is_skipped(trial) else trial.state.name


def is_feasible(trial: FrozenTrial) -> bool:
    return all(value <= 0 for value in trial.constraints.values())


def arch_of(trial: FrozenTrial) -> Arch:
    """The target architecture a trial evaluated (stored with the trial, so edits to the space
    file later do not change it)."""
    if "arch" not in trial.user_attrs:
        raise StudyError(f"trial {trial.number} must hold an architecture, but it has none "
                         f"(state {trial.state.name})")
    return from_dict(trial.user_attrs["arch"], source=f"trial {trial.number}")


def _reward_key(trial: FrozenTrial) -> tuple:
    return (is_feasible(trial), trial.value if trial.value is not None else float("-inf"))


def best_trial(study: optuna.Study) -> FrozenTrial | None:
    """Single objective: the highest reward among feasible complete trials (else among all).
    Two objectives: the most accurate feasible trial on the Pareto front."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        return None
    if len(study.directions) == 1:
        return max(complete, key=_reward_key)
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


def trial_record(trial: FrozenTrial) -> dict:
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
        "feasible": is_feasible(trial) if trial.constraints else None,
        "train_seconds": attrs.get("train_seconds"),
        "blocks": attrs.get("blocks"),
        "reason": attrs.get("skipped") or attrs.get("fail_reason"),
    }


def trial_frame(trials: list[FrozenTrial], *, limit: int | None = None,
                value_name: str = "reward") -> pandas.DataFrame:
    """A printable table (FLOPs and params in millions; fvcore FLOPs)."""
    rows = []
    for trial in trials[:limit]:
        record = trial_record(trial)
        rows.append({
            "trial": record["number"],
            "state": record["state"],
            "MFLOPs": _millions(record["flops"]),
            "M params": _millions(record["params"]),
            "accuracy": _fixed(record["accuracy"]),
            value_name: _fixed(record["reward"]),
            "seconds": _fixed(record["train_seconds"], 1),
        })
    return pandas.DataFrame(rows)


def ranked_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Complete trials best first, then pruned, skipped and failed ones."""
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if len(study.directions) == 1:
        complete.sort(key=_reward_key, reverse=True)
    else:
        complete.sort(key=lambda t: (-t.values[0], t.values[1]))
    rest = sorted((t for t in trials if t.state != TrialState.COMPLETE),
                  key=lambda t: t.number)
    return complete + rest


def _millions(value) -> str:
    return "" if value is None else f"{value / 1e6:,.2f}"


def _fixed(value, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"
