"""Crash recovery on local storages: a trial left RUNNING by a worker that died (SIGKILL, power
loss) is marked FAIL ("worker died") and its parameters are enqueued again, exactly once.

Optuna has no heartbeat for its journal file, so a RUNNING trial is judged by the host and pid
its worker recorded: on this host, a pid that no longer exists (or now belongs to a process
started later) means the worker is gone. RDB storages use Optuna's own heartbeat instead.
"""

from __future__ import annotations

import datetime
import os
import platform

import optuna
from optuna.trial import FrozenTrial, TrialState

from nas.search._sampling import process_start_ticks


ORPHAN_SECONDS = 600


def worker_alive(trial: FrozenTrial) -> bool | None:
    """True / False for a trial started on this host; None when it cannot be told. A trial
    with no recorded owner (its worker died within milliseconds of creating it) counts as dead
    once it is ten minutes old."""
    attrs = trial.user_attrs
    if "pid" not in attrs:
        started = trial.datetime_start
        if started is not None and (datetime.datetime.now() - started).total_seconds() > \
                ORPHAN_SECONDS:
            return False
        return None
    if attrs.get("host") != platform.node() or not isinstance(attrs.get("pid"), int):
        return None
    pid = attrs["pid"]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: only its start time can tell
    started = attrs.get("pid_start")
    return started is None or process_start_ticks(pid) in (None, started)


def fail_trial(study: optuna.Study, trial: FrozenTrial, reason: str) -> bool:
    """Mark a RUNNING trial FAIL with ``reason``; False if it had already finished."""
    storage = study._storage
    try:
        storage.set_trial_user_attr(trial._trial_id, "fail_reason", reason)
        return storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
    except (RuntimeError, optuna.exceptions.UpdateFinishedTrialError):
        return False


def sweep_dead_workers(study: optuna.Study) -> list[int]:
    """Fail and re-enqueue (once) every RUNNING trial whose local worker is gone; call it under
    the study lock. Returns the numbers of the trials swept."""
    swept = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if worker_alive(trial) is not False:
            continue
        attrs = trial.user_attrs
        reason = (f"worker died (pid {attrs['pid']} on {attrs['host']})" if "pid" in attrs
                  else "worker died before recording itself")
        if not fail_trial(study, trial, reason):
            continue
        swept.append(trial.number)
        if "retry_of" not in trial.user_attrs and trial.params:
            study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
    return swept


def fail_own_running(study: optuna.Study, reason: str) -> list[int]:
    """Mark FAIL every trial this process left RUNNING (after an interrupt)."""
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        attrs = trial.user_attrs
        if attrs.get("pid") == os.getpid() and attrs.get("host") == platform.node():
            if fail_trial(study, trial, reason):
                failed.append(trial.number)
    return failed
