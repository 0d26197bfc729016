"""Reading a confirmed search back: the winner, the table's order and the noise block all rank
trials by their mean reward over seeds."""

import optuna
import pytest

from nas.search import best_trial, ranked_trials, seed_noise
from nas.study import CONFIRM_KEY


def confirmed_search():
    """As ``--confirm 2`` leaves it. Trial 0: best single seed (0.90), mean 0.80. Trial 1:
    0.88, mean 0.86, the best. Trial 2: one seed (0.87), unconfirmed. Trials 3 and 4 confirm
    trials 0 and 1."""
    study = optuna.create_study(direction="maximize")
    for value, attrs in ((0.90, {}), (0.88, {}), (0.87, {}), (0.70, {CONFIRM_KEY: 0}),
                         (0.84, {CONFIRM_KEY: 1})):
        study.add_trial(optuna.trial.create_trial(value=value, user_attrs=attrs,
                                                  constraints={"flops": -0.1}))
    return study


def test_after_confirm_the_winner_is_the_best_mean_reward():
    study = confirmed_search()
    assert study.best_trial.number == 0  # Optuna's own best: the single luckiest seed
    assert best_trial(study).number == 1


def test_confirmed_table_and_noise_follow_the_mean():
    study = confirmed_search()
    ranked = [t.number for t in ranked_trials(study)]
    assert sorted(ranked) == [0, 1, 2]  # confirmations are seeds, not rows
    assert ranked.index(1) < ranked.index(0)  # mean 0.86 before mean 0.80
    noise = seed_noise(study)
    assert noise.best == pytest.approx(0.86)
    assert noise.record(best_trial(study))["mean_reward"] == pytest.approx(0.86)
    assert noise.record(study.trials[0])["seed_rewards"] == [0.90, 0.70]
