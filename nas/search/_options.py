"""The search objectives, the default pre-screen size, and the short labels that study names are
made of (data spec, FLOPs, latency). How a candidate is scored
(:class:`nas.scoring.ProxySettings`) is :mod:`nas.scoring`'s."""

from __future__ import annotations

from nas.data import data_slug  # noqa: F401 - re-exported as nas.search.data_slug


OBJECTIVES = ("single", "multi")
DEFAULT_CANDIDATES = 500
"""Candidates a new search whose candidates are trained pre-screens by default (see
:func:`nas.search.default_candidates`); kept here, where the command line can read it without
importing torch."""


def flops_label(flops: float) -> str:
    """400000000 -> '400M', 1500000000 -> '1.5G'."""
    for suffix, size in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if flops >= size:
            return f"{flops / size:g}{suffix}"
    return f"{flops:g}"


def latency_label(milliseconds: float) -> str:
    """12.0 -> '12ms', 0.5 -> '0.5ms'."""
    return f"{milliseconds:g}ms"
