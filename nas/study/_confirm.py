"""Confirmation: after the main trials, the best ones are trained again with another seed before
a winner is declared, so a choice is made above seed noise (used by ``nas search --confirm`` and
``nas scale --confirm``).

A confirmation is a queued trial with the original's parameters and the user attribute
``confirm_of`` = the original's number; it gets its own trial seed. Which trials to confirm is
decided from the originals' single-seed values only, so deciding again after a crash queues
nothing new.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

import optuna
from optuna.trial import FrozenTrial, TrialState

from nas.study._stores import study_lock
from nas.study._workers import StudyRun, run_study

CONFIRM_KEY = "confirm_of"


def is_confirmation(trial: FrozenTrial) -> bool:
    return CONFIRM_KEY in trial.user_attrs


def count_confirmations(study: optuna.Study) -> int:
    """Confirmations the study holds or waits for (failed ones are queued again)."""
    return len({t.user_attrs[CONFIRM_KEY] for t in study.get_trials(deepcopy=False)
                if is_confirmation(t) and t.state != TrialState.FAIL})


def queue_confirmations(study: optuna.Study, top: list[FrozenTrial]) -> int:
    """Queue one confirmation of every trial in ``top`` that has none (queued, running or
    finished; a failed one is replaced); return how many confirmations the study holds or waits
    for. Call it under the study lock."""
    held = {t.user_attrs[CONFIRM_KEY] for t in study.get_trials(deepcopy=False)
            if is_confirmation(t) and t.state != TrialState.FAIL}
    for trial in top:
        if trial.number not in held:
            study.enqueue_trial(trial.params, user_attrs={CONFIRM_KEY: trial.number})
    return len(held | {trial.number for trial in top})


def seed_groups(study: optuna.Study) -> dict[int, list[float]]:
    """Per complete original trial (by number), its value followed by the value of each
    complete confirmation: one entry per training seed."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    groups = {t.number: [t.value] for t in complete if not is_confirmation(t)}
    for trial in complete:
        if is_confirmation(trial) and trial.user_attrs[CONFIRM_KEY] in groups:
            groups[trial.user_attrs[CONFIRM_KEY]].append(trial.value)
    return groups


def is_feasible(trial: FrozenTrial) -> bool:
    """Within the budget: every constraint of ``trial.set_constraint`` at most 0."""
    return all(value <= 0 for value in trial.constraints.values())


def best_by_seeds(study: optuna.Study, groups: dict[int, list[float]] | None = None
                  ) -> FrozenTrial | None:
    """The best complete trial of a single-objective (maximised) study: among the confirmed
    trials once there are any (else among all complete originals), feasible ones first, the
    highest mean value over seeds. None without a complete trial."""
    groups = seed_groups(study) if groups is None else groups
    complete = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if not is_confirmation(t) and t.number in groups]  # another worker may have
    confirmed = [t for t in complete if len(groups[t.number]) >= 2]  # finished one since
    if not complete:
        return None
    return max(confirmed or complete,
               key=lambda t: (is_feasible(t), statistics.fmean(groups[t.number])))


def run_confirmations(run: StudyRun, prepared, *, pick: Callable[[optuna.Study],
                      list[FrozenTrial]], settings, worker, make_objective, progress: bool,
                      log: Callable[[str], None] | None) -> StudyRun:
    """After a complete main run, queue confirmations of ``pick(study)`` and run them (with
    ``prepared.confirmations`` set, so its ``total`` counts them); return the combined run. An
    interrupted, failed or unsettled run is returned as it is."""
    if run.signal is not None or run.failure or run.unresolved:
        return run
    with study_lock(settings.storage, settings.root, prepared.name):
        prepared.confirmations = queue_confirmations(run.study, pick(run.study))
    if not prepared.confirmations:
        return run
    if log is not None:
        log(f"confirming: the best {prepared.confirmations} train again with another seed to "
            f"measure seed noise")
    second = run_study(prepared, worker=worker, make_objective=make_objective,
                       settings=settings, progress=progress, log=log)
    second.ran += run.ran
    return second
