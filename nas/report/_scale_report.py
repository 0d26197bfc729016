"""The scaling part of a report: its two figures and the ranking, computed with the functions
``nas scale`` uses (so the chosen point and the table agree with scaling.yaml)."""

from __future__ import annotations

from pathlib import Path

import optuna

from nas.report._markdown import figure, table
from nas.report._plot_scale import plot_coefficients, plot_flops_ratio
from nas.scaling import chosen, point_trials, ranking_rows, seed_accuracies, seed_noise_report

COLUMNS = ("rank", "kind", "α", "β", "γ", "FLOPs ratio", "accuracy", "seeds", "within noise",
           "trial")


def scale_part(study: optuna.Study, out: Path) -> tuple[list[Path], list[str]]:
    """Write the scaling figures into ``out``; return them and the markdown sections."""
    trials, groups = point_trials(study), seed_accuracies(study)
    noise = seed_noise_report(groups)
    rows = ranking_rows(trials, groups, noise["seed_std"])
    pick = chosen(trials, groups, noise["seed_std"])
    number = None if pick is None else pick.number
    sections = [_chosen(rows, number, noise), "## Ranking\n\n" + table(
        [_row(row) for row in rows], COLUMNS)]
    if not rows:
        return [], sections
    figures = [plot_coefficients(rows, number, out / "coefficients.png"),
               plot_flops_ratio(rows, number, out / "accuracy_vs_flops_ratio.png",
                                noise_margin=noise["noise_margin"])]
    sections.append("## Figures\n\n" + "\n\n".join([
        figure(figures[0], "compound coefficients coloured by accuracy", (
            "Every evaluated (α, β, γ) in three pairwise panels, coloured by mean validation "
            "accuracy; the chosen point is starred and the depth-, width- and "
            "resolution-only baselines and the base have their own markers.")),
        figure(figures[1], "accuracy against the actual FLOPs ratio", (
            "Mean validation accuracy against the FLOPs ratio to the base each point really "
            "costs after rounding channels, repeats and resolution; the dashed line is the "
            "intended ratio 2."))]))
    return figures, sections


def _row(row: dict) -> dict:
    return {"rank": row["rank"], "kind": row["kind"], "α": f"{row['alpha']:g}",
            "β": f"{row['beta']:g}", "γ": f"{row['gamma']:g}",
            "FLOPs ratio": f"{row['flops_ratio']:.3f}", "accuracy": f"{row['accuracy']:.4f}",
            "seeds": row["seeds"], "within noise": "yes" if row["within_noise"] else "",
            "trial": row["trial"]}


def _chosen(rows: list[dict], number: int | None, noise: dict) -> str:
    row = next((row for row in rows if row["trial"] == number), None)
    if row is None:
        return "## Chosen coefficients\n\nNo compound point is complete yet."
    std = ("no seed-noise estimate (no confirmed point): only exact ties tie"
           if noise["seed_std"] is None else
           f"seed std {noise['seed_std']:.4f} over {noise['confirmed_points']} confirmed "
           f"points; points within {noise['noise_margin']:.4f} of the best compound point tie")
    tied = sum(r["within_noise"] for r in rows if r["kind"].startswith("compound"))
    return (f"## Chosen coefficients\n\n(α, β, γ) = ({row['alpha']:g}, {row['beta']:g}, "
            f"{row['gamma']:g}), trial {row['trial']}: mean validation accuracy "
            f"{row['accuracy']:.4f} over {row['seeds']} seed(s), actual FLOPs ratio "
            f"{row['flops_ratio']:.4f}; {std}; {tied} compound point(s) tie.")
