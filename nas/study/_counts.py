"""Counting a study's trials by state, as ``--trials`` counts them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from optuna.trial import FrozenTrial, TrialState


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
    """A trial recorded but not evaluated (e.g. over the FLOP budget): PRUNED with
    a ``skipped`` reason; it does not count towards ``--trials``."""
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


def trials_remaining(total: int) -> Callable[[list[FrozenTrial]], int]:
    """Slots left when the study should hold ``total`` finished (complete or pruned) trials;
    a RUNNING trial holds a slot."""
    def remaining(trials: list[FrozenTrial]) -> int:
        counts = count_trials(trials)
        return total - counts.finished - counts.running
    return remaining
