"""A search study's two main figures: validation accuracy against FLOPs (target, budget,
Pareto front, baseline, winner, seed-noise band) and the reward over trial number with the
running best."""

from __future__ import annotations

from pathlib import Path

from nas.report._figures import ACCURACY_LABEL, LATENCY_LABEL, percent, pyplot
from nas.report._figures import save_figure
from nas.report._search_trials import SearchTrials, accuracy_of
from nas.study import CONFIRM_KEY

COMPLETE = "#1f77b4"
BEST = "#d62728"
BASELINE = "#ff7f0e"
FRONT = "#2ca02c"
MUTED = "#7f7f7f"


def _xy(owner: SearchTrials, trials) -> tuple[list[float], list[float]]:
    """(cost in the plotted unit, accuracy in %) of ``trials``."""
    return ([owner.cost(t) for t in trials],
            [percent(accuracy_of(t)) for t in trials])


def plot_accuracy_flops(trials: SearchTrials, path: Path) -> Path:
    """Every evaluated trial's validation accuracy (%) against its FLOPs (millions, fvcore)."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(10, 6.2))
    every = trials.complete + trials.pruned + trials.skipped
    flops = [trials.cost(t) for t in every] or [trials.target]
    budget, target = trials.budget, trials.target
    unit = " ms" if trials.cost_label == LATENCY_LABEL else " M"
    right = max(max(flops), budget) * 1.06
    left = max(0.0, min(min(flops), target) - 0.06 * (right - min(flops)))
    axes.axvspan(budget, right, color=BEST, alpha=0.07, lw=0,
                 label=f"infeasible: above T·(1+slack) = {budget:,.4g}{unit} (never trained)")
    axes.axvline(target, color="black", ls="--", lw=1.2, label=f"target T = {target:,.4g}{unit}")
    if trials.best_mean_accuracy is not None and trials.accuracy_seed_std is not None:
        top = percent(trials.best_mean_accuracy)
        axes.fill_between([left, budget], top - percent(trials.noise_margin), top,
                          color=FRONT, alpha=0.12, lw=0,
                          label=f"within seed noise of the best (2√2σ, "
                                f"σ = {percent(trials.accuracy_seed_std):.2f} points)")
    front = trials.pareto()
    if front:
        x, y = _xy(trials, front)
        end = max(x[-1], min(budget, right))
        axes.step(x + [end], y + [y[-1]], where="post", color=FRONT, lw=1.8, zorder=2,
                  label=f"Pareto front (accuracy up, {trials.cost_name} down)")
    x, y = _xy(trials, trials.complete)
    axes.scatter(x, y, s=36, color=COMPLETE, zorder=3, label="complete trial")
    if trials.pruned:
        x, y = _xy(trials, trials.pruned)
        axes.scatter(x, y, s=36, facecolors="none", edgecolors=MUTED, zorder=3,
                     label="pruned (accuracy at the epoch it stopped)")
    if trials.skipped:
        axes.scatter([trials.cost(t) for t in trials.skipped],
                     [0.02] * len(trials.skipped), marker="x", color=BEST, s=30, zorder=3,
                     transform=axes.get_xaxis_transform(), clip_on=False,
                     label="skipped: over budget, never trained (no accuracy)")
    _confirmations(axes, trials)
    _mark(axes, trials, trials.baselines(), marker="D", color=BASELINE, size=80,
          text=f"{trials.space} baseline", offset=(-12, 12), align="right")
    if trials.best is not None:
        _mark(axes, trials, [trials.best], marker="*", color=BEST, size=260,
              text=f"winner: trial {trials.best.number}", offset=(10, 8), align="left")
    axes.set_xlim(left, right)
    axes.margins(y=0.08)
    axes.set_xlabel(trials.cost_label)
    axes.set_ylabel(ACCURACY_LABEL)
    title = "Pareto front of the two objectives" if trials.multi else "every evaluated trial"
    axes.set_title(f"Validation accuracy against {trials.cost_name}: {title}")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    return save_figure(figure, path)


def _confirmations(axes, trials: SearchTrials) -> None:
    """Another seed of a trial: a short dash at the original's FLOPs, not a new point."""
    if not trials.confirmations:
        return
    originals = {t.number: t for t in trials.complete}
    pairs = [(originals[t.user_attrs[CONFIRM_KEY]], t) for t in trials.confirmations
             if t.user_attrs[CONFIRM_KEY] in originals]
    axes.scatter([trials.cost(o) for o, _ in pairs],
                 [percent(accuracy_of(c)) for _, c in pairs], marker="_", s=220, lw=2,
                 color="black", zorder=4, label="same trial, another training seed (--confirm)")


