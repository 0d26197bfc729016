"""Crash recovery on every storage the README and --help name: a worker killed with SIGKILL
mid-trial, then the same command at once. The killed trial must end FAIL, its parameters must
run again exactly once, the study must hold exactly --trials complete trials and nothing may
stay RUNNING (on SQLite and PostgreSQL too, without waiting for Optuna's heartbeat)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from optuna.trial import TrialState

from nas.study import RETRY_KEY, fail_reason
from tests.conftest import ROOT, run_cli_here, study_at

TINY = ["search", "--space", "tiny", "--flops", "5M", "--slack", "4", "--prescreen", "0",
        "--threads", "1", "--train-size", "400", "--epochs", "4", "--trials", "3"]


def storage_of(kind: str, tmp_path, request) -> tuple[list[str], str]:
    """The --storage arguments for ``kind`` and the storage as study_at reads it."""
    name = f"kill-{kind}"
    if kind == "journal":
        return [], str(tmp_path / "studies" / name / "journal.log")
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}/k.db"
    else:
        url = request.getfixturevalue("postgres_url")
    return ["--storage", url], url


def trials_or_none(storage: str, name: str):
    try:
        return study_at(storage, name).get_trials()
    except Exception:  # not created yet
        return None


@pytest.mark.parametrize("kind", ["journal", "sqlite", "postgresql"])
def test_sigkill_mid_trial_then_immediate_rerun_accounts_for_every_trial(tmp_path, request,
                                                                          kind):
    name = f"kill-{kind}"
    storage_args, storage = storage_of(kind, tmp_path, request)
    command = [sys.executable, "-m", "nas", *TINY, "--study", name, *storage_args]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, cwd=tmp_path, env=environment, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    before = None
    while time.monotonic() < deadline:  # one trial done, the next one mid-training
        time.sleep(0.3)
        trials = trials_or_none(storage, name)
        if trials and any(t.state == TrialState.COMPLETE for t in trials) and any(
                t.state == TrialState.RUNNING and "accuracy_per_epoch" in t.user_attrs
                for t in trials):
            before = trials
            break
    os.killpg(process.pid, signal.SIGKILL)  # the whole process group, as a crash would
    process.wait()
    assert before is not None, "no trial started training in time"
    before = {t.number: t for t in study_at(storage, name).get_trials()}
    killed = [t for t in before.values() if t.state == TrialState.RUNNING]
    complete = [t for t in before.values() if t.state == TrialState.COMPLETE]
    assert len(killed) == 1 and complete

    # the rerun in this process: a new interpreter would only add its imports
    result = run_cli_here(*TINY, "--study", name, *storage_args, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["trials"]["finished"] == 3 and summary["trials"]["running"] == 0
    assert summary["unresolved_running"] == []
    study = study_at(storage, name)
    after = {t.number: t for t in study.get_trials()}
    for trial in complete:  # finished trials are intact and were not run again
        assert after[trial.number].state == TrialState.COMPLETE
        assert after[trial.number].value == trial.value
        assert sum(t.params == trial.params for t in after.values()) == 1
    dead = after[killed[0].number]
    assert dead.state == TrialState.FAIL
    assert fail_reason(study, dead).startswith("worker died")
    retries = [t for t in after.values() if t.user_attrs.get(RETRY_KEY) == dead.number]
    assert len(retries) == 1 and retries[0].params == dead.params
    assert retries[0].state == TrialState.COMPLETE
    states = [t.state for t in after.values()]
    assert states.count(TrialState.COMPLETE) == 3 and TrialState.RUNNING not in states
    assert states.count(TrialState.FAIL) == 1
