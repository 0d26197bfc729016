"""Every command's --help: each option says its default at most once, units are stated, and
`nas search --help` lists the built-in spaces."""

import re
import shlex

import pytest

from nas import __version__
from nas.cli import build_parser
from nas.space import space_names


def command_names() -> list[str]:
    subparsers = next(action for action in build_parser()._actions
                      if hasattr(action, "choices") and isinstance(action.choices, dict))
    return sorted(subparsers.choices)


COMMANDS = command_names()


def option_blocks(text: str) -> list[str]:
    """The help entries of the options, one string each (wrapped lines joined)."""
    blocks: list[str] = []
    for line in text.splitlines():
        if re.match(r"^  -", line):
            blocks.append(line)
        elif blocks and line.startswith("   "):
            blocks[-1] += " " + line.strip()
        else:
            blocks.append("") if blocks and blocks[-1] else None
    return [block for block in blocks if block]


@pytest.mark.parametrize("command", COMMANDS)
def test_each_default_is_said_once(cli, command):
    result = cli(command, "--help")
    assert result.returncode == 0, result.stderr
    blocks = option_blocks(result.stdout)
    assert len(blocks) >= 2
    # argparse's "(default: X)" appears only where the text does not already name its default
    repeated = [block for block in blocks
                if "(default:" in block and block.count("default") > 1]
    assert repeated == []
    assert "(default: None)" not in result.stdout and "(default: False)" not in result.stdout


def test_search_help_lists_spaces_and_the_flop_unit(cli):
    text = " ".join(cli("search", "--help").stdout.split())
    assert ", ".join(space_names()) in text
    assert "one fused multiply-add = one FLOP" in text
    assert "tested on the journal file, SQLite and PostgreSQL" in text


@pytest.mark.parametrize("command", COMMANDS)
def test_each_help_ends_with_examples_that_parse(cli, command):
    result = cli(command, "--help")
    lines = result.stdout.rstrip().splitlines()
    start = max(i for i, line in enumerate(lines) if line in ("Example:", "Examples:"))
    examples = [line.strip() for line in lines[start + 1:]]
    assert examples and all(line.startswith(f"nas {command} ") or line == f"nas {command}"
                            for line in examples)
    for example in examples:  # every example is a valid command line
        build_parser().parse_args(shlex.split(example)[1:])


def test_version(cli):
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"nas {__version__}"
