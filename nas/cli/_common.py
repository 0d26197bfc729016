"""Shared pieces of the command line: the parser, output helpers and value parsers."""

from __future__ import annotations

import argparse
import json
import math
import re
from typing import Any


EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr and exits with code 2."""

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


_FLOPS = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([kKmMgGtT]?)\s*$")
_SUFFIX = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_flops(text: str) -> int:
    """``400M`` -> 400_000_000. Suffixes k, M, G, T (powers of 1000); the unit is fvcore FLOPs."""
    match = _FLOPS.match(text)
    value = float(match.group(1)) * _SUFFIX[match.group(2).lower()] if match else math.nan
    if not match or not math.isfinite(value) or value < 1:
        raise argparse.ArgumentTypeError(
            f"must be a positive FLOP count such as 400M, 1.5G or 400000000, but got {text!r}")
    return int(round(value))


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
fraction = _argument_type(float, lambda value: 0 <= value < 1, "a number in [0, 1)")


def quiet_optuna() -> None:
    """Silence Optuna's INFO logs: nas prints its own line per trial."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
