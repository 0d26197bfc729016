"""Interrupted, killed and failing trials: nothing is lost, nothing is left RUNNING."""

import json
import signal
import time

import pytest
from optuna.trial import TrialState

from nas.study import RETRY_KEY, fail_reason
from tests.conftest import run_cli_here, start_cli, study_at

TINY = ["search", "--space", "tiny", "--flops", "5M", "--slack", "4", "--prescreen", "0",
        "--threads", "1", "--train-size", "400"]
NAME = "tiny-digits-5M-soft"


def journal(root):
    return str(root / "studies" / NAME / "journal.log")


def journal_trials(path) -> list:
    """The trials of study NAME in the journal at ``path``; none while the file, or the study
    in it, is not written yet."""
    if not path.exists():
        return []
    try:
        return study_at(str(path), NAME).get_trials()
    except KeyError:  # the journal exists, but the study is not written to it yet
        return []


def wait_for_running_trial(root, *, after_complete: int = 0, timeout: float = 240):
    deadline = time.monotonic() + timeout
    path = root / "studies" / NAME / "journal.log"
    while time.monotonic() < deadline:
        time.sleep(0.3)
        trials = journal_trials(path)
        states = [t.state for t in trials]
        running = [t for t in trials if t.state == TrialState.RUNNING
                   and "accuracy_per_epoch" in t.user_attrs]  # mid-training
        if states.count(TrialState.COMPLETE) >= after_complete and running:
            return
    pytest.fail("no trial started training in time")


@pytest.mark.parametrize("sent, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_fails_the_running_trial_and_rerun_completes(tmp_path, sent, code):
    # 8 epochs: the second trial must still be training when the signal lands (the failures
    # once blamed on 3 epochs being too short were SIGINT inherited as ignored: see
    # conftest.sigint_as_at_a_terminal)
    process = start_cli(*TINY, "--trials", "2", "--epochs", "8", cwd=tmp_path)
    wait_for_running_trial(tmp_path, after_complete=1)
    process.send_signal(sent)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr
    assert "Top trials" in stdout  # the summary so far
    assert "Traceback" not in stderr and "re-run the same command" in stderr
    study = study_at(journal(tmp_path), NAME)
    trials = study.get_trials()
    assert TrialState.RUNNING not in [t.state for t in trials]
    interrupted = [t for t in trials if t.state == TrialState.FAIL]
    assert len(interrupted) == 1 and fail_reason(study, interrupted[0]) == "interrupted"

    again = run_cli_here(*TINY, "--trials", "2", "--epochs", "8", "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["trials"]["finished"] == 2
    trials = study_at(journal(tmp_path), NAME).get_trials()
    retried = [t for t in trials if t.user_attrs.get(RETRY_KEY) == interrupted[0].number]
    assert len(retried) == 1 and retried[0].params == interrupted[0].params
    assert TrialState.RUNNING not in [t.state for t in trials]


def running_trials(root, pid: int, *, training: bool = False) -> list:
    """RUNNING trials owned by worker process ``pid`` (with ``training``: past their
    reservation, in the middle of training)."""
    path = root / "studies" / NAME / "journal.log"
    return [t for t in journal_trials(path)
            if t.state == TrialState.RUNNING and t.user_attrs.get("pid") == pid
            and (not training or "accuracy_per_epoch" in t.user_attrs)]


def wait_until(condition, what: str, process, *, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the worker exited (code {process.returncode}) before {what}: "
                        f"{process.stderr.read()}")
        if time.monotonic() > deadline:
            pytest.fail(f"still no {what} after {timeout:.0f} s")
        time.sleep(0.3)


def test_killed_worker_is_swept_and_its_trial_rerun_once_by_a_live_worker(tmp_path):
    first = start_cli(*TINY, "--trials", "4", "--epochs", "3", cwd=tmp_path)
    second = None
    try:
        # Freeze the first worker mid-training: alive, its trial RUNNING, so it can neither
        # finish that trial nor hold the study lock while the second worker joins the study.
        while True:
            wait_for_running_trial(tmp_path, timeout=120)
            first.send_signal(signal.SIGSTOP)
            if running_trials(tmp_path, first.pid, training=True):
                break
            first.send_signal(signal.SIGCONT)  # it finished the trial in between: again
        second = start_cli(*TINY, "--trials", "4", "--epochs", "3", cwd=tmp_path)
        # The point to kill at: the second worker is live in the study, running a trial of
        # its own beside the first worker's (which its start-up sweep left alone: alive).
        wait_until(lambda: running_trials(tmp_path, second.pid),
                   "trial of the second worker RUNNING", second)
        assert running_trials(tmp_path, first.pid, training=True)
        first.send_signal(signal.SIGKILL)
        first.communicate()
        _, stderr = second.communicate(timeout=600)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()
    assert second.returncode == 0, stderr
    study = study_at(journal(tmp_path), NAME)
    trials = study.get_trials()
    dead = [t for t in trials if t.state == TrialState.FAIL]
    assert len(dead) == 1 and fail_reason(study, dead[0]).startswith("worker died")
    reruns = [t for t in trials if t.params == dead[0].params and t.number != dead[0].number]
    assert len(reruns) == 1 and reruns[0].state == TrialState.COMPLETE
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 4
    assert TrialState.RUNNING not in [t.state for t in trials]


def test_failing_trials_are_recorded_and_k_in_a_row_stop_the_run(tmp_path):
    result = run_cli_here(*TINY, "--trials", "5", "--epochs", "1", "--lr", "1e12",
                          "--max-failures", "2", "--json", cwd=tmp_path)
    stdout, stderr = result.stdout, result.stderr
    assert result.returncode == 1
    assert "stopped after 2 consecutive failed trials" in stderr
    assert "loss became" in stderr and "Traceback" not in stderr
    assert json.loads(stdout)["trials"]["failed"] == 2
    trials = study_at(journal(tmp_path), NAME).get_trials()
    assert [t.state for t in trials] == [TrialState.FAIL] * 2
    assert all(t.user_attrs["fail_reason"].startswith("TrainingError: loss became")
               for t in trials)


def test_manifest_records_versions_and_options(tmp_path):
    from nas.search import run_search
    from tests.conftest import tiny_search_options
    run = run_search(tiny_search_options(tmp_path, study={"trials": 1}), progress=False)
    manifest = run.study.user_attrs["nas.manifest"]
    assert {"nas", "torch", "optuna", "fvcore", "flop_unit", "threads", "device",
            "options"} <= set(manifest)
    assert manifest["options"]["proxy"]["train"]["epochs"] == 2
    assert "one fused multiply-add" in manifest["flop_unit"]
