"""The rank-check part of a report: one figure of every cheap signal against the reference,
and the tables of :func:`nas.search.rank_report` (the same report ``nas rank-check`` prints)."""

from __future__ import annotations

from pathlib import Path

import optuna

from nas.report._markdown import figure, table
from nas.report._plot_rank import labelled_signals, plot_rank
from nas.search import RankCheckOptions, rank_report, rank_signals
from nas.study import study_identity


def study_rank_report(study: optuna.Study) -> dict:
    """:func:`nas.search.rank_report` of a rank-check study with the settings it was run with
    (samples, zero-cost proxies and seed from its identity; the bootstrap count from its
    manifest, else the default)."""
    identity = study_identity(study)
    options = (study.user_attrs.get("nas.manifest") or {}).get("options", {})
    return rank_report(study, samples=identity.get("samples", 0),
                       zero_cost=tuple(identity.get("zero_cost", ())),
                       bootstrap=options.get("bootstrap", RankCheckOptions().bootstrap),
                       seed=identity.get("seed", 0))


def rank_part(study: optuna.Study, out: Path) -> tuple[list[Path], list[str]]:
    """Write the rank-check figure into ``out``; return it and the markdown sections."""
    identity = study_identity(study)
    samples, zero_cost = identity["samples"], tuple(identity["zero_cost"])
    report = study_rank_report(study)
    rows = [{"signal": row["signal"], "n": row["n"],
             "Spearman ρ [95 % CI]": _interval(row["spearman"], row["spearman_ci"]),
             "Kendall τ [95 % CI]": _interval(row["kendall"], row["kendall_ci"])}
            for row in report["fidelity"]]
    noise = [{"protocol": name, "seed pairs": value["pairs"],
              "seed std": _number(value["seed_std"]),
              "seed-vs-seed τ": _number(value["seed_kendall"]),
              "CPU-s / architecture": _number(value["cpu_seconds_per_architecture"], 1)}
             for name, value in report["noise"].items()]
    sections = [f"## Rank fidelity\n\n{report['architectures']} of {samples} architectures have "
                f"both protocols complete ({report['jobs_complete']} jobs).\n\n" + table(rows),
                "## Seed noise and cost\n\n" + table(noise)]
    reference, values = rank_signals(study, samples=samples, zero_cost=zero_cost)
    signals = labelled_signals(values)
    if not signals:
        sections.append("## Figures\n\nNo figure yet: no architecture has both protocols "
                        "complete.")
        return [], sections
    path = plot_rank(reference, signals, {row["signal"]: row for row in report["fidelity"]},
                     out / "signals_vs_reference.png")
    sections.append("## Figures\n\n" + figure(path, "cheap signals against the reference", (
        "Each cheap signal (proxy accuracy per epoch, zero-cost scores, params, FLOPs) against "
        "the reference protocol's validation accuracy, one point per architecture, with the "
        "Kendall τ and Spearman ρ of the table above in each panel's title.")))
    return [path], sections


def _number(value, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _interval(value, bounds) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f} [{_number(bounds[0], 2)}, {_number(bounds[1], 2)}]"
