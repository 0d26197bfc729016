from nas.search import DEFAULT_CANDIDATES, SearchOptions, default_candidates, run_search
from nas.scoring import get_data, proxy_arch, zero_cost_scores
from nas.search._prescreen import DONE_KEY, queued_count, scored_arch
from nas.space import load_space
from tests.conftest import tiny_search_options


def test_prescreen_queues_the_best_scored_feasible_candidates_once(tmp_path):
    options = tiny_search_options(tmp_path, prescreen=20, prescreen_proxy="synflow",
                                  slack=0.1, study={"trials": 4, "name": "pre"})
    run = run_search(options, progress=False)
    assert queued_count(20, 4) == 2
    trials = run.study.get_trials()
    queued = [t for t in trials if "prescreen" in t.user_attrs]
    assert [t.number for t in queued] == [0, 1]  # the first trials of the search
    ranks = [t.user_attrs["prescreen"]["rank"] for t in queued]
    scores = [t.user_attrs["prescreen"]["score"] for t in queued]
    assert ranks == [1, 2] and scores == sorted(scores, reverse=True)
    assert all(t.user_attrs["flops"] <= 5_000_000 * 1.1 for t in queued)  # only feasible ones
    assert run.study.user_attrs[DONE_KEY] == {"proxy": "synflow", "candidates": 20, "queued": 2}
    assert run.summary["prescreen"] == run.study.user_attrs[DONE_KEY]  # in nas search --json
    # each was scored at the proxy's geometry (width 0.5, first stride removed, 16 px)
    data = get_data(options.proxy, resolution=options.proxy.resolution, seed=0)
    space = load_space("tiny")
    for trial in queued:
        target = space.arch(space.values(trial.params))
        arch = scored_arch(target, options.proxy, data)
        assert arch.resolution == 16 and arch == proxy_arch(
            target, num_classes=10, resolution=16, width=0.5, strides_removed=1)
        assert zero_cost_scores(arch, data, names=("synflow",), seed=0)["synflow"] == \
            trial.user_attrs["prescreen"]["score"]
    more = run_search(tiny_search_options(tmp_path, prescreen=20, prescreen_proxy="synflow",
                                          slack=0.1, study={"trials": 5, "name": "pre"}),
                      progress=False)
    assert more.summary["trials"]["finished"] == 5  # topped up, and nothing queued again
    assert sum("prescreen" in t.user_attrs for t in more.study.get_trials()) == 2


def test_the_default_prescreen_proxy_is_the_one_the_truth_favours():
    """naswot ranks NAS-Bench-Macro's networks of equal FLOPs (the 928 in 52 M ± 10 %) at
    Kendall tau 0.58, against grad_norm's 0.31, synflow's 0.13 and zico's 0.11
    (benchmarks/results/truth_fidelity.json, README "Signals judged by NAS-Bench-Macro");
    the default follows that measurement."""
    assert SearchOptions().prescreen_proxy == "naswot"


def test_by_default_only_new_studies_that_train_their_candidates_are_prescreened(tmp_path):
    """The naswot pre-screen of 500 was the best pipeline measured against NAS-Bench-Macro at
    equal CPU (benchmarks/results/search_vs_truth.json; README "Whole searches judged by
    NAS-Bench-Macro"), so it is the default wherever candidates are trained."""
    assert SearchOptions().prescreen is None and DEFAULT_CANDIDATES == 500
    assert default_candidates(None, trained=True, fresh=True) == 500
    assert default_candidates(None, trained=False, fresh=True) == 0  # a table or a supernet
    assert default_candidates(None, trained=True, fresh=False) == 0  # resuming an old study
    assert default_candidates(0, trained=True, fresh=True) == 0
    assert default_candidates(7, trained=False, fresh=False) == 7
    run_search(tiny_search_options(tmp_path, study={"trials": 1, "name": "old"}), progress=False)
    resumed = run_search(tiny_search_options(tmp_path, prescreen=None,
                                             study={"trials": 2, "name": "old"}), progress=False)
    assert resumed.summary["trials"]["finished"] == 2
    assert DONE_KEY not in resumed.study.user_attrs  # began without one, resumes without one
    assert resumed.summary["prescreen"] is None
    assert not any("prescreen" in t.user_attrs for t in resumed.study.get_trials())


def test_the_prescreen_runs_on_the_threads_the_search_was_given(tmp_path):
    import optuna
    import torch

    from nas.search import prescreen
    from nas.space import load_space

    options = tiny_search_options(tmp_path, train={"threads": 1})
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        study = optuna.create_study(direction="maximize")
        queued = prescreen(study, load_space("tiny"), candidates=3, proxy_name="naswot",
                           proxy=options.proxy, feasible=lambda arch: True, trials=4, seed=0)
        assert len(queued) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_a_study_with_only_a_queued_baseline_is_still_new():
    """`--baseline` queues B0 before the pre-screen runs: that study must still get it."""
    import optuna

    from nas.search._prescreen import is_new

    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({"x": 1.0})
    assert is_new(study)
    study.optimize(lambda trial: trial.suggest_float("x", 0.0, 2.0), n_trials=1)
    assert not is_new(study)
