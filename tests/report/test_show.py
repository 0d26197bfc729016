"""``top_trials`` on real tiny studies of every kind: search, scale and rank-check."""

import dataclasses
import json

import pytest

from nas._errors import ConfigError
from nas.report import study_kind, top_trials
from nas.scaling import ScaleOptions, chosen, point_trials, run_scale, seed_accuracies
from nas.scoring import ProxySettings
from nas.search import (RankCheckOptions, best_trial, ranked_trials, run_rank_check, run_search,
                        seed_noise, trial_frame)
from nas.space import load_space
from nas.study import StudySettings
from nas.train import TrainConfig
from tests.conftest import tiny_search_options

TINY_PROXY = ProxySettings(train=TrainConfig(epochs=1, threads=1), train_size=200,
                           resolution=16, width=1, strides_removed=0)


@pytest.fixture(scope="module")
def search(tmp_path_factory):
    root = tmp_path_factory.mktemp("search")
    return run_search(tiny_search_options(root, train={"epochs": 1}), progress=False).study


def test_search_shows_the_table_nas_search_prints(search):
    document = json.loads(json.dumps(top_trials(search, top=2)))  # JSON-able as it is
    assert study_kind(search) == document["kind"] == "search"
    assert document["trials"]["complete"] == 3 and document["trials"]["running"] == 0
    frame = trial_frame(ranked_trials(search), limit=2, noise=seed_noise(search))
    assert document["columns"] == list(frame.columns)
    assert document["rows"] == frame.values.tolist()
    assert "one fused multiply-add = one FLOP" in document["flop_unit"]
    best = best_trial(search)
    assert (document["best"]["number"], document["best"]["reward"]) == (best.number, best.value)
    assert document["best"]["blocks"] == best.user_attrs["blocks"]
    with pytest.raises(ConfigError, match="top must be an integer >= 1, but got 0"):
        top_trials(search, top=0)


def test_scale_shows_ranked_points_and_the_chosen_one(tmp_path):
    options = ScaleOptions(base=load_space("tiny").baseline(), base_name="tiny", step="0.5",
                           confirm=0, proxy=TINY_PROXY,
                           study=StudySettings(name="grid", root=str(tmp_path)))
    study = run_scale(options, progress=False).study
    document = top_trials(study, top=3)
    assert document["kind"] == "scale" and document["trials"]["complete"] == 4
    assert len(document["rows"]) == 3
    trials = point_trials(study)
    assert [row[document["columns"].index("trial")] for row in document["rows"]] == \
        [t.number for t in trials[:3]]
    assert document["best"]["trial"] == chosen(trials, seed_accuracies(study)).number


def test_rank_check_shows_signals_by_kendall_tau(tmp_path):
    options = RankCheckOptions(space="tiny", samples=4, repeats=2, proxy=TINY_PROXY,
                               reference=dataclasses.replace(TINY_PROXY, resolution=24),
                               zero_cost=("synflow",), bootstrap=100,
                               study=StudySettings(name="rank", root=str(tmp_path)))
    run = run_rank_check(options, progress=False)
    document = top_trials(run.study, top=3)
    assert document["kind"] == "rank-check" and document["trials"]["complete"] == 12
    taus = [row[document["columns"].index("kendall")] for row in document["rows"]]
    assert len(taus) == 3 and taus == sorted(taus, reverse=True)
    summary = {row["signal"]: row["kendall"] for row in run.summary["fidelity"]}
    assert document["best"]["kendall"] == max(summary.values())
    assert {row[0]: row[2] for row in document["rows"]}.items() <= summary.items()
