"""``nas search --latency`` on the tiny space: MnasNet's reward on predicted latency, both
latencies recorded, resumable like any study."""

import dataclasses
import os
import sys

import optuna
import pytest

from nas._errors import StudyError
from nas.cost import LatencySettings, LatencyTable
from nas.search import Reward, arch_of, run_search
from tests.conftest import tiny_search_options

LATENCY = ["search", "--space", "tiny", "--latency", "10ms", "--slack", "4", "--prescreen", "0",
           "--epochs", "1", "--threads", "1", "--train-size", "200", "--study", "lat"]


def test_latency_reward_follows_mnasnet():
    soft = Reward(mode="soft", target_latency_ms=10)
    assert soft.metric == "latency" and soft.target == 10
    assert soft(0.8, 20) == pytest.approx(0.8 * 2 ** -0.07)
    hard = Reward(mode="hard", target_latency_ms=10)
    assert hard(0.8, 5) == 0.8 and hard(0.8, 20) == pytest.approx(0.4)
    assert hard.budget == pytest.approx(11) and hard.constraint(11) == pytest.approx(0)
    with pytest.raises(Exception, match="exactly one target"):
        Reward(mode="soft", target_flops=100, target_latency_ms=10)


# a coarse measurement (one build, ±20 %, at most 0.2 s a part): the CLI's default protocol
# (three builds, ±2 %, up to 15 s a part) made these the suite's slowest tests
QUICK = LatencySettings(instances=1, warmup_seconds=0.05, min_runs=5, max_seconds=0.2,
                        precision=0.2)


def test_latency_search_records_both_latencies_and_resumes(cli, tmp_path):
    def search(trials, **changes):
        return run_search(tiny_search_options(
            tmp_path, target_latency_ms=10, target_flops=None, **{"latency": QUICK, **changes},
            study={"trials": trials, "name": "lat"}), progress=False)

    first = search(2, baseline=True)
    assert first.summary["target_latency_ms"] == 10 and first.summary["trials"]["finished"] == 2
    assert search(3).summary["trials"]["finished"] == 3
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(
        str(tmp_path / "studies" / "lat" / "journal.log")))
    study = optuna.load_study(study_name="lat", storage=storage)
    trials = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(trials) == 3 and [t.number for t in trials] == [0, 1, 2]
    table = LatencyTable(QUICK, root=str(tmp_path))
    for trial in trials:
        attrs = trial.user_attrs
        assert attrs["latency_predicted_ms"] > 0 and attrs["latency_measured_ms"] > 0
        assert trial.value == pytest.approx(attrs["accuracy"] * (
            attrs["latency_predicted_ms"] / 10) ** -0.07)
        assert trial.constraints["latency"] == pytest.approx(
            attrs["latency_predicted_ms"] / 50 - 1)
    # the table holds every part of the baseline, and predicts what the trial recorded
    baseline = trials[0]
    assert table.predict(arch_of(baseline)).measured == 0
    assert table.predict(arch_of(baseline)).latency_ms == \
        baseline.user_attrs["latency_predicted_ms"]
    # another latency context is another study: refused rather than mixed, here as on the
    # command line (one line, exit 2)
    with pytest.raises(StudyError, match="lat"):
        search(3, latency=dataclasses.replace(QUICK, threads=2))
    other = cli(*LATENCY, "--trials", "3", "--latency-threads", "2")
    assert other.returncode == 2 and "lat" in other.stderr and "\n" == other.stderr[-1]
    assert other.stderr.count("\n") == 1


def test_flops_and_latency_together_are_refused(cli):
    result = cli("search", "--space", "tiny", "--flops", "5M", "--latency", "2ms")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--flops or --latency, but got both" in result.stderr


def test_over_budget_candidates_by_predicted_latency_are_never_trained(tmp_path):
    from nas.space import load_space

    baseline = LatencyTable(QUICK, root=str(tmp_path)).predict(
        load_space("tiny").baseline()).latency_ms
    options = tiny_search_options(tmp_path, target_latency_ms=baseline * 0.99, slack=0.0,
                                  latency=QUICK, baseline=True,
                                  study={"name": "budget", "trials": 1})
    run = run_search(options, progress=False)
    trials = run.study.get_trials()
    first = trials[0]  # the baseline, over the budget by its predicted latency
    assert first.user_attrs["baseline"] and first.state == optuna.trial.TrialState.PRUNED
    assert "over the latency budget" in first.user_attrs["skipped"]
    assert "train_seconds" not in first.user_attrs
    assert "latency_measured_ms" not in first.user_attrs
    assert first.constraints["latency"] > 0
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 1
    assert complete[0].user_attrs["latency_predicted_ms"] <= baseline * 0.99


def test_a_latency_runtime_that_is_missing_is_one_line_and_writes_nothing(cli, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now fails
    result = cli(*LATENCY, "--trials", "1", "--latency-runtime", "onnxruntime")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "pip install -e '.[deploy]'" in line and "onnxruntime is not installed" in line
    assert os.listdir(tmp_path) == []
