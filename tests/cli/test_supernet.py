"""`nas supernet`, then `nas search --supernet` and `nas rank-check --supernet`, as a user runs
them: a supernet killed mid-training resumes, a search scoring 40 candidates with inherited
weights is killed and resumes, and costs less than 6 trained proxies (the issue asked for 4)."""

import json
import signal
import time

import pytest
import torch
from optuna.trial import TrialState

from nas._errors import ConfigError
from nas.arch import save
from nas.space import load_space
from nas.train import load_trained
from nas.scoring import load_supernet
from tests.conftest import cifar_npz, run_cli_here, start_cli, study_at

# one worker runs this module (make test: --dist loadgroup), so the supernet is trained once
pytestmark = pytest.mark.xdist_group("supernet")

# 16 px: digits are 8x8 images, and 3 epochs at 16 px teach the supernet more than at 32 px;
# lr 0.2: in 3 epochs the default 0.05 leaves random subnets near chance (README)
SUPERNET = ["supernet", "--space", "tiny", "--data", "digits", "--epochs", "3",
            "--proxy-resolution", "16", "--lr", "0.2", "--threads", "1", "--study", "sn"]
SEARCH = ["search", "--space", "tiny", "--flops", "5M", "--slack", "4", "--data", "digits",
          "--threads", "1"]


