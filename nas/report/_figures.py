"""Shared figure plumbing for the report: headless matplotlib (Agg), one readable style,
atomic PNG writes, and unit labels."""

from __future__ import annotations

import io
from pathlib import Path

from nas._files import atomic_write

DPI = 120
"""PNG resolution in dots per inch (a 10 × 6 inch figure is 1200 × 720 pixels)."""

FLOPS_LABEL = "FLOPs at the target resolution, millions (fvcore: 1 multiply-add = 1 FLOP)"
LATENCY_LABEL = "predicted latency at the target resolution, ms per forward pass"
ACCURACY_LABEL = "validation accuracy (%)"

_STYLE = {
    "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 9,
    "xtick.labelsize": 10, "ytick.labelsize": 10, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": DPI,
}


def pyplot():
    """``matplotlib.pyplot`` on the headless Agg backend with the report's style."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(_STYLE)
    return plt


def save_figure(figure, path: Path) -> Path:
    """Render ``figure`` to PNG at :data:`DPI`, write it atomically to ``path`` and close the
    figure; return the path."""
    plt = pyplot()
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    finally:
        plt.close(figure)
    return atomic_write(path, buffer.getvalue())


def percent(fraction: float | None) -> float | None:
    """An accuracy fraction (0..1) as a percentage."""
    return None if fraction is None else 100.0 * fraction


def millions(value: float | None) -> float | None:
    return None if value is None else value / 1e6
