"""A rank-check study's figure: every cheap signal against the reference accuracy, one panel
each, titled with the Kendall τ and Spearman ρ that :func:`nas.search.rank_report` computes."""

from __future__ import annotations

import math
from pathlib import Path

from nas.report._figures import percent, pyplot, save_figure


def labelled_signals(signals: dict[str, list[float]]) -> dict[str, tuple[list[float], str]]:
    """``nas.search.rank_signals``'s values in plotting units (accuracy in %, params and FLOPs
    in millions), each with its axis label."""
    labelled: dict[str, tuple[list[float], str]] = {}
    for name, values in signals.items():
        if name.startswith("proxy accuracy, epoch "):
            epoch = name.rsplit(" ", 1)[1]
            labelled[name] = ([percent(value) for value in values],
                              f"proxy validation accuracy after epoch {epoch} (%)")
        elif name.startswith("zero-cost "):
            labelled[name] = (values, f"{name[len('zero-cost '):]} score at initialisation "
                                      f"(unitless)")
        elif name == "params":
            labelled[name] = ([value / 1e6 for value in values], "parameters, millions")
        else:
            labelled[name] = ([value / 1e6 for value in values],
                              "FLOPs at the target resolution, millions (fvcore)")
    return labelled


def plot_rank(reference: list[float], signals: dict[str, tuple[list[float], str]],
              rows: dict[str, dict], path: Path) -> Path:
    """One scatter per signal (x: the signal, y: reference validation accuracy in %);
    ``rows`` are ``rank_report``'s fidelity rows by signal name."""
    plt = pyplot()
    columns = min(4, len(signals))
    lines = math.ceil(len(signals) / columns)
    figure, panels = plt.subplots(lines, columns, figsize=(4.2 * columns, 3.7 * lines),
                                  squeeze=False, constrained_layout=True)
    y = [percent(value) for value in reference]
    for axes, (name, (values, label)) in zip(panels.flat, signals.items()):
        axes.scatter(values, y, s=36, color="#1f77b4", edgecolors="black", lw=0.4)
        positive = [v for v in values if v is not None and v > 0]
        if len(positive) == len(values) and max(positive) / min(positive) > 1e3:
            axes.set_xscale("log")
            label += ", log scale"
        row = rows.get(name, {})
        axes.set_title(f"{name}\nKendall τ = {_number(row.get('kendall'))}, "
                       f"Spearman ρ = {_number(row.get('spearman'))}", fontsize=10)
        axes.set_xlabel(label, fontsize=9)
        axes.set_ylabel("reference accuracy (%)", fontsize=9)
    for axes in list(panels.flat)[len(signals):]:
        axes.axis("off")
    figure.suptitle(f"Cheap signals against the reference protocol's validation accuracy "
                    f"({len(reference)} architectures)")
    return save_figure(figure, path)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
