"""Which searched choices mattered: Optuna's fANOVA parameter importances as a bar chart."""

from __future__ import annotations

from pathlib import Path

import optuna
from optuna.trial import TrialState

from nas.report._figures import pyplot, save_figure
from nas.study import is_confirmation

SHOWN = 12
"""Bars drawn: the 11 most important parameters and the summed rest."""


def importances(study: optuna.Study) -> tuple[dict[str, float] | None, str]:
    """Optuna's fANOVA importances (fractions summing to 1) of the searched parameters for the
    reward (single objective) or the accuracy (two objectives), computed on the complete
    original trials; or (None, why not)."""
    complete = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if not is_confirmation(t)]
    varied = {name for name in {n for t in complete for n in t.params}
              if len({t.params.get(name) for t in complete}) > 1}
    if len(complete) < 2 or not varied:
        return None, (f"parameter importances need at least 2 complete trials whose parameters "
                      f"differ, but the study has {len(complete)} complete trial(s)"
                      + ("" if len(complete) < 2 else " with identical parameters"))
    target = (lambda t: t.values[0]) if len(study.directions) == 2 else None
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    try:
        result = optuna.importance.get_param_importances(study, evaluator=evaluator,
                                                         target=target)
    except (ValueError, RuntimeError) as error:
        return None, f"Optuna could not compute parameter importances: {error}"
    return dict(result), ""


def plot_importances(values: dict[str, float], path: Path, *, objective: str) -> Path:
    """Horizontal bars, most important at the top; importance is the share of the variance of
    ``objective`` that fANOVA attributes to each parameter (fractions summing to 1)."""
    plt = pyplot()
    values = dict(sorted(values.items(), key=lambda item: -item[1]))
    if len(values) > SHOWN:
        rest = list(values)[SHOWN - 1:]
        values = {**{name: values[name] for name in list(values)[:SHOWN - 1]},
                  f"{len(rest)} other parameters": sum(values[name] for name in rest)}
    names = list(values)[::-1]
    figure, axes = plt.subplots(figsize=(9, 0.36 * len(names) + 1.6))
    colors = ["#9a9a9a" if name.endswith("other parameters") else "#1f77b4" for name in names]
    bars = axes.barh(names, [values[name] for name in names], color=colors)
    axes.bar_label(bars, fmt="%.2f", padding=3, fontsize=9)
    axes.set_xlabel(f"importance: share of the variance of the {objective} (fANOVA, sums to 1)")
    axes.set_title("Which searched choices mattered (Optuna fANOVA)")
    axes.set_xlim(0, max(values.values(), default=1) * 1.15 or 1)
    axes.grid(axis="y", visible=False)
    return save_figure(figure, path)
