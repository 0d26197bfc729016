"""Shared pieces of the command line: the parser, output helpers and value parsers."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any


EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr and exits with code 2, and
    takes options only by their full names (no abbreviations: an abbreviation would change
    meaning when a longer option is added, and ``--recipe`` must see which options were
    given)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows each default once and keeps the hand-wrapped descriptions: "(default: X)" is added
    only where the help text does not already say its default, and never for an unset (None)
    value or an off switch."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS):
            return text
        return super()._get_help_string(action)


def examples(*commands: str) -> str:
    """The epilog that ends every command's --help: one or more example command lines."""
    title = "Example:" if len(commands) == 1 else "Examples:"
    return "\n".join([title, *(f"  {command}" for command in commands)])


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print a machine-readable JSON document instead of tables")


def print_json(document: Any) -> None:
    print(json.dumps(document, indent=2, default=str))


def print_table(frame, title: str | None = None,
                left: tuple[str, ...] = ()) -> None:
    """Print ``frame`` without its index; columns named in ``left`` are left-aligned."""
    if title:
        print(title)
    frame = frame.copy()
    renames = {}
    for column in left:
        values = frame[column].astype(str)
        width = max(values.str.len().max(), len(column))
        frame[column] = values.str.ljust(width)
        renames[column] = column.ljust(width)
    print(frame.rename(columns=renames).to_string(index=False))


def size_type(what: str, examples: str = "400M, 1.2G, 400000000 or 400e6"):
    """An argparse ``type=`` for counts (``400M``, ``1.2G``, ``400000000``, ``400e6``): the one
    size parser, :func:`nas._checks.parse_size`."""
    def parse(text: str) -> int:
        from nas._checks import parse_size
        from nas._errors import ConfigError

        try:
            return parse_size(text, what=what)
        except ConfigError:  # argparse names the option itself
            raise argparse.ArgumentTypeError(
                f"must be a positive {what} such as {examples}, but got {text!r}") from None
    return parse


parse_flops = size_type("FLOP count")


def duration(text: str) -> float:
    """An argparse ``type=`` for times (``12ms``, ``0.012s``, ``1500us``), in milliseconds."""
    from nas._checks import parse_duration
    from nas._errors import ConfigError

    try:
        return parse_duration(text, what="time")
    except ConfigError:
        raise argparse.ArgumentTypeError(
            f"must be a positive time such as 12ms, 0.012s or 1500us, but got {text!r}") from None
train_size = size_type("number of images", "8000, 8k or 8e3")


def _argument_type(convert, valid, expected: str):
    """An argparse ``type=`` that converts, checks, and explains what it expected."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not valid(value):
            raise argparse.ArgumentTypeError(f"must be {expected}, but got {text!r}")
        return value
    return parse


positive_int = _argument_type(int, lambda value: value >= 1, "an integer >= 1")
non_negative_int = _argument_type(int, lambda value: value >= 0, "an integer >= 0")
positive_float = _argument_type(float, lambda value: math.isfinite(value) and value > 0,
                                "a finite number > 0")
finite_float = _argument_type(float, math.isfinite, "a finite number")
non_negative_float = _argument_type(float, lambda value: math.isfinite(value) and value >= 0,
                                    "a finite number >= 0")
fraction = _argument_type(float, lambda value: 0 <= value < 1, "a number in [0, 1)")
open_fraction = _argument_type(float, lambda value: 0 < value < 1, "a number in (0, 1)")


def quiet_optuna() -> None:
    """Silence Optuna's INFO logs: nas prints its own line per trial."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
