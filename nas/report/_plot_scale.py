"""A scaling study's figures: the (α, β, γ) points coloured by accuracy in three pairwise
panels, and accuracy against the actual FLOPs ratio. Both take the rows of
:func:`nas.scaling.ranking_rows` (accuracy: mean over seeds, a fraction)."""

from __future__ import annotations

from pathlib import Path

from nas.report._figures import ACCURACY_LABEL, percent, pyplot, save_figure

SINGLE = {"depth only": ("s", "#ff7f0e"), "width only": ("^", "#9467bd"),
          "resolution only": ("v", "#8c564b"), "base": ("P", "#7f7f7f")}
PAIRS = (("alpha", "beta"), ("alpha", "gamma"), ("beta", "gamma"))
NAMES = {"alpha": "α (depth)", "beta": "β (width)", "gamma": "γ (resolution)"}


def single_kind(kind: str) -> str | None:
    """``depth only`` for ``depth only`` or ``compound, depth only``, ..., else None."""
    return next((name for name in SINGLE if kind.endswith(name)), None)


def plot_coefficients(rows: list[dict], chosen_trial: int | None, path: Path) -> Path:
    """Three panels (α-β, α-γ, β-γ): every point coloured by its mean validation accuracy (%);
    the chosen point a star, the single-dimension baselines and the base their own markers."""
    plt = pyplot()
    figure, panels = plt.subplots(1, 3, figsize=(15, 5.2), constrained_layout=True)
    accuracy = [percent(row["accuracy"]) for row in rows]
    low, high = min(accuracy), max(accuracy)
    for axes, (x, y) in zip(panels, PAIRS):
        compound = [row for row in rows if single_kind(row["kind"]) is None]
        scatter = axes.scatter([r[x] for r in compound], [r[y] for r in compound],
                               c=[percent(r["accuracy"]) for r in compound], cmap="viridis",
                               vmin=low, vmax=high, s=60, edgecolors="black", lw=0.4,
                               label="compound point", zorder=3)
        for kind, (marker, color) in SINGLE.items():
            special = [row for row in rows if single_kind(row["kind"]) == kind]
            if special:
                axes.scatter([r[x] for r in special], [r[y] for r in special],
                             c=[percent(r["accuracy"]) for r in special], cmap="viridis",
                             vmin=low, vmax=high, marker=marker, s=110, edgecolors=color,
                             lw=2, label=kind, zorder=4)
        for row in rows:
            if row["trial"] == chosen_trial:
                axes.scatter([row[x]], [row[y]], marker="*", s=420, facecolors="none",
                             edgecolors="#d62728", lw=1.8, label="chosen", zorder=5)
        axes.set_xlabel(NAMES[x])
        axes.set_ylabel(NAMES[y])
        axes.margins(0.12)
    figure.colorbar(scatter, ax=panels, label=f"mean {ACCURACY_LABEL}", shrink=0.9)
    handles, labels = panels[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.45, -0.1),
                  ncol=len(labels), frameon=False)
    figure.suptitle("Compound coefficients at φ = 1 (α·β²·γ² ≈ 2), coloured by accuracy")
    return save_figure(figure, path)


def plot_flops_ratio(rows: list[dict], chosen_trial: int | None, path: Path,
                     *, noise_margin: float) -> Path:
    """Mean validation accuracy (%) against the actual FLOPs ratio to the base (after
    rounding), with the intended ratio 2 as a vertical line."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(10, 5.6))
    compound = [row for row in rows if single_kind(row["kind"]) is None]
    axes.scatter([r["flops_ratio"] for r in compound], [percent(r["accuracy"]) for r in compound],
                 s=40, color="#1f77b4", zorder=3, label="compound point")
    for kind, (marker, color) in SINGLE.items():
        special = [row for row in rows if single_kind(row["kind"]) == kind]
        for row in special:
            axes.scatter([row["flops_ratio"]], [percent(row["accuracy"])], marker=marker,
                         s=110, color=color, edgecolors="black", lw=0.6, zorder=4, label=kind)
    axes.axvline(2, color="black", ls="--", lw=1.2, label="intended ratio 2 (φ = 1)")
    for row in rows:
        if row["trial"] == chosen_trial:
            best = percent(row["accuracy"])
            axes.scatter([row["flops_ratio"]], [best], marker="*", s=320, color="#d62728",
                         edgecolors="black", lw=0.6, zorder=5,
                         label=f"chosen (α, β, γ) = ({row['alpha']:g}, {row['beta']:g}, "
                               f"{row['gamma']:g})")
    if noise_margin:
        top = max(percent(r["accuracy"]) for r in compound)
        axes.axhspan(top - percent(noise_margin), top, color="#2ca02c", alpha=0.12, lw=0,
                     label="within seed noise of the best compound point (2√2σ)")
    axes.set_xlabel("actual FLOPs ratio to the base (after rounding; fvcore FLOPs)")
    axes.set_ylabel(f"mean {ACCURACY_LABEL}")
    axes.set_title("Accuracy against the FLOPs each point actually costs")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, frameon=False)
    return save_figure(figure, path)
