"""Listing the studies of a store: kinds, exact counts by state, the best value, PostgreSQL."""

import optuna
import pytest
from optuna.trial import TrialState

from nas.search import best_trial, run_search
from nas._errors import StudyError
from nas.study import list_studies, make_storage, study_kind
from tests.conftest import study_at, tiny_search_options


def hand_made(root, name="hand"):
    """A study nas did not make, holding one trial of every state (two complete)."""
    path = root / "studies" / name / "journal.log"
    study = optuna.create_study(study_name=name, direction="maximize",
                                storage=make_storage(str(path), root=str(root), name=name))
    for value in (0.25, 0.5):
        study.enqueue_trial({"x": value})
        trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
        study.tell(trial, trial.params["x"])
    for attrs in ({}, {"skipped": "over the FLOP budget"}):
        trial = study.ask()
        for key, value in attrs.items():
            trial.set_user_attr(key, value)
        study.tell(trial, state=TrialState.PRUNED)
    study.tell(study.ask(), state=TrialState.FAIL)
    study.ask()  # left RUNNING
    study.enqueue_trial({"x": 0.75})  # WAITING
    return study


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    run = run_search(tiny_search_options(root, train={"epochs": 1}), progress=False)
    hand_made(root)
    return root, run


def test_default_store_lists_every_study_with_exact_counts(store):
    root, run = store
    summaries = {summary.name: summary for summary in list_studies(root=str(root))}
    assert sorted(summaries) == ["hand", run.name]
    hand, search = summaries["hand"], summaries[run.name]
    assert (hand.kind, search.kind) == ("other", "search") == (study_kind(
        study_at(str(root / "studies" / "hand" / "journal.log"), "hand")), study_kind(run.study))
    counts = hand.counts
    assert (counts.complete, counts.pruned, counts.skipped, counts.failed, counts.running,
            counts.waiting) == (2, 1, 1, 1, 1, 1)
    assert hand.best_value == 0.5 and hand.directions == ("maximize",)
    assert hand.storage == str(root / "studies" / "hand" / "journal.log")
    assert search.counts.complete == 3 and search.counts.finished == 3
    assert search.best_value == best_trial(run.study).value
    trials = run.study.get_trials()
    assert search.started == min(t.datetime_start for t in trials)
    assert search.finished == max(t.datetime_complete for t in trials)
    document = search.to_dict()
    assert document["trials"]["finished"] == 3 and document["started"].startswith("20")


def test_a_journal_path_lists_its_study(store):
    root, run = store
    path = str(root / "studies" / run.name / "journal.log")
    [summary] = list_studies(path)
    assert (summary.name, summary.storage, summary.counts.complete) == (run.name, path, 3)


def test_no_studies_and_bad_storages(tmp_path):
    assert list_studies(root=str(tmp_path)) == []
    with pytest.raises(StudyError, match="must be an existing journal file, but there is none"):
        list_studies(str(tmp_path / "missing.log"))
    assert not (tmp_path / "missing.log").exists()
    with pytest.raises(StudyError, match="must be a reachable Optuna storage"):
        list_studies("postgresql://nobody@127.0.0.1:1/none")


def test_postgresql_store(tmp_path, postgres_url):
    hand_made(tmp_path, name="catalog-pg")
    path = str(tmp_path / "studies" / "catalog-pg" / "journal.log")
    optuna.copy_study(from_study_name="catalog-pg",
                      from_storage=make_storage(path, root=".", name="catalog-pg"),
                      to_storage=make_storage(postgres_url, root=".", name="catalog-pg"))
    summary = {s.name: s for s in list_studies(postgres_url)}["catalog-pg"]
    assert summary.storage == postgres_url and summary.best_value == 0.5
    # copy_study copies finished trials only
    assert (summary.counts.complete, summary.counts.pruned, summary.counts.skipped,
            summary.counts.failed) == (2, 1, 1, 1)
