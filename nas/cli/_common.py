"""Shared pieces of the command line: the parser, output helpers and value parsers."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from typing import Any

from nas._errors import ConfigError
from nas.cost import FLOP_UNIT

EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr and exits with code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows defaults and keeps the hand-wrapped descriptions."""


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


def thousands(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"


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


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, but got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, but got {text!r}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, but got {text!r}")
    return value


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, but got {text!r}")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 <= value < 1):
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1), but got {text!r}")
    return value


def flop_unit_note() -> str:
    return f"FLOPs are {FLOP_UNIT}."


def fail(message: str) -> None:
    """Raise a user-facing error (helper for checks that argparse cannot express)."""
    raise ConfigError(message)


def stderr(message: str) -> None:
    print(message, file=sys.stderr)


def quiet_optuna() -> None:
    """Silence Optuna's INFO logs: nas prints its own line per trial."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
