import dataclasses
import math

import pytest
import torch

from nas._errors import ConfigError
from nas.arch import scale
from nas.data import load_data
from nas.scoring import ZERO_COST_PROXIES, zero_cost_scores
from nas.space import load_space


@pytest.fixture(scope="module")
def data():
    return load_data("digits", resolution=16, train_size=200)


@pytest.fixture(scope="module")
def arch():
    return dataclasses.replace(load_space("tiny").baseline(), resolution=16, num_classes=10)


def _with_train_images(data, images, labels):
    return dataclasses.replace(data, train=(images, labels))


def test_scores_are_finite_and_reproducible(arch, data):
    scores = zero_cost_scores(arch, data)
    assert tuple(scores) == ZERO_COST_PROXIES
    assert all(isinstance(score, float) and math.isfinite(score) for score in scores.values())
    assert zero_cost_scores(arch, data) == scores
    other_seed = zero_cost_scores(arch, data, seed=1)
    assert any(other_seed[name] != scores[name] for name in ZERO_COST_PROXIES)


def test_each_score_is_independent_of_the_others(arch, data):
    together = zero_cost_scores(arch, data)
    for name in ZERO_COST_PROXIES:
        assert zero_cost_scores(arch, data, names=[name]) == {name: together[name]}
    assert zero_cost_scores(arch, data, names=reversed(ZERO_COST_PROXIES)) == together


def test_scoring_leaves_no_trace(arch, data):
    torch.manual_seed(123)
    rng_state = torch.get_rng_state()
    images = data.train[0].clone()
    zero_cost_scores(arch, data, seed=7)
    assert torch.equal(torch.get_rng_state(), rng_state)
    assert torch.equal(data.train[0], images)


def test_synflow_grows_with_width(arch, data):
    narrow = zero_cost_scores(arch, data, names=["synflow"])["synflow"]
    wide = zero_cost_scores(scale(arch, width=2.0), data, names=["synflow"])["synflow"]
    assert wide > narrow


def test_synflow_sees_residual_blocks(arch, data):
    # doubling the repeats adds residual blocks; with the builder's zero batch-norm scale at
    # the end of each residual branch they would carry no flow (the score moves by ~0.05)
    shallow = zero_cost_scores(arch, data, names=["synflow"])["synflow"]
    deep = zero_cost_scores(scale(arch, depth=2.0), data, names=["synflow"])["synflow"]
    assert deep > shallow + 1


def test_naswot_kernel_is_singular_for_repeated_images(arch, data):
    images, labels = data.train
    distinct = zero_cost_scores(arch, data, names=["naswot"])["naswot"]
    # every image twice: at most half the codes differ, so K has rank <= batch / 2
    twice = _with_train_images(data, images[:32].repeat(2, 1, 1, 1), labels[:32].repeat(2))
    assert math.isfinite(distinct)
    assert zero_cost_scores(arch, twice, names=["naswot"], batches=1) == {"naswot": -math.inf}


def test_small_training_split_uses_disjoint_batches(arch, data):
    images, labels = data.train
    small = _with_train_images(data, images[:20], labels[:20])
    scores = zero_cost_scores(arch, small, batch_size=64)
    assert all(math.isfinite(score) for score in scores.values())
    # 20 images in 2 batches: batches of 10
    assert zero_cost_scores(arch, small, batch_size=10) == scores


@pytest.mark.parametrize("changes, message", [
    (dict(names=["synflow", "snip"]), "zero-cost proxy must be one of synflow, naswot, "
                                      "grad_norm, zico, but got 'snip'"),
    (dict(batches=1), "batches must be an integer >= 2 for zico, but got 1"),
    (dict(batch_size=0), "batch_size must be an integer >= 1, but got 0"),
])
def test_bad_options_are_rejected(arch, data, changes, message):
    with pytest.raises(ConfigError, match=message):
        zero_cost_scores(arch, data, **changes)


def test_arch_must_match_the_data(arch, data):
    with pytest.raises(ConfigError, match="arch num_classes must be the data's 10, but got 3"):
        zero_cost_scores(dataclasses.replace(arch, num_classes=3), data)
    with pytest.raises(ConfigError, match="arch resolution must be the data's 16, but got 32"):
        zero_cost_scores(dataclasses.replace(arch, resolution=32), data)


def test_one_batch_is_enough_without_zico(arch, data):
    scores = zero_cost_scores(arch, data, names=["synflow", "naswot", "grad_norm"], batches=1)
    assert all(math.isfinite(score) for score in scores.values())
