"""Several workers on one study: local processes, hand-started workers, PostgreSQL."""

from optuna.trial import TrialState

from nas.study import worker_threads
from tests.conftest import start_cli, study_at

TINY = ["search", "--space", "tiny", "--flops", "5M", "--slack", "4", "--prescreen", "0",
        "--epochs", "1", "--train-size", "400"]


def finished(trials):
    return [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]


def check_exactly(study, count):
    trials = study.get_trials()
    numbers = [t.number for t in trials]
    assert len(numbers) == len(set(numbers))
    assert len(finished(trials)) == count
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    return trials


def test_two_local_workers_finish_exactly_the_requested_trials(tmp_path):
    process = start_cli(*TINY, "--trials", "8", "--workers", "2", "--json", cwd=tmp_path)
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    trials = check_exactly(study_at(str(tmp_path / "studies" / "tiny-digits-5M-soft" /
                                        "journal.log"), "tiny-digits-5M-soft"), 8)
    assert len({t.user_attrs["pid"] for t in trials}) == 2  # both workers ran trials
    assert {t.user_attrs["threads"] for t in trials} == {worker_threads(2, None)}  # cores / 2


def test_two_hand_started_workers_cooperate(tmp_path):
    first = start_cli(*TINY, "--trials", "8", "--threads", "1", cwd=tmp_path)
    second = start_cli(*TINY, "--trials", "8", "--threads", "1", cwd=tmp_path)
    for process in (first, second):
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr
    trials = check_exactly(study_at(str(tmp_path / "studies" / "tiny-digits-5M-soft" /
                                        "journal.log"), "tiny-digits-5M-soft"), 8)
    assert len({t.user_attrs["pid"] for t in trials}) == 2
    assert len({tuple(sorted(t.params.items())) for t in trials}) == 8  # no duplicate samples


def test_two_processes_on_postgresql(tmp_path, postgres_url):
    processes = [start_cli(*TINY, "--trials", "8", "--threads", "1", "--storage", postgres_url,
                           "--study", "pg", cwd=tmp_path) for _ in range(2)]
    for process in processes:
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr
    trials = check_exactly(study_at(postgres_url, "pg"), 8)
    assert len({t.user_attrs["pid"] for t in trials}) == 2
    assert not (tmp_path / "studies" / "pg" / "journal.log").exists()


def test_scale_with_two_workers_completes_every_point(tmp_path):
    from nas.arch import save
    from nas.space import load_space
    save(load_space("tiny").baseline(), tmp_path / "tiny.yaml")
    process = start_cli("scale", "--base", "tiny.yaml", "--step", "0.25", "--epochs", "1",
                        "--train-size", "300", "--proxy-resolution", "16", "--workers", "2",
                        "--study", "grid", "--json", cwd=tmp_path)
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    import json
    summary = json.loads(stdout)
    trials = study_at(str(tmp_path / "studies" / "grid" / "journal.log"), "grid").get_trials()
    complete = [t.params["point"] for t in trials if t.state == TrialState.COMPLETE
                and "confirm_of" not in t.user_attrs]
    confirmed = [t for t in trials if t.state == TrialState.COMPLETE
                 and "confirm_of" in t.user_attrs]
    assert summary["points_complete"] == len(set(complete)) >= 6
    assert len(complete) == len(set(complete))  # points are claimed: none ran twice
    assert summary["trials_needed"] == len(complete) + len(confirmed)
    assert len(confirmed) == summary["confirmed_points"] >= 2  # workers ran them too
    grid = [t for t in trials if "confirm_of" not in t.user_attrs]
    assert len({t.user_attrs["pid"] for t in grid}) == 2


def test_workers_get_a_gpu_each_round_robin():
    from nas.study import worker_device

    assert [worker_device("cuda", index, gpus=2) for index in range(4)] == \
        ["cuda:0", "cuda:1", "cuda:0", "cuda:1"]
    assert worker_device("cuda", 3, gpus=1) == "cuda"  # one GPU: shared
    assert worker_device("cuda:1", 0, gpus=4) == "cuda:1"  # an explicit device is kept
    assert worker_device("cpu", 1, gpus=4) == "cpu"
