"""``nas studies`` and ``nas show``: the default store, --json, PostgreSQL, bad input, and
reading a study while a search is writing to it."""

import json
import os
import signal
import time

import optuna
import pytest
from optuna.trial import TrialState

from nas.cli import main
from nas.study import make_storage
from tests.conftest import run_cli_here, start_cli, study_at
from tests.study.test_catalog import hand_made

pytestmark = pytest.mark.xdist_group("studies-show")

NAME = "tiny-digits-5M-soft"
SEARCH = ["search", "--space", "tiny", "--flops", "5M", "--slack", "4", "--prescreen", "0",
          "--epochs", "2", "--threads", "1", "--train-size", "400", "--trials", "3", "--json"]


def journal(root):
    return str(root / "studies" / NAME / "journal.log")


def paused_while_running(process, root, timeout=120):
    """SIGSTOP ``process`` once its study holds a COMPLETE and a RUNNING trial (polling the
    journal while the search writes it); return the trials seen while it is stopped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if os.path.exists(journal(root)) and os.path.getsize(journal(root)):
            states = [t.state for t in study_at(journal(root), NAME).get_trials()]
            if TrialState.COMPLETE in states and TrialState.RUNNING in states:
                os.kill(process.pid, signal.SIGSTOP)
                trials = study_at(journal(root), NAME).get_trials()  # frozen now
                if any(t.state == TrialState.RUNNING for t in trials):
                    return trials
                os.kill(process.pid, signal.SIGCONT)
        time.sleep(0.2)
    pytest.fail("the search never held a COMPLETE and a RUNNING trial at once")


@pytest.fixture(scope="session")  # built once: its tests share one xdist group
def store(tmp_path_factory):
    """A CLI search (read by both commands while it runs, then after) and a hand-made study."""
    root = tmp_path_factory.mktemp("store")
    hand_made(root)
    process = start_cli(*SEARCH, cwd=root)
    try:
        trials = paused_while_running(process, root)
        during = [run_cli_here("studies", "--json", cwd=root),
                  run_cli_here("show", "--study", NAME, "--json", cwd=root)]
        os.kill(process.pid, signal.SIGCONT)
        stdout, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    return root, trials, during, json.loads(stdout)


def test_both_commands_read_a_study_while_a_search_runs(store):
    _, trials, (studies, show), _ = store
    assert studies.returncode == 0 and show.returncode == 0, studies.stderr + show.stderr
    running = sum(t.state == TrialState.RUNNING for t in trials)
    complete = sum(t.state == TrialState.COMPLETE for t in trials)
    [listed] = [s for s in json.loads(studies.stdout)["studies"] if s["name"] == NAME]
    assert (listed["trials"]["running"], listed["trials"]["complete"]) == (running, complete)
    document = json.loads(show.stdout)
    assert (document["trials"]["running"], document["trials"]["complete"]) == (running, complete)
    assert "RUNNING" in [row[1] for row in document["rows"]]


def test_studies_lists_the_default_store(store, capsys, monkeypatch):
    root, _, _, summary = store
    monkeypatch.chdir(root)
    assert main(["studies", "--json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)["studies"]}
    assert sorted(listed) == ["hand", NAME]
    assert listed["hand"]["kind"] == "other" and listed[NAME]["kind"] == "search"
    assert listed["hand"]["trials"] == {"complete": 2, "pruned": 1, "skipped": 1, "failed": 1,
                                        "running": 1, "waiting": 1, "finished": 3}
    assert listed[NAME]["trials"]["complete"] == summary["trials"]["complete"] == 3
    assert listed[NAME]["best_value"] == summary["best"]["reward"]
    assert main(["studies"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "2 studies in studies/*/journal.log:"
    assert table[1].split()[:7] == ["study", "kind", "complete", "pruned", "skipped", "failed",
                                    "running"]
    assert table[2].split()[:8] == ["hand", "other", "2", "1", "1", "1", "1", "0.5000"]


def test_show_agrees_with_the_search_summary(store, capsys, monkeypatch):
    root, _, _, summary = store
    monkeypatch.chdir(root)
    assert main(["show", "--study", NAME, "--json", "--top", "2"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["best"]["number"] == summary["best"]["number"]
    assert document["best"]["reward"] == summary["best"]["reward"]
    assert [row[0] for row in document["rows"]] == [t["number"] for t in summary["top"][:2]]
    assert main(["show", "--study", NAME]) == 0
    text = capsys.readouterr().out
    assert "Top trials:" in text and "one fused multiply-add = one FLOP" in text
    assert f"Best: trial {summary['best']['number']}:" in text
    assert all(block in text for block in summary["best"]["blocks"])


def test_postgresql_store(store, postgres_url, capsys):
    root = store[0]
    optuna.copy_study(from_study_name=NAME,
                      from_storage=make_storage(journal(root), root=".", name=NAME),
                      to_storage=make_storage(postgres_url, root=".", name=NAME),
                      to_study_name="shown-pg")
    assert main(["studies", "--storage", postgres_url, "--json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)["studies"]}
    assert listed["shown-pg"]["kind"] == "search"
    assert listed["shown-pg"]["storage"] == postgres_url
    assert main(["show", "--study", "shown-pg", "--storage", postgres_url, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["best"]["number"] == store[3]["best"]["number"]


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["studies"]) == 0
    assert capsys.readouterr().out == "no studies in studies/*/journal.log\n"
    for args, message in (
            (["show", "--study", "missing"], "study 'missing' must exist"),
            (["studies", "--storage", "postgresql://nobody@127.0.0.1:1/none"],
             "must be a reachable Optuna storage"),
            (["show", "--study", "x", "--storage", "postgresql://nobody@127.0.0.1:1/none"],
             "must be a reachable Optuna storage"),
            (["studies", "--storage", "missing.log"], "must be an existing journal file")):
        assert main(args) == 2
        captured = capsys.readouterr()
        assert captured.err.count("\n") == 1 and message in captured.err, captured.err
        assert captured.err.startswith(f"nas {args[0]}: error: ")
    result = run_cli_here("show", "--study", "x", "--top", "0", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "must be an integer >= 1, but got '0'" in result.stderr
    assert list(tmp_path.iterdir()) == []  # reading created nothing
