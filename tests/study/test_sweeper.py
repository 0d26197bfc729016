"""Crash recovery's decision rules, on a real journal-file study: a live worker's trial is never
swept, a dead worker's trial is failed and its parameters are queued again exactly once,
however many sweeps see it."""

import datetime
import os
import platform
import subprocess

import optuna
import pytest
from optuna.trial import TrialState

from nas.study import RETRY_KEY, fail_reason, make_storage
from nas.study._sweeper import (
    ORPHAN_SECONDS,
    fail_trial,
    process_start_ticks,
    record_owner,
    requeue,
    sweep_dead_workers,
    unresolved_running,
    worker_alive,
)

SPACE = {"x": optuna.distributions.IntDistribution(0, 9)}


@pytest.fixture
def study(tmp_path):
    storage = make_storage(str(tmp_path / "journal.log"), root=str(tmp_path), name="sweep")
    return optuna.create_study(study_name="sweep", storage=storage, direction="maximize")


@pytest.fixture
def exited_pid():
    """The pid of a process that has ended (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.fixture
def sleeper():
    """Another live process on this host, ended after the test."""
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def running_trial(study, **owner):
    """A RUNNING trial owned by ``owner`` (host, pid, pid_start), as a worker records
    itself; without ``owner``, by this process."""
    trial = study.ask(SPACE)
    if owner:
        for key, value in {"host": platform.node(), **owner}.items():
            trial.set_user_attr(key, value)
    else:
        record_owner(trial)
    return trial


def retries_of(study, number):
    return [t for t in study.get_trials() if t.user_attrs.get(RETRY_KEY) == number]


# --- a live worker is never swept ---------------------------------------------------------

def test_this_live_worker_is_alive_and_its_trial_is_not_swept(study):
    trial = running_trial(study)
    assert worker_alive(study.get_trials()[0]) is True
    assert sweep_dead_workers(study) == []
    assert study.get_trials()[0].state == TrialState.RUNNING
    assert retries_of(study, trial.number) == []
    assert [t.number for t in unresolved_running(study)] == [trial.number]


def test_another_live_process_on_this_host_is_alive(study, sleeper):
    running_trial(study, pid=sleeper.pid, pid_start=process_start_ticks(sleeper.pid))
    assert worker_alive(study.get_trials()[0]) is True
    assert sweep_dead_workers(study) == []
    assert study.get_trials()[0].state == TrialState.RUNNING


def test_a_worker_on_another_host_cannot_be_judged_and_is_not_swept(study, exited_pid):
    running_trial(study, host=f"not-{platform.node()}", pid=exited_pid, pid_start=1)
    assert worker_alive(study.get_trials()[0]) is None
    assert sweep_dead_workers(study) == []
    assert study.get_trials()[0].state == TrialState.RUNNING
    assert len(unresolved_running(study)) == 1


def test_an_ownerless_trial_is_dead_only_once_it_is_ten_minutes_old():
    young = optuna.trial.create_trial(state=TrialState.RUNNING)  # started just now
    assert worker_alive(young) is None
    old = optuna.trial.create_trial(state=TrialState.RUNNING)
    old.datetime_start = datetime.datetime.now() - datetime.timedelta(
        seconds=ORPHAN_SECONDS + 60)
    assert worker_alive(old) is False


def test_an_ownerless_trial_is_swept_at_once_only_by_a_holder_of_the_study_lock(study):
    # a worker creates its trial and records its owner under the study lock; a SIGKILL in
    # between leaves a RUNNING trial with no owner, which only the lock's next holder can judge
    trial = study.ask(SPACE)
    assert sweep_dead_workers(study) == []  # without the lock: not yet ten minutes old
    assert study.get_trials()[trial.number].state == TrialState.RUNNING
    assert sweep_dead_workers(study, holding_lock=True) == [trial.number]
    dead = study.get_trials()[trial.number]
    assert dead.state == TrialState.FAIL
    assert fail_reason(study, dead) == "worker died before recording itself"
    assert len(retries_of(study, trial.number)) == 1
    owned = running_trial(study)  # an owned, live trial stays, lock or not
    assert sweep_dead_workers(study, holding_lock=True) == []
    assert study.get_trials()[owned.number].state == TrialState.RUNNING


def test_an_exited_worker_is_dead(study, exited_pid):
    running_trial(study, pid=exited_pid, pid_start=process_start_ticks(os.getpid()))
    assert worker_alive(study.get_trials()[0]) is False


def test_a_reused_pid_is_not_the_worker_that_recorded_it(sleeper):
    # the pid is alive, but it started at another time: the recorded worker is gone
    started = process_start_ticks(sleeper.pid)
    trial = optuna.trial.create_trial(state=TrialState.RUNNING, user_attrs={
        "host": platform.node(), "pid": sleeper.pid, "pid_start": started + 1})
    assert worker_alive(trial) is False


# --- a killed trial's parameters are queued once ------------------------------------------

def test_sweeping_twice_fails_a_dead_workers_trial_and_queues_it_once(study, exited_pid):
    trial = running_trial(study, pid=exited_pid, pid_start=1)
    assert sweep_dead_workers(study) == [trial.number]
    assert sweep_dead_workers(study) == []  # a second sweep, by this or another worker
    dead = study.get_trials()[trial.number]
    assert dead.state == TrialState.FAIL
    assert fail_reason(study, dead) == f"worker died (pid {exited_pid} on {platform.node()})"
    [retry] = retries_of(study, trial.number)
    assert retry.state == TrialState.WAITING
    rerun = study.ask(SPACE)  # the next worker takes the retry: the same parameters
    assert rerun.number == retry.number and rerun.params == trial.params


def test_a_sweep_racing_another_finds_the_trial_failed_and_queues_nothing(study, exited_pid):
    # two workers read the RUNNING trials at the same moment; the first sweeps, then the
    # second acts on what it read
    running_trial(study, pid=exited_pid, pid_start=1)
    [seen] = study.get_trials(states=(TrialState.RUNNING,))
    sweep_dead_workers(study)
    assert fail_trial(study, seen, "worker died (second sweep)") is False
    assert fail_reason(study, study.get_trials()[seen.number]).startswith(
        f"worker died (pid {exited_pid}")  # the first sweep's reason stays
    failed = study.get_trials()[seen.number]
    assert requeue(study, failed) is False
    assert len(retries_of(study, seen.number)) == 1
    rerun = study.ask(SPACE)  # the retry runs, then finishes: still its only retry
    assert requeue(study, failed) is False
    study.tell(rerun, 1.0)
    assert requeue(study, failed) is False
    assert len(retries_of(study, seen.number)) == 1


def test_a_retry_whose_worker_dies_too_is_failed_but_not_queued_again(study, exited_pid):
    running_trial(study, pid=exited_pid, pid_start=1)
    sweep_dead_workers(study)
    retry = study.ask(SPACE)  # a worker takes the queued retry, then dies as well
    assert retry.user_attrs[RETRY_KEY] == 0
    for key, value in {"host": platform.node(), "pid": exited_pid, "pid_start": 1}.items():
        retry.set_user_attr(key, value)
    assert sweep_dead_workers(study) == [retry.number]
    assert study.get_trials()[retry.number].state == TrialState.FAIL
    assert retries_of(study, retry.number) == []
    assert len(study.get_trials()) == 2
