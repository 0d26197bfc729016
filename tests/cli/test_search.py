import json
import subprocess
import sys
from pathlib import Path

import optuna

from nas.arch import encode, load
from nas.search import best_trial
from nas.study import make_storage


TINY = ["search", "--space", "tiny", "--flops", "5M", "--slack", "4", "--prescreen", "0",
        "--epochs", "2", "--threads", "1", "--train-size", "400", "--proxy-resolution", "16"]
NAME = "tiny-digits-5M-soft"


def study(root: Path, name: str = NAME) -> optuna.Study:
    path = root / "studies" / name / "journal.log"
    return optuna.load_study(study_name=name,
                             storage=make_storage(str(path), root=str(root), name=name))


def test_search_json_summary_and_best_config(cli, tmp_path):
    result = cli(*TINY, "--trials", "2", "--baseline", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["study"] == NAME
    assert summary["trials"]["finished"] == 2
    assert "one fused multiply-add = one FLOP" in summary["flop_unit"]
    best = summary["best"]
    assert Path(tmp_path / best["config"]).exists()
    assert [encode(stage) for stage in load(tmp_path / best["config"]).stages] == best["blocks"]
    (tmp_path / "again").mkdir()  # a seeded search reproduces its results exactly
    again = json.loads(cli(*TINY, "--trials", "2", "--baseline", "--json",
                           cwd=tmp_path / "again").stdout)
    assert [(t["number"], t["accuracy"], t["reward"]) for t in again["top"]] == \
        [(t["number"], t["accuracy"], t["reward"]) for t in summary["top"]]


def test_table_output_names_the_best_architecture(cli):
    result = cli(*TINY, "--trials", "1", "--baseline")
    assert result.returncode == 0, result.stderr
    assert "Top trials:" in result.stdout and "MFLOPs" in result.stdout
    assert "ir_r1_k3_s2_e3_c24_se0.25" in result.stdout
    assert "one fused multiply-add = one FLOP" in result.stdout
    assert "trial 0 COMPLETE" in result.stderr
    # standard error is a pipe here, as in a CI log: progress comes as whole lines, with no
    # carriage returns or cursor-control sequences
    assert "\r" not in result.stderr and "\x1b[" not in result.stderr
    assert "trial 0: 100%" in result.stderr or "trial 0:  50%" in result.stderr


def test_exported_best_round_trips_through_flops(cli, tmp_path):
    assert cli(*TINY, "--trials", "2").returncode == 0
    best = best_trial(study(tmp_path))
    assert cli("export", "--study", NAME, "-o", "best.yaml").returncode == 0
    flops = json.loads(cli("flops", "best.yaml", "--json").stdout)["flops"]
    assert flops == best.user_attrs["flops"]
    numbered = cli("export", "--study", NAME, "--trial", "1", "--format", "json")
    assert json.loads(numbered.stdout)["stages"] == study(tmp_path).trials[1].user_attrs["arch"][
        "stages"]
    timm = json.loads(cli("export", f"study:{NAME}", "--format", "timm").stdout)
    assert timm["num_classes"] == 10  # the tiny space's target


def test_the_optuna_cli_reads_the_study(cli, tmp_path):
    assert cli(*TINY, "--trials", "1").returncode == 0
    journal = tmp_path / "studies" / NAME / "journal.log"
    optuna_cli = Path(sys.executable).with_name("optuna")
    result = subprocess.run([str(optuna_cli), "trials", "--study-name", NAME, "--storage",
                             str(journal), "-f", "json"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    trials = json.loads(result.stdout)
    assert trials[0]["state"] == "COMPLETE"
    assert trials[0]["params"]["stage2.expand_ratio"] in (0, 1, 2)  # index of (1, 3, 6)
    expand = (1, 3, 6)[trials[0]["params"]["stage2.expand_ratio"]]
    assert f"_e{expand}_" in str(trials[0]["user_attrs"]["blocks"]).split(",")[1]


def test_bad_search_input_creates_nothing(cli, tmp_path):
    for args in (["--flops", "abc"], ["--flops", "-1"], ["--flops", "400X"],
                 ["--data", "npz:missing.npz"], ["--space", "nope"], ["--epochs", "0"]):
        result = cli("search", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "studies").exists()


def test_search_on_a_folder_counts_unreadable_images_or_stops_with_strict(cli, tmp_path):
    from tests.data.test_folder import write_images

    root = write_images(tmp_path / "photos", per_class=12)
    (root / "emu" / "zz-broken.png").write_bytes(b"not a png")
    folder = ["search", "--space", "tiny", "--flops", "5M", "--slack", "4", "--prescreen", "0",
              "--epochs", "1", "--threads", "1", "--data", "folder:photos",
              "--proxy-resolution", "16"]
    result = cli(*folder, "--trials", "1", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["skipped_images"] == {"count": 1, "files": ["emu/zz-broken.png"]}
    assert summary["trials"]["complete"] == 1
    table = cli(*folder, "--trials", "1")
    assert "1 unreadable images of the folder were left out" in table.stdout
    refused = cli(*folder, "--trials", "1", "--strict", "--study", "strict")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "zz-broken.png" in refused.stderr and "--strict" in refused.stderr
    assert not (tmp_path / "studies" / "strict").exists()
