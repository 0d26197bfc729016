"""Generic validators for config values: one-line :class:`~nas._errors.ConfigError` s in the
project's "must be X, but got Y" form."""

from __future__ import annotations

import math
import re

from nas._errors import ConfigError


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_real(value: object) -> bool:
    return (is_int(value) or isinstance(value, float)) and math.isfinite(value)


def check_int(name: str, value: object, *, minimum: int) -> int:
    """Return ``value`` if it is an integer >= ``minimum``, else raise :class:`ConfigError`."""
    if not is_int(value) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, but got {value!r}")
    return value


def check_choice(name: str, value: object, choices) -> object:
    """Return ``value`` if it is one of ``choices``, else raise :class:`ConfigError`."""
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(map(str, choices))}, but got "
                          f"{value!r}")
    return value


def check_real(name: str, value: object, *, minimum: float, maximum: float | None = None,
               include_maximum: bool = True) -> float:
    """Return ``value`` as a float if it is a finite number in range, else raise."""
    in_range = is_real(value) and value >= minimum
    if in_range and maximum is not None:
        in_range = value <= maximum if include_maximum else value < maximum
    if not in_range:
        upper = "" if maximum is None else f" and {'<=' if include_maximum else '<'} {maximum:g}"
        raise ConfigError(f"{name} must be a number >= {minimum:g}{upper}, but got {value!r}")
    return float(value)


_SIZE_SUFFIXES = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_size(text: str, *, what: str = "size") -> int:
    """A whole count written as a user would: ``400M``, ``1.2G``, ``10k``, ``400000000`` or
    ``400e6`` (suffixes k, M, G, T are powers of 1000, case-insensitive). The one parser for
    every count-like option (FLOP targets, dataset sizes); raises :class:`ConfigError` for
    anything that is not a positive whole number."""
    cleaned = text.strip().replace("_", "") if isinstance(text, str) else ""
    suffix = cleaned[-1:].lower() if cleaned[-1:].isalpha() and cleaned[-1:].lower() != "e" else ""
    number = cleaned[:-1] if suffix else cleaned
    try:
        value = float(number) * _SIZE_SUFFIXES[suffix] if number else math.nan
    except (ValueError, KeyError):
        value = math.nan
    if not math.isfinite(value) or value < 1 or abs(value - round(value)) > 1e-9 * value:
        raise ConfigError(f"{what} must be a positive whole number such as 400M, 1.2G, "
                          f"400000000 or 400e6, but got {text!r}")
    return int(round(value))


_DURATION_UNITS = {"us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1000.0, "": 1.0}


def parse_duration(text: str, *, what: str = "latency") -> float:
    """A duration in milliseconds, written as ``12ms``, ``12`` (milliseconds), ``0.012s`` or
    ``1500us``; raises :class:`ConfigError` for anything that is not a positive finite time."""
    cleaned = text.strip().replace("_", "").lower() if isinstance(text, str) else ""
    match = re.fullmatch(r"([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*(us|µs|ms|s|)", cleaned)
    value = float(match.group(1)) * _DURATION_UNITS[match.group(2)] if match else math.nan
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{what} must be a positive time such as 12ms, 0.012s or 1500us, "
                          f"but got {text!r}")
    return value
