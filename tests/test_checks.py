"""nas._checks: the one size parser used by every count-like option."""

import pytest

from nas._checks import parse_size
from nas._errors import ConfigError


@pytest.mark.parametrize("text, expected", [
    ("400M", 400_000_000), ("1.2G", 1_200_000_000), ("400000000", 400_000_000),
    ("400e6", 400_000_000), ("10k", 10_000), ("5m", 5_000_000), (" 2T ", 2 * 10**12),
    ("400_000", 400_000),
])
def test_sizes_users_write(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["0", "-5", "1.5", "0.5k1", "400X", "abc", "", "M", "inf",
                                  "nan", "1e400", "1.0000001k"])
def test_bad_sizes_are_refused_with_what_was_expected(text):
    with pytest.raises(ConfigError, match=r"FLOP count must be a positive whole number such as "
                                          r"400M, 1.2G, 400000000 or 400e6, but got"):
        parse_size(text, what="FLOP count")


def test_the_command_line_uses_it(cli):
    for option in (["search", "--flops", "4e5x"],
                   ["train", "efficientnet-b0", "--train-size", "8.5"]):
        result = cli(*option)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1
        assert "must be a positive FLOP count such as" in result.stderr or \
            "must be a positive number of images such as" in result.stderr