def _mark(axes, owner: SearchTrials, trials, *, marker: str, color: str, size: float, text: str,
          offset: tuple[int, int], align: str) -> None:
    for trial in trials:
        if accuracy_of(trial) is None:
            continue
        x, y = owner.cost(trial), percent(accuracy_of(trial))
        axes.scatter([x], [y], marker=marker, s=size, color=color, edgecolors="black",
                     lw=0.6, zorder=5)
        axes.annotate(text, (x, y), xytext=offset, textcoords="offset points", ha=align,
                      fontsize=10, color=color, fontweight="bold",
                      arrowprops={"arrowstyle": "-", "color": color, "lw": 0.8})


def plot_history(trials: SearchTrials, path: Path, *, reward_label: str) -> Path:
    """Each complete trial's value (reward, or accuracy for two objectives) over trial number,
    with the running best as a step line."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(10, 5.2))

    def value(trial) -> float:
        if trials.multi:
            return percent(accuracy_of(trial))
        if trial.value is not None:
            return trial.value
        steps = trial.intermediate_values
        return steps[max(steps)] if steps else None

    complete = sorted(trials.complete, key=lambda t: t.number)
    axes.scatter([t.number for t in complete], [value(t) for t in complete], s=36,
                 color=COMPLETE, zorder=3, label="complete trial")
    pruned = [t for t in trials.pruned if value(t) is not None]
    if pruned:
        axes.scatter([t.number for t in pruned], [value(t) for t in pruned], s=36,
                     facecolors="none", edgecolors=MUTED, zorder=3,
                     label="pruned (value at the epoch it stopped)")
    if trials.confirmations:
        axes.scatter([t.number for t in trials.confirmations],
                     [value(t) for t in trials.confirmations], marker="_", s=220, lw=2,
                     color="black", zorder=3, label="confirmation (another seed of a top trial)")
    if trials.skipped:
        axes.scatter([t.number for t in trials.skipped], [0.02] * len(trials.skipped),
                     marker="x", color=BEST, s=30, transform=axes.get_xaxis_transform(),
                     clip_on=False, label="skipped: over budget, never trained")
    if complete:
        running, best = [], float("-inf")
        for trial in complete:
            best = max(best, value(trial))
            running.append(best)
        last = max(t.number for t in complete + trials.pruned + trials.skipped
                   + trials.confirmations)
        axes.step([t.number for t in complete] + [last], running + [running[-1]],
                  where="post", color=FRONT, lw=1.8, label="running best (single seed)")
    if trials.best is not None and value(trials.best) is not None:
        axes.scatter([trials.best.number], [value(trials.best)], marker="*", s=260,
                     color=BEST, edgecolors="black", lw=0.6, zorder=5,
                     label=f"winner: trial {trials.best.number}")
    axes.set_xlabel("trial number (in the order trials started)")
    axes.set_ylabel(ACCURACY_LABEL if trials.multi else "reward (accuracy as a fraction)")
    axes.set_title("Accuracy over the search" if trials.multi
                   else f"Reward over the search: {reward_label}")
    axes.margins(y=0.08)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
    axes.xaxis.get_major_locator().set_params(integer=True)
    return save_figure(figure, path)
