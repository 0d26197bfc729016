"""optuna-dashboard (a dev dependency) shows a nas study as Optuna holds it: started as a user
would (``optuna-dashboard STORAGE --host 127.0.0.1 --port P``) on the default journal file and
on PostgreSQL, its HTTP API (what the web UI renders) must list every trial with its number,
state, parameters, user attributes (flops, blocks, arch, reward, ...) and value, exactly as
``optuna.load_study`` returns them; it must pick up a trial added while it runs, and merely
viewing must leave the journal untouched (it runs next to live workers)."""

from __future__ import annotations

import contextlib
import json
import numbers
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("optuna_dashboard", reason="optuna-dashboard is a dev dependency: "
                    "pip install -e '.[dev]'")

from nas.search import run_search  # noqa: E402
from tests.conftest import study_at, tiny_search_options  # noqa: E402

START_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _dashboard_command() -> list[str]:
    script = Path(sys.executable).with_name("optuna-dashboard")
    if script.is_file():
        return [str(script)]
    # no console script (e.g. a non-venv interpreter): the same entry point
    return [sys.executable, "-c", "from optuna_dashboard._cli import main; main()"]


@contextlib.contextmanager
def dashboard(storage: str, *, cwd: Path):
    """``optuna-dashboard STORAGE`` on a free loopback port; yields a GET-JSON function and
    always stops the server (terminate, then kill) so that no process is left behind."""
    port = _free_port()
    log = cwd / f"dashboard-{port}.log"
    with log.open("w") as stream:
        process = subprocess.Popen(
            [*_dashboard_command(), storage, "--host", "127.0.0.1", "--port", str(port)],
            cwd=cwd, stdout=stream, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def get(path: str):
        with urllib.request.urlopen(base + path, timeout=10) as answer:
            assert answer.status == 200, (path, answer.status)
            return json.loads(answer.read())

    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"optuna-dashboard exited with {process.returncode}:\n"
                            f"{log.read_text()}")
            try:
                get("/api/meta")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"optuna-dashboard did not answer within {START_SECONDS} s:\n"
                                f"{log.read_text()}")
                time.sleep(0.2)
        yield get
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _attr_text(value) -> str:
    """How the dashboard shows a user attribute (its _serializer.serialize_attrs)."""
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Real):
        return str(value)
    return json.dumps(value)


def _study_id(get, name: str) -> int:
    summaries = get("/api/studies")["study_summaries"]
    matching = [s for s in summaries if s["study_name"] == name]
    assert len(matching) == 1, [s["study_name"] for s in summaries]
    assert matching[0]["directions"] == ["maximize"]
    return matching[0]["study_id"]


def check_shown_as_optuna_has_it(get, storage: str, name: str) -> list[dict]:
    """The dashboard's trials equal optuna.load_study's, field by field; returns them."""
    study_id = _study_id(get, name)
    detail = get(f"/api/studies/{study_id}?after=0")
    expected = study_at(storage, name).get_trials(deepcopy=False)
    shown = detail["trials"]
    assert [t["number"] for t in shown] == [t.number for t in expected]
    assert expected and all(t.state.name == "COMPLETE" for t in expected)
    for trial, row in zip(expected, shown):
        assert row["state"] == trial.state.name.capitalize()  # "Complete"
        assert row["values"] == trial.values
        params = {p["name"]: p for p in row["params"]}
        assert set(params) == set(trial.params)
        assert "stage3.kernel_size" in params
        for param, value in trial.params.items():
            assert params[param]["param_external_value"] == str(value), param
            assert params[param]["param_internal_value"] == \
                trial.distributions[param].to_internal_repr(value), param
        attrs = {a["key"]: a["value"] for a in row["user_attrs"]}
        assert set(attrs) == set(trial.user_attrs)
        for key in ("flops", "blocks", "arch", "reward", "accuracy"):
            assert attrs[key] == _attr_text(trial.user_attrs[key]), key
        assert json.loads(attrs["arch"]) == trial.user_attrs["arch"]  # not truncated
        assert json.loads(attrs["blocks"]) == trial.user_attrs["arch"]["stages"]
        assert float(attrs["reward"]) == trial.values[0]
    best = max(expected, key=lambda t: t.values[0])
    assert [t["number"] for t in detail["best_trials"]] == [best.number]
    return shown


def wait_for_trials(get, storage: str, name: str, count: int) -> list[dict]:
    """The dashboard re-reads the storage (its trial cache lives 2 s): a trial added by a worker
    while it runs must appear."""
    study_id = _study_id(get, name)
    deadline = time.monotonic() + 15
    while len(get(f"/api/studies/{study_id}?after=0")["trials"]) < count:
        assert time.monotonic() < deadline, f"the dashboard never showed {count} trials"
        time.sleep(0.5)
    return check_shown_as_optuna_has_it(get, storage, name)


def test_dashboard_shows_a_journal_study_and_leaves_the_journal_alone(tmp_path):
    name = "dash-journal"
    run = run_search(tiny_search_options(tmp_path, study={"name": name, "trials": 2}),
                     progress=False)
    journal = tmp_path / "studies" / name / "journal.log"
    assert run.storage == str(journal)
    before = journal.read_bytes()
    # exactly what a user types in the directory they ran `nas search` in
    with dashboard(f"studies/{name}/journal.log", cwd=tmp_path) as get:
        assert len(check_shown_as_optuna_has_it(get, str(journal), name)) == 2
        assert journal.read_bytes() == before  # reading writes nothing
        run_search(tiny_search_options(tmp_path, study={"name": name, "trials": 3}),
                   progress=False)  # a worker adds a trial while the dashboard runs
        assert [t["number"] for t in wait_for_trials(get, str(journal), name, 3)] == [0, 1, 2]
    assert not (journal.parent / "journal.log.lock").exists()  # no lock left behind


def test_dashboard_shows_a_postgresql_study(tmp_path, postgres_url):
    name = "dash-postgresql"
    run_search(tiny_search_options(tmp_path, study={"name": name, "trials": 2,
                                                    "storage": postgres_url}), progress=False)
    # the URL nas was given, unchanged: SQLAlchemy >= 2.1 maps postgresql:// to psycopg 3
    with dashboard(postgres_url, cwd=tmp_path) as get:
        assert len(check_shown_as_optuna_has_it(get, postgres_url, name)) == 2
