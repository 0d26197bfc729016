"""A rank-check study's figure: every cheap signal against the reference accuracy, one panel
each, titled with the Kendall τ and Spearman ρ that :func:`nas.search.rank_report` computes."""

from __future__ import annotations

import math
from pathlib import Path

import optuna
from optuna.trial import TrialState

from nas.report._figures import percent, pyplot, save_figure


def rank_signals(study: optuna.Study, *, samples: int, zero_cost: list[str]
                 ) -> tuple[list[float], dict[str, tuple[list[float], str]]]:
    """The reference accuracy (fraction) of every architecture with both seed-0 jobs
    complete, and per signal (named as in ``rank_report``) its values and axis label; the
    same pairing :func:`nas.search.rank_report` correlates."""
    jobs = {}
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        attrs = trial.user_attrs
        jobs[(attrs["protocol"], attrs["architecture"], attrs["repeat"])] = trial
    indices = [i for i in range(samples)
               if ("proxy", i, 0) in jobs and ("reference", i, 0) in jobs]
    reference = [jobs[("reference", i, 0)].value for i in indices]
    proxy = [jobs[("proxy", i, 0)].user_attrs for i in indices]
    signals: dict[str, tuple[list[float], str]] = {}
    if not indices:
        return reference, signals
    epochs = min(len(attrs["accuracy_per_epoch"]) for attrs in proxy)
    for epoch in range(1, epochs + 1):
        signals[f"proxy accuracy, epoch {epoch}"] = (
            [percent(a["accuracy_per_epoch"][epoch - 1]) for a in proxy],
            f"proxy validation accuracy after epoch {epoch} (%)")
    for name in zero_cost:
        signals[f"zero-cost {name}"] = ([a["zero_cost"][name] for a in proxy],
                                        f"{name} score at initialisation (unitless)")
    signals["params"] = ([a["params"] / 1e6 for a in proxy], "parameters, millions")
    signals["FLOPs"] = ([a["flops"] / 1e6 for a in proxy],
                        "FLOPs at the target resolution, millions (fvcore)")
    return reference, signals


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
