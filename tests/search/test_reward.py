import optuna
import pytest
from optuna.trial import TrialState

from nas._errors import ConfigError
from nas.search import Reward, prepare, run_search
from nas.space import load_space
from nas.study import is_feasible
from tests.conftest import tiny_search_options


def test_soft_reward_is_mnasnet_with_w_minus_0_07():
    reward = Reward(mode="soft", target_flops=400_000_000)
    assert reward(0.8, 400_000_000) == pytest.approx(0.8)
    assert reward(0.8, 800_000_000) == pytest.approx(0.8 * 2 ** -0.07)
    assert reward(0.8, 200_000_000) == pytest.approx(0.8 * 0.5 ** -0.07)


def test_hard_reward_is_flat_under_and_steep_over():
    reward = Reward(mode="hard", target_flops=400)
    assert reward(0.9, 100) == 0.9
    assert reward(0.9, 800) == pytest.approx(0.45)


def test_w_override_and_budget():
    reward = Reward(mode="soft", target_flops=1000, exponent=-0.15, slack=0.05)
    assert reward(1.0, 2000) == pytest.approx(2 ** -0.15)
    assert reward.budget == pytest.approx(1050)
    assert reward.constraint(1050) == pytest.approx(0)
    assert reward.constraint(2100) == pytest.approx(1)


@pytest.mark.parametrize("changes, message", [
    (dict(mode="medium"), "reward must be one of soft, hard"),
    (dict(target_flops=0), "target_flops must be a number >= 1"),
    (dict(slack=-0.1), "slack must be a number >= 0"),
])
def test_reward_validation(changes, message):
    with pytest.raises(ConfigError, match=message):
        Reward(**{"mode": "soft", "target_flops": 100, **changes})


def candidate(reward, cost):
    """A trial carrying the constraint the search records for a candidate of ``cost``."""
    return optuna.trial.create_trial(value=0.5, constraints={reward.metric:
                                                             reward.constraint(cost)})


@pytest.mark.parametrize("mode", ["soft", "hard"])
@pytest.mark.parametrize("cost, feasible", [
    (3_000_000, True),  # under T
    (4_400_000, True),  # 10 % over T: inside the slack
    (5_000_000, True),  # exactly T x (1 + slack)
    (5_000_001, False),  # just beyond it
    (6_000_000, False),
])
def test_slack_makes_t_times_one_plus_slack_the_edge_of_feasibility(mode, cost, feasible):
    reward = Reward(mode=mode, target_flops=4_000_000, slack=0.25)
    assert reward.budget == 5_000_000
    assert is_feasible(candidate(reward, cost)) is feasible
    assert (cost > reward.budget) is not feasible  # the search's test for "never train"


def test_slack_applies_to_a_latency_target_too():
    reward = Reward(mode="soft", target_latency_ms=2.0, slack=0.5)
    assert reward.metric == "latency" and reward.budget == 3.0
    assert is_feasible(candidate(reward, 2.9)) and not is_feasible(candidate(reward, 3.1))


def test_a_search_trains_candidates_within_the_slack_and_skips_those_beyond(tmp_path):
    """T = 3,175,872 FLOPs with slack 0.5: the budget T x 1.5 is exactly 4,763,808 FLOPs, the
    tiny baseline with two stage-1 blocks. The baseline (4,288,672, 35 % over T) and that
    candidate (on the edge) train; the baseline with a stage-3 expand ratio of 6 (5,077,504)
    is recorded, skipped and never trained."""
    space = load_space("tiny")
    base = space.baseline_params()
    over = {**base, "stage3.expand_ratio": 6}
    edge = {**base, "stage1.repeats": 2}
    options = tiny_search_options(tmp_path, target_flops=3_175_872, slack=0.5,
                                  study={"name": "slack", "trials": 2},
                                  train={"epochs": 1}, proxy={"train_size": 200})
    study = prepare(options).study
    for values in (over, edge, base):  # in this order, so all three run within two trials
        study.enqueue_trial(space.trial_params(values))
    run = run_search(options, progress=False)
    assert run.failure is None
    skipped, at_edge, baseline = run.study.get_trials()
    assert [t.user_attrs["flops"] for t in (skipped, at_edge, baseline)] == \
        [5_077_504, 4_763_808, 4_288_672]
    assert skipped.state == TrialState.PRUNED and "train_seconds" not in skipped.user_attrs
    assert "over the FLOP budget: 5,077,504 > 4,763,808 FLOPs" in skipped.user_attrs["skipped"]
    assert not is_feasible(skipped)
    for trained in (at_edge, baseline):  # over T, within T x (1 + slack)
        assert trained.state == TrialState.COMPLETE and "train_seconds" in trained.user_attrs
        assert trained.user_attrs["flops"] > options.target_flops and is_feasible(trained)
