"""The trial loop shared by ``nas search`` and ``nas scale``.

Each worker repeats: sweep dead workers' trials (on every storage: owners on this host by pid,
on RDB storages also Optuna's heartbeat for other hosts), reserve a slot (under the study lock
on journal and SQLite files, so the study never exceeds ``--trials`` finished trials), run one
trial through ``Study.optimize`` (which brings the heartbeat), and account for its outcome.
Ctrl-C / SIGTERM end the running trial as FAIL ("interrupted"); K consecutive failures stop the
run.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import optuna
from optuna.trial import FrozenTrial, TrialState

from nas.study._counts import count_trials, is_skipped
from nas.study._settings import StudySettings
from nas.study._stores import lock_path, storage_kind, study_lock
from nas.study._sweeper import (
    fail_own_running,
    fail_reason,
    record_owner,
    requeue,
    sweep_dead_workers,
    trial_by_number,
)

MAX_CONSECUTIVE_SKIPS = 500


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM, so it unwinds exactly like Ctrl-C."""


class RunFailed(RuntimeError):
    """The run stopped: too many consecutive failures, or nothing left to try."""


@dataclass
class Outcome:
    ran: int = 0
    signal: int | None = None
    """SIGINT or SIGTERM if the run was interrupted."""
    last_failure: str | None = None


class Reservation:
    """The study lock, held from the slot check until the new trial exists in the storage."""

    def __init__(self, context) -> None:
        self._context = context
        self._held = False

    def __enter__(self) -> Reservation:
        self._context.__enter__()
        self._held = True
        return self

    def release(self) -> None:
        if self._held:
            self._held = False
            self._context.__exit__(None, None, None)

    def __exit__(self, *exc) -> None:
        self.release()


@contextlib.contextmanager
def terminate_on_sigterm():
    """Turn SIGTERM into :class:`Terminated` while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


TrialObjective = Callable[[optuna.Trial], object]


class SurplusTrial(RuntimeError):
    """Another machine reserved the last slot at the same instant."""


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _guarded(objective: TrialObjective, trial: optuna.Trial) -> object:
    """Run ``objective``; record why it failed (exception or interrupt) on the trial."""
    try:
        return objective(trial)
    except optuna.TrialPruned:
        raise
    except KeyboardInterrupt:
        trial.set_user_attr("fail_reason", "interrupted")
        raise
    except Exception as error:
        reason = _first_line(error)
        if isinstance(error, MemoryError) or "out of memory" in str(error).lower():
            reason = f"out of memory: {reason}"
        trial.set_user_attr("fail_reason", reason)
        raise


def run_worker(study: optuna.Study, objective: TrialObjective, *, settings: StudySettings,
               name: str, remaining: Callable[[list[FrozenTrial]], int],
               surplus_limit: int | None = None,
               claim: Callable[[optuna.Trial], None] | None = None,
               on_trial_end: Callable[[FrozenTrial], None] | None = None) -> Outcome:
    """Run trials while ``remaining(trials)`` is positive (or until time runs out).

    ``surplus_limit``: on server storages, fail a trial that a simultaneous reservation on
    another machine made superfluous (the study then holds exactly that many trials).
    ``claim``: called on the new trial while the study lock is still held (e.g. to fix the
    grid point it will evaluate, so other workers count it as taken)."""
    outcome = Outcome()
    start = time.monotonic()
    failures = skips = 0
    heartbeat = storage_kind(settings.storage) in ("sqlite", "rdb")
    locked = lock_path(settings.storage, settings.root, name) is not None
    lock = lambda: study_lock(settings.storage, settings.root, name)  # noqa: E731
    with terminate_on_sigterm():
        ran: list[int] = []
        try:
            while True:
                if settings.timeout is not None and time.monotonic() - start >= settings.timeout:
                    break
                reservation = Reservation(lock())
                with reservation:
                    sweep_dead_workers(study, holding_lock=locked)
                    if heartbeat:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            optuna.storages.fail_stale_trials(study)
                    if remaining(study.get_trials(deepcopy=False)) <= 0:
                        break
                    ran = []

                    def one_trial(trial: optuna.Trial) -> object:
                        ran.append(trial.number)
                        record_owner(trial)
                        if claim is not None:
                            claim(trial)
                        reservation.release()
                        if surplus_limit is not None and not locked:
                            check_surplus(study, trial, surplus_limit)
                        return _guarded(objective, trial)

                    study.optimize(one_trial, n_trials=1, catch=(Exception,),
                                   gc_after_trial=False, show_progress_bar=False)
                if not ran:
                    continue
                outcome.ran += 1
                trial = trial_by_number(study, ran[0])
                if on_trial_end is not None:
                    on_trial_end(trial)
                if trial.state == TrialState.FAIL:
                    if trial.user_attrs.get("surplus"):
                        break
                    failures += 1
                    outcome.last_failure = trial.user_attrs.get("fail_reason", "unknown error")
                    if failures >= settings.max_failures:
                        raise RunFailed(f"stopped after {failures} consecutive failed trials; "
                                        f"the last failed with: {outcome.last_failure}")
                elif is_skipped(trial):
                    skips += 1
                    if skips >= MAX_CONSECUTIVE_SKIPS:
                        raise RunFailed(f"stopped after {skips} consecutive candidates over the "
                                        f"budget; raise --flops (or --latency) or --slack, use a "
                                        f"smaller search space, or a sampler that learns from "
                                        f"skipped candidates (tpe, evolution; gp does not)")
                else:
                    failures = skips = 0
        except KeyboardInterrupt as interrupt:
            outcome.signal = signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT
            interrupted = fail_own_running(study, "interrupted")
            if ran:
                interrupted.append(ran[0])
            requeue_interrupted(study, interrupted)
    return outcome


def requeue_interrupted(study: optuna.Study, numbers: list[int]) -> None:
    """Queue the parameters of trials cut short by Ctrl-C / SIGTERM again (once each), so the
    re-run evaluates them instead of losing the sampler's choice."""
    for number in set(numbers):
        trial = trial_by_number(study, number)
        if trial.state == TrialState.FAIL and fail_reason(study, trial) == "interrupted":
            requeue(study, trial)


def check_surplus(study: optuna.Study, trial: optuna.Trial, trials: int) -> bool:
    """Raise :class:`SurplusTrial` if ``trial`` would push the study past ``trials`` finished
    trials (possible only when workers on several machines reserve at the same instant)."""
    others = study.get_trials(deepcopy=False)
    counts = count_trials([t for t in others if t.state != TrialState.RUNNING])
    mine = trial_by_number(study, trial.number)

    def order(t: FrozenTrial) -> tuple:
        return (t.datetime_start or mine.datetime_start, t.number)

    earlier_running = sum(1 for t in others if t.state == TrialState.RUNNING
                          and order(t) < order(mine))
    if counts.finished + earlier_running >= trials:
        trial.set_user_attr("surplus", True)
        trial.set_user_attr("fail_reason", f"surplus: the study already has {trials} trials")
        raise SurplusTrial(f"the study already has {trials} trials")
    return False
