"""Crash recovery: a trial left RUNNING by a worker that died (SIGKILL, power loss) is marked
FAIL ("worker died") and its parameters are queued again, exactly once.

Every trial records its owner (host, pid, the process's start time) the moment the objective
starts, on every storage. A RUNNING trial whose owner ran on this host and is gone is failed at
once, whatever the storage; owners on other hosts can only be judged by Optuna's heartbeat (RDB
storages), which ends in :func:`requeue_stale` as well. One retry convention throughout: the
queued copy carries the user attribute ``retry_of`` = the failed trial's number, and a trial
that is itself a retry is not retried again.
"""

from __future__ import annotations

import datetime
import os
import platform

import optuna
from optuna.trial import FrozenTrial, TrialState

ORPHAN_SECONDS = 600
RETRY_KEY = "retry_of"
_REASON_PREFIX = "nas.fail_reason."


def process_start_ticks(pid: int) -> int | None:
    """Start time of a process (Linux clock ticks since boot), to tell a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stream:
            return int(stream.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def record_owner(trial: optuna.Trial) -> None:
    """Host, pid, process start and start time of the worker that owns ``trial``; called first
    thing in every trial, so a worker that dies at any later point can be recognised."""
    pid = os.getpid()
    owner = {"host": platform.node(), "pid": pid, "pid_start": process_start_ticks(pid),
             "started_at": datetime.datetime.now(datetime.timezone.utc).isoformat(
                 timespec="seconds")}
    for key, value in owner.items():
        trial.set_user_attr(key, value)


def worker_alive(trial: FrozenTrial) -> bool | None:
    """True / False for a trial started on this host; None when it cannot be told (another
    host). A trial with no recorded owner (its worker died within milliseconds of creating it)
    counts as dead once it is ten minutes old."""
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


def fail_reason(study: optuna.Study, trial: FrozenTrial) -> str | None:
    """Why a trial failed or was skipped: recorded by the trial itself, or by the worker that
    swept it (a finished trial's attributes can no longer change, so that lands on the study)."""
    attrs = trial.user_attrs
    reason = attrs.get("skipped") or attrs.get("fail_reason")
    if reason is None and trial.state == TrialState.FAIL:
        reason = study.user_attrs.get(f"{_REASON_PREFIX}{trial.number}")
    return reason


def fail_trial(study: optuna.Study, trial: FrozenTrial, reason: str) -> bool:
    """Mark another worker's RUNNING trial FAIL with ``reason``; False if it had finished."""
    if trial_by_number(study, trial.number).state.is_finished():
        return False
    try:
        study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
    except (RuntimeError, ValueError):  # finished by someone else in between
        return False
    study.set_user_attr(f"{_REASON_PREFIX}{trial.number}", reason)
    return True


def requeue(study: optuna.Study, trial: FrozenTrial) -> bool:
    """Queue the parameters of failed ``trial`` again, unless it is a retry itself, has none,
    or a retry of it already exists. Returns whether it queued one."""
    if RETRY_KEY in trial.user_attrs or not trial.params:
        return False
    if any(t.user_attrs.get(RETRY_KEY) == trial.number for t in study.get_trials(deepcopy=False)):
        return False
    study.enqueue_trial(trial.params, user_attrs={RETRY_KEY: trial.number})
    return True


def requeue_stale(study: optuna.Study, trial: FrozenTrial) -> None:
    """Optuna's heartbeat callback (RDB storages): the trial's worker stopped beating (any host)
    and Optuna has failed it; record why and queue its parameters again once."""
    study.set_user_attr(f"{_REASON_PREFIX}{trial.number}",
                        "worker died (its heartbeat stopped)")
    requeue(study, trial)


def sweep_dead_workers(study: optuna.Study, *, holding_lock: bool = False) -> list[int]:
    """Fail and re-queue (once) every RUNNING trial whose worker on this host is gone; call it
    under the study lock where the storage has one. Returns the numbers of the trials swept.

    ``holding_lock``: the caller holds the study's file lock, under which every worker creates
    its trial and records its owner (``run_worker``); a RUNNING trial with no owner is then one
    whose worker died in between (e.g. SIGKILL), and is swept at once rather than after
    ``ORPHAN_SECONDS``."""
    swept = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        unowned = "pid" not in trial.user_attrs
        if not (worker_alive(trial) is False or (holding_lock and unowned)):
            continue
        attrs = trial.user_attrs
        reason = (f"worker died (pid {attrs['pid']} on {attrs['host']})" if "pid" in attrs
                  else "worker died before recording itself")
        if not fail_trial(study, trial, reason):
            continue
        swept.append(trial.number)
        requeue(study, trial)
    return swept


def unresolved_running(study: optuna.Study) -> list[FrozenTrial]:
    """RUNNING trials whose owner this host cannot judge (another host) or that is alive."""
    return [t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if worker_alive(t) is not False]


def fail_own_running(study: optuna.Study, reason: str) -> list[int]:
    """Mark FAIL every trial this process left RUNNING (after an interrupt)."""
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        attrs = trial.user_attrs
        if attrs.get("pid") == os.getpid() and attrs.get("host") == platform.node():
            if fail_trial(study, trial, reason):
                failed.append(trial.number)
    return failed


def trial_by_number(study: optuna.Study, number: int) -> FrozenTrial:
    for trial in study.get_trials(deepcopy=False):
        if trial.number == number:
            return trial
    raise LookupError(number)
