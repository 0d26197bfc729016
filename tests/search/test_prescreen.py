from nas.search import run_search
from nas.search._prescreen import DONE_KEY, queued_count
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
    more = run_search(tiny_search_options(tmp_path, prescreen=20, prescreen_proxy="synflow",
                                          slack=0.1, study={"trials": 5, "name": "pre"}),
                      progress=False)
    assert more.summary["trials"]["finished"] == 5  # topped up, and nothing queued again
    assert sum("prescreen" in t.user_attrs for t in more.study.get_trials()) == 2


def test_the_default_prescreen_proxy_is_the_one_the_truth_favours():
    """naswot ranks NAS-Bench-Macro's networks of equal FLOPs at Kendall tau 0.64 against
    zico's 0.10 (benchmarks/results/truth_fidelity.json, README "Signals judged by
    NAS-Bench-Macro"); the default follows that measurement."""
    from nas.search import SearchOptions

    assert SearchOptions().prescreen_proxy == "naswot"
