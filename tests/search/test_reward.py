import pytest

from nas._errors import ConfigError
from nas.search import Reward


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
