"""``nas report``: figures and report.md of real (tiny) search, scale and rank-check studies."""

import json
import shutil

import optuna
import pytest
from PIL import Image

from nas._errors import StudyError
from nas.report import write_report
from nas.search import best_trial, seed_noise
from nas.study import load_existing_study, make_storage
from tests.conftest import tiny_search_options

SEARCH = "report-search"


@pytest.fixture(scope="module")
def search_root(tmp_path_factory):
    """A finished tiny search: the baseline, two sampled trials and one confirmation; the
    budget (T = 4.3 MFLOPs, slack 0.1) skips some candidates untrained."""
    from nas.search import run_search

    root = tmp_path_factory.mktemp("search")
    options = tiny_search_options(root, target_flops=4_300_000, slack=0.1, baseline=True,
                                  confirm=1, study={"name": SEARCH},
                                  train={"epochs": 1})
    run = run_search(options, progress=False)
    assert run.exit_code == 0
    return root


def _check_pngs(paths):
    for path in paths:
        with Image.open(path) as image:
            assert image.format == "PNG"
            width, height = image.size
            assert 400 <= width <= 3000 and 150 <= height <= 3000, (path, image.size)


def test_search_report_figures_and_markdown(search_root):
    report = write_report(SEARCH, root=str(search_root))
    assert report.kind == "search"
    assert report.out == search_root / "studies" / SEARCH / "report"
    names = [path.name for path in report.figures]
    assert names == ["accuracy_vs_flops.png", "history.png", "importances.png",
                     "best_architecture.png"]
    _check_pngs(report.figures)
    text = report.markdown.read_text()
    for name in names:
        assert f"]({name})" in text
    study = load_existing_study(storage_url=None, root=str(search_root), name=SEARCH)
    best = best_trial(study)
    assert f"Trial {best.number}: {best.user_attrs['flops']:,} FLOPs" in text
    assert f"validation accuracy {best.user_attrs['accuracy']:.4f}" in text
    assert f"std {seed_noise(study).seed_std:.4f} of the reward" in text
    for block in best.user_attrs["blocks"]:
        assert block in text
    assert "flop_unit: fvcore FLOPs (one fused multiply-add = one FLOP)" in text
    assert "| complete | pruned | skipped (infeasible) |" in text


def test_report_reads_a_study_with_a_running_trial(search_root, tmp_path):
    shutil.copytree(search_root / "studies" / SEARCH, tmp_path / "studies" / SEARCH,
                    ignore=shutil.ignore_patterns("report"))
    storage = make_storage(None, root=str(tmp_path), name=SEARCH)
    optuna.load_study(study_name=SEARCH, storage=storage).ask()  # a worker mid-trial
    report = write_report(SEARCH, root=str(tmp_path), out=tmp_path / "out")
    assert len(report.figures) == 4
    text = report.markdown.read_text()
    assert "| running | waiting |" in text and "| 1 | 0 |" in text
    assert "Running and waiting trials have no values yet" in text


def test_report_cli_json_lists_the_files(cli, search_root):
    result = cli("report", "--study", SEARCH, "--out", "rep", "--json", cwd=search_root)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["kind"] == "search" and len(document["figures"]) == 4
    for path in [*document["figures"], document["markdown"]]:
        assert (search_root / path).is_file() and path.startswith("rep/")
    table = cli("report", "--study", SEARCH, "--out", "rep", cwd=search_root)
    assert table.returncode == 0 and "report.md" in table.stdout


def test_bad_studies_are_one_line_errors(cli, tmp_path):
    result = cli("report", "--study", "missing")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "study 'missing' must exist" in result.stderr
    plain = optuna.create_study(study_name="plain",
                                storage=make_storage(None, root=str(tmp_path), name="plain"))
    with pytest.raises(StudyError, match="must be a nas search, scale or rank-check study"):
        write_report("plain", root=str(tmp_path))
    plain.set_user_attr("nas.identity", {"kind": "search"})
    with pytest.raises(StudyError, match="must have a complete trial to report on"):
        write_report("plain", root=str(tmp_path))
    assert not (tmp_path / "studies" / "plain" / "report").exists()


def test_two_objective_search_report(tmp_path):
    from nas.search import run_search

    options = tiny_search_options(tmp_path, objective="multi", study={"name": "multi",
                                                                      "trials": 2},
                                  train={"epochs": 1})
    assert run_search(options, progress=False).exit_code == 0
    report = write_report("multi", root=str(tmp_path))
    _check_pngs(report.figures)
    assert "## Pareto front (accuracy up, FLOPs down)" in report.markdown.read_text()


def test_scale_report(tmp_path):
    from nas.scaling import ScaleOptions, run_scale
    from nas.scoring import ProxySettings
    from nas.space import load_space
    from nas.study import StudySettings
    from nas.train import TrainConfig

    options = ScaleOptions(base=load_space("tiny").baseline(), base_name="tiny", step="0.5",
                           points=("1.2,1.1,1.15",), confirm=1,
                           proxy=ProxySettings(train_size=300, resolution=16,
                                               train=TrainConfig(epochs=1, threads=1)),
                           study=StudySettings(root=str(tmp_path), name="scale"))
    run = run_scale(options, progress=False)
    assert run.exit_code == 0
    report = write_report("scale", root=str(tmp_path))
    assert [path.name for path in report.figures] == ["coefficients.png",
                                                      "accuracy_vs_flops_ratio.png"]
    _check_pngs(report.figures)
    chosen = run.summary["chosen"]
    text = report.markdown.read_text()
    assert (f"(α, β, γ) = ({chosen['alpha']:g}, {chosen['beta']:g}, {chosen['gamma']:g}), "
            f"trial {chosen['trial']}") in text
    assert "resolution only" in text and "](coefficients.png)" in text


def test_rank_check_report(tmp_path):
    from nas.scoring import ProxySettings
    from nas.search import RankCheckOptions, run_rank_check
    from nas.study import StudySettings
    from nas.train import TrainConfig

    options = RankCheckOptions(
        space="tiny", samples=4, repeats=2, zero_cost=("synflow",), bootstrap=100,
        proxy=ProxySettings(train_size=200, resolution=16, width=1, strides_removed=0,
                            train=TrainConfig(epochs=1, threads=1)),
        reference=ProxySettings(train_size=200, resolution=24, width=1, strides_removed=0,
                                train=TrainConfig(epochs=1, threads=1)),
        study=StudySettings(root=str(tmp_path), name="rank"))
    run = run_rank_check(options, progress=False)
    assert run.exit_code == 0
    report = write_report("rank", root=str(tmp_path))
    assert [path.name for path in report.figures] == ["signals_vs_reference.png"]
    _check_pngs(report.figures)
    text = report.markdown.read_text()
    for row in run.summary["fidelity"]:
        assert row["signal"] in text
