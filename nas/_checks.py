"""Generic validators for config values: one-line :class:`~nas._errors.ConfigError` s in the
project's "must be X, but got Y" form."""

from __future__ import annotations

import math

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
