import json

import pytest

from nas.cost import count
from nas.scoring import faithful_resolution
from nas.search import fidelity, job_labels, sample_architectures
from nas.space import load_space
from tests.conftest import study_at

ARGS = ["rank-check", "--space", "tiny", "--samples", "5", "--repeats", "2", "--epochs", "2",
        "--train-size", "200", "--reference-epochs", "2", "--reference-train-size", "300",
        "--proxy-width", "1", "--proxy-strides-removed", "0",
        "--reference-width", "0.5", "--reference-strides-removed", "1",
        "--zero-cost", "synflow,naswot", "--bootstrap", "200", "--threads", "1", "--json"]


def test_fidelity_of_perfect_and_reversed_rankings():
    reference = [0.1, 0.5, 0.3, 0.9, 0.7]
    same = fidelity([1, 5, 3, 9, 7], reference, bootstrap=200, seed=0)
    assert (same["spearman"], same["kendall"]) == (1.0, 1.0)
    assert same["spearman_ci"] == [1.0, 1.0] and same["kendall_ci"] == [1.0, 1.0]
    reversed_ = fidelity([-1, -5, -3, -9, -7], reference, bootstrap=200, seed=0)
    assert (reversed_["spearman"], reversed_["kendall"]) == (-1.0, -1.0)
    noisy = fidelity([1, 3, 5, 9, 7], reference, bootstrap=500, seed=0)
    assert noisy["kendall_ci"][0] <= noisy["kendall"] <= noisy["kendall_ci"][1]


def test_architectures_are_distinct_and_spread_over_flops():
    space = load_space("efficientnet_b0")
    archs = sample_architectures(space, 8, seed=0)
    flops = [count(arch).flops for arch in archs]
    assert flops == sorted(flops) and len(set(flops)) == 8
    assert flops[0] < 250e6 and flops[-1] > 800e6  # from the cheapest to the largest draws
    assert sample_architectures(space, 8, seed=0) == archs  # seeded
    assert job_labels(5, 2) == [
        "proxy:0:0", "reference:0:0", "proxy:1:0", "reference:1:0", "proxy:2:0",
        "reference:2:0", "proxy:3:0", "reference:3:0", "proxy:4:0", "reference:4:0",
        "proxy:0:1", "reference:0:1", "proxy:4:1", "reference:4:1"]


def test_rank_check_reports_every_signal_and_resumes(cli, tmp_path):
    result = cli(*ARGS)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["architectures"] == 5 and report["jobs_complete"] == 14
    signals = [row["signal"] for row in report["fidelity"]]
    assert signals == ["proxy accuracy, epoch 1", "proxy accuracy, epoch 2",
                       "zero-cost synflow", "zero-cost naswot", "params", "FLOPs"]
    for row in report["fidelity"]:
        assert row["n"] == 5
        for name in ("spearman", "kendall"):
            low, high = row[f"{name}_ci"]
            if row[name] is not None:
                assert -1 <= low <= high <= 1
    for protocol in ("proxy", "reference"):
        noise = report["noise"][protocol]
        assert noise["pairs"] == 2 and noise["seed_std"] is not None
        assert noise["cpu_seconds_per_architecture"] > 0
    # every tiny kernel choice is visible at 40 px, or at 24 px with one stride removed; the
    # reference never goes below the proxy's 32 px
    assert faithful_resolution(load_space("tiny")) == 40
    assert faithful_resolution(load_space("tiny"), strides_removed=1) == 24
    assert report["reference"]["resolution"] == 32
    assert report["reference"]["width"] == 0.5 and report["reference"]["strides_removed"] == 1
    assert report["proxy"]["width"] == 1.0 and report["proxy"]["strides_removed"] == 0
    assert report["reference"]["train"]["epochs"] == 2
    study = study_at(str(tmp_path / "studies" / "rank-tiny-digits-n5" / "journal.log"),
                     "rank-tiny-digits-n5")
    assert len(study.get_trials()) == 14
    again = cli(*ARGS)  # resumes: nothing is trained twice, the report is the same
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["fidelity"] == report["fidelity"]
    assert len(study_at(str(tmp_path / "studies" / "rank-tiny-digits-n5" / "journal.log"),
                        "rank-tiny-digits-n5").get_trials()) == 14


@pytest.mark.parametrize("args, message", [
    (["--samples", "3"], "samples must be an integer >= 4"),
    (["--samples", "4", "--repeats", "5"], "repeats must be at most samples (4)"),
    (["--zero-cost", "magic"], "zero-cost proxy must be one of"),
])
def test_rank_check_bad_input(cli, tmp_path, args, message):
    result = cli("rank-check", "--space", "tiny", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "studies").exists()
