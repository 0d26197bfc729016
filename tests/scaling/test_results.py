"""The scaling choice (``chosen``): among compound points within seed noise of the best, the
one growing the most dimensions, then the one whose actual FLOPs ratio is closest to 2, from
below as from above."""

import optuna
import pytest

from nas.scaling import chosen, point_trials, seed_accuracies
from nas.search import pooled_seed_std
from nas.study import CONFIRM_KEY

BALANCED = (1.2, 1.1, 1.15)  # grows depth, width and resolution


def point(accuracy, ratio, coefficients=BALANCED, *, kind="compound", number=0):
    alpha, beta, gamma = coefficients
    trial = optuna.trial.create_trial(value=accuracy, user_attrs={
        "kind": kind, "flops_ratio": ratio, "alpha": alpha, "beta": beta, "gamma": gamma,
        "product": alpha * beta ** 2 * gamma ** 2})
    trial.number = number
    return trial


@pytest.mark.parametrize("closer, farther", [
    (1.95, 2.10),  # below 2 by 0.05 beats above by 0.10
    (2.03, 1.90),  # above 2 by 0.03 beats below by 0.10
    (1.99, 2.02),
    (2.01, 1.98),
])
def test_among_exact_ties_the_ratio_closest_to_two_wins_from_either_side(closer, farther):
    near = point(0.9, closer, number=1)
    far = point(0.9, farther, number=2)
    assert chosen([near, far]) is near
    assert chosen([far, near]) is near


@pytest.mark.parametrize("closer, farther", [(1.95, 2.10), (2.03, 1.90)])
def test_within_noise_closeness_to_two_goes_before_accuracy(closer, farther):
    # the farther point is 0.01 more accurate, well inside the margin 2 x sqrt(2) x 0.01
    near = point(0.90, closer, number=1)
    far = point(0.91, farther, number=2)
    assert chosen([far, near], seed_std=0.01) is near
    assert chosen([far, near]) is far  # no noise estimate: only exact ties tie
    assert chosen([far, near], seed_std=0.001) is far  # margin 0.0028: beyond noise


def test_growing_more_dimensions_goes_before_closeness_to_two():
    depth_width = point(0.9, 2.00, (1.4, 1.2, 1.0), number=1)
    every = point(0.9, 2.30, BALANCED, number=2)
    every_closer = point(0.9, 1.80, (1.1, 1.1, 1.2), number=3)
    assert chosen([depth_width, every]) is every
    assert chosen([depth_width, every, every_closer]) is every_closer  # |1.8-2| < |2.3-2|


def test_a_single_dimension_baseline_is_never_chosen_even_if_closest_to_two():
    depth = point(0.9, 2.00, (2.0, 1.0, 1.0), kind="depth only", number=1)
    compound = point(0.9, 2.20, number=2)
    assert chosen([depth, compound]) is compound
    assert chosen([depth]) is None


def test_a_confirmed_scaling_study_chooses_by_mean_accuracy_then_the_tie_rule():
    """A real (in-memory) study: grid trials and confirmations, read back as ``nas scale``
    reads them. A has the best single seed (0.94) and the best mean (0.92); C (one seed, 0.87)
    is within noise of that mean, though not of A's best seed, and its FLOPs ratio is the
    closest to 2, so C is chosen."""
    study = optuna.create_study(direction="maximize")
    labels = ["1.2,1.1,1.15", "1.1,1.2,1.1", "1.1,1.1,1.2", "1.3,1.1,1.1"]
    distribution = optuna.distributions.CategoricalDistribution(labels)
    grid = [(0.94, 2.10), (0.89, 2.20), (0.87, 1.97), (0.70, 2.00)]  # A, B, C, D
    for label, (accuracy, ratio) in zip(labels, grid):
        alpha, beta, gamma = (float(value) for value in label.split(","))
        study.add_trial(optuna.trial.create_trial(
            value=accuracy, params={"point": label}, distributions={"point": distribution},
            user_attrs={"kind": "compound", "flops_ratio": ratio, "alpha": alpha,
                        "beta": beta, "gamma": gamma}))
    for of, accuracy in ((0, 0.90), (1, 0.89)):  # confirmations of A and B
        study.add_trial(optuna.trial.create_trial(
            value=accuracy, params={"point": labels[of]}, distributions={"point": distribution},
            user_attrs={CONFIRM_KEY: of}))
    groups = seed_accuracies(study)
    assert groups == {0: [0.94, 0.90], 1: [0.89, 0.89], 2: [0.87], 3: [0.70]}
    seed_std = pooled_seed_std(groups.values())
    assert seed_std == pytest.approx(0.02)  # margin 2 x sqrt(2) x 0.02 = 0.057
    trials = point_trials(study)
    assert [t.number for t in trials] == [0, 1, 2, 3]
    # C is 0.05 below A's mean (tied) but 0.07 below A's best seed; D is 0.22 below
    assert chosen(trials, groups, seed_std).number == 2