def _wait_for(condition, *, timeout: float = 300, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if condition():
            return
    pytest.fail(f"timed out waiting for {what}")


# session, not module: xdist interleaves other modules on this worker, and a module fixture is
# torn down and trained again each time the worker comes back to this module
@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """The supernet of the tiny space on digits, killed after its first epoch and resumed;
    returns (working directory, file path, the file as the kill left it)."""
    root = tmp_path_factory.mktemp("supernet")
    path = root / "studies" / "sn" / "supernet.pt"
    process = start_cli(*SUPERNET, cwd=root)
    _wait_for(path.exists, what="the first epoch's checkpoint")
    process.send_signal(signal.SIGKILL)
    process.communicate()
    killed = load_supernet(path)
    refused = run_cli_here(*SUPERNET, cwd=root)  # an existing file needs --resume
    resumed = run_cli_here(*SUPERNET, "--resume", "--json", cwd=root)
    assert resumed.returncode == 0, resumed.stderr
    return root, path, killed, refused, json.loads(resumed.stdout)


def test_a_killed_supernet_resumes_from_its_last_epoch(trained):
    root, path, killed, refused, document = trained
    assert 1 <= killed.epochs_done < 3 and not killed.complete
    assert refused.returncode == 2 and "--resume" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    final = load_supernet(path)
    assert final.complete and final.epochs_done == 3
    assert [entry["epoch"] for entry in final.history] == [1, 2, 3]
    assert final.history[:killed.epochs_done] == killed.history  # kept, not trained again
    assert document["epochs_done"] == 3 and document["space"] == "tiny"
    assert document["geometry"] == {"resolution": 16, "width": 0.5, "strides_removed": 1,
                                    "num_classes": 10}
    assert final.proxy.data == "digits" and final.identity["space"] == "tiny"
    # the supernet learned: its largest subnet is well above chance (10 classes)
    assert final.history[-1]["largest_accuracy"] > 0.3


def test_search_with_a_supernet_scores_40_candidates_for_less_than_6_proxies(trained):
    root, path, *_ = trained
    name = "sn-search"
    arguments = [*SEARCH, "--supernet", str(path), "--trials", "40", "--study", name]
    process = start_cli(*arguments, cwd=root)
    journal = str(root / "studies" / name / "journal.log")

    def some_complete() -> bool:
        if not (root / "studies" / name / "journal.log").exists():
            return False
        trials = study_at(journal, name).get_trials()
        return sum(t.state == TrialState.COMPLETE for t in trials) >= 5

    _wait_for(some_complete, what="5 complete trials")
    process.send_signal(signal.SIGKILL)
    process.communicate()
    again = run_cli_here(*arguments, "--json", cwd=root)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    trials = study_at(journal, name).get_trials()
    assert summary["trials"]["complete"] == 40 and summary["trials"]["running"] == 0, \
        (summary["trials"], [(t.number, t.state.name, t.user_attrs, t.system_attrs)
                             for t in trials if t.state != TrialState.COMPLETE])
    trials = study_at(journal, name).get_trials()
    assert TrialState.RUNNING not in [t.state for t in trials]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    scored = [t for t in complete if "same_network_as" not in t.user_attrs]
    assert all(t.user_attrs["fidelity"] == "supernet" for t in scored)
    assert all(t.user_attrs["proxy_resolution"] == 16 for t in complete)
    # not degenerate: the candidates' rewards differ and the best is well above chance
    rewards = {round(t.value, 6) for t in complete}
    accuracies = [t.user_attrs["accuracy"] for t in complete]
    assert len(rewards) >= 5 and max(accuracies) - min(accuracies) >= 0.05
    assert max(accuracies) > 0.2
    # cost, against a proxy of the same geometry trained in this process (a fresh process adds
    # ~3 s of one-off imports to its first trial, which once flattered this comparison): the
    # 40 candidates cost 2.4-3.2 proxies on a quiet machine (median 2.86, from
    # benchmarks/supernet_search_cost.py; README, "What it costs on digits"), under the
    # issue's 4; guarded at 6, which a loaded test machine can time, so that slower scoring fails
    seconds = sum((t.datetime_complete - t.datetime_start).total_seconds() for t in complete)
    plain = run_cli_here(*SEARCH, "--proxy-resolution", "16", "--baseline", "--trials", "1",
                              "--study", "plain", "--json", cwd=root)
    assert plain.returncode == 0, plain.stderr
    proxy = study_at(str(root / "studies" / "plain" / "journal.log"), "plain").trials[0]
    assert proxy.user_attrs["accuracy_per_epoch"] and "fidelity" not in proxy.user_attrs
    one_proxy = (proxy.datetime_complete - proxy.datetime_start).total_seconds()
    assert seconds < 6 * one_proxy, (seconds, one_proxy)
    # --confirm: the best 2 scored again, their batch-norm calibration drawn with another seed
    confirmed = run_cli_here(*arguments, "--confirm", "2", "--json", cwd=root)
    assert confirmed.returncode == 0, confirmed.stderr
    document = json.loads(confirmed.stdout)
    assert len(document["best"]["seed_rewards"]) == 2 and document["noise"] is not None


@pytest.mark.parametrize("arguments, message", [
    (["--space", "efficientnet_b0"], "--space must be the supernet's space"),
    (["--data", "npz:{cifar}"], "--data must be the supernet's"),
    (["--proxy-resolution", "24"], "--proxy-resolution must be the supernet's"),
])
def test_search_refuses_a_supernet_of_another_space_or_data(trained, arguments, message):
    root, path, *_ = trained
    arguments = [argument.format(cifar=cifar_npz()) for argument in arguments]
    result = run_cli_here("search", "--flops", "5M", "--data", "digits", "--trials", "1",
                               "--supernet", str(path), "--study", "refused",
                               *(["--space", "tiny"] if "--space" not in arguments else []),
                               *arguments, cwd=root)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (root / "studies" / "refused").exists()  # nothing written


def test_a_missing_or_foreign_supernet_file_is_one_line(tmp_path):
    missing = run_cli_here(*SEARCH, "--supernet", "nowhere.pt", "--trials", "1", cwd=tmp_path)
    assert missing.returncode == 2 and "supernet file must exist" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1 and "Traceback" not in missing.stderr
    assert not (tmp_path / "studies").exists()
    (tmp_path / "other.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="must be a file written by nas supernet"):
        load_supernet(tmp_path / "other.pt")


def test_rank_check_reports_the_supernet_as_a_signal(trained):
    root, path, *_ = trained
    result = run_cli_here("rank-check", "--space", "tiny", "--samples", "4", "--repeats", "2",
                          "--epochs", "1", "--train-size", "200", "--reference-epochs", "1",
                          "--reference-train-size", "200", "--zero-cost", "none",
                          "--bootstrap", "100", "--threads", "1", "--supernet", str(path),
                          "--json", cwd=root)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = {row["signal"]: row for row in report["fidelity"]}
    assert "supernet" in rows and rows["supernet"]["n"] == 4
    assert report["supernet"] == str(path)


def test_a_subnet_travels_with_its_inherited_weights(trained):
    root, path, *_ = trained
    save(load_space("tiny").baseline(), root / "tiny.yaml")
    result = run_cli_here("export", "tiny.yaml", "--supernet", str(path), "--format", "pt",
                          "-o", "subnet.pt", cwd=root)
    assert result.returncode == 0, result.stderr
    arch, weights = load_trained(root / "subnet.pt")
    file = load_supernet(path)
    assert arch == file.supernet.geometry.proxy(load_space("tiny").baseline())
    expected = file.supernet.extract(arch).state_dict()
    for name, tensor in weights.items():  # the shared weights; batch norm recalibrated
        if "running" not in name and "num_batches" not in name:
            torch.testing.assert_close(tensor, expected[name])
    onnx = run_cli_here("export", "tiny.yaml", "--supernet", str(path), "--format", "onnx",
                        "-o", "subnet.onnx", "--json", cwd=root)
    assert onnx.returncode == 0, onnx.stderr
    assert json.loads(onnx.stdout)["weights"] == "trained"
    trained_run = run_cli_here("train", "subnet.pt", "--init", "subnet.pt", "--epochs", "1",
                               "--train-size", "200", "--threads", "1", "--out", "run", cwd=root)
    assert trained_run.returncode == 0, trained_run.stderr
    refused = run_cli_here("export", "tiny.yaml", "--format", "pt", cwd=root)
    assert refused.returncode == 2 and "--supernet" in refused.stderr


def test_the_command_line_refuses_uniform_without_subnets_in_one_line(tmp_path):
    result = run_cli_here("supernet", "--space", "tiny", "--data", "digits", "--sampling",
                          "uniform", "--random-subnets", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "nas supernet: error: random subnets must be an integer >= 1, but got 0"]
    assert not (tmp_path / "studies").exists()
