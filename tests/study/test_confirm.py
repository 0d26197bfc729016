"""Confirmation's decision rules: the winner is the best mean over seeds among the confirmed
trials, and feasibility (``is_feasible``) is every constraint at most 0."""

import optuna
import pytest
from optuna.trial import TrialState

from nas.study import CONFIRM_KEY, best_by_seeds, is_feasible, seed_groups


def original(value, *, flops_constraint=-0.1):
    return optuna.trial.create_trial(value=value, constraints={"flops": flops_constraint})


def confirmation(value, of):
    return optuna.trial.create_trial(value=value, user_attrs={CONFIRM_KEY: of},
                                     constraints={"flops": -0.1})


def confirmed_study():
    """As ``--confirm 2`` leaves it: trial 0 has the best single seed (0.90) but a poor second
    one (mean 0.80); trial 1 is second on one seed (0.88) and best on the mean (0.86); trial 2
    (0.87, third) was not confirmed."""
    study = optuna.create_study(direction="maximize")
    for trial in (original(0.90), original(0.88), original(0.87), confirmation(0.70, of=0),
                  confirmation(0.84, of=1)):
        study.add_trial(trial)
    return study


def test_seed_groups_hold_each_originals_seeds_in_order():
    study = confirmed_study()
    study.add_trial(confirmation(0.5, of=7))  # confirms no complete original: no group
    study.add_trial(optuna.trial.create_trial(state=TrialState.FAIL,
                                              user_attrs={CONFIRM_KEY: 2}))
    assert seed_groups(study) == {0: [0.90, 0.70], 1: [0.88, 0.84], 2: [0.87]}


def test_the_winner_is_the_best_mean_over_seeds_not_the_best_single_seed():
    study = confirmed_study()
    assert max(study.trials, key=lambda t: t.value).number == 0  # the best single seed
    winner = best_by_seeds(study)
    assert winner.number == 1
    assert winner.value == 0.88  # the original, not its confirmation


def test_once_trials_are_confirmed_an_unconfirmed_one_cannot_win():
    # trial 2's single seed (0.87) beats trial 1's mean (0.86), but one seed is no evidence
    study = confirmed_study()
    assert best_by_seeds(study).number == 1
    unconfirmed = optuna.create_study(direction="maximize")
    for trial in (original(0.90), original(0.88), original(0.87)):
        unconfirmed.add_trial(trial)
    assert best_by_seeds(unconfirmed).number == 0  # no confirmations: the best single seed


def test_a_feasible_trial_wins_over_a_better_infeasible_one():
    study = optuna.create_study(direction="maximize")
    for trial in (original(0.95, flops_constraint=0.2), original(0.80),
                  confirmation(0.93, of=0), confirmation(0.78, of=1)):
        study.add_trial(trial)
    assert best_by_seeds(study).number == 1
    assert best_by_seeds(optuna.create_study(direction="maximize")) is None


@pytest.mark.parametrize("constraints, feasible", [
    ({"flops": -0.05}, True),
    ({"flops": 0.0}, True),  # exactly at T x (1 + slack): within the budget
    ({"flops": 1e-9}, False),
    ({"flops": -0.5, "latency": 0.01}, False),  # every constraint must hold
    ({}, True),
])
def test_feasible_means_every_constraint_at_most_zero(constraints, feasible):
    trial = optuna.trial.create_trial(value=0.5, constraints=constraints)
    assert is_feasible(trial) is feasible
