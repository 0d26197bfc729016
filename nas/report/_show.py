"""The top trials of any nas study as one JSON-ready document (``nas show``): a search's
ranked trials (the table ``nas search`` prints) or Pareto front, a scaling study's ranked
points and chosen one, a rank check's signals by Kendall τ. Only finished trials are ranked,
so a study that workers are still running reads fine."""

from __future__ import annotations

import dataclasses
import math

import optuna

from nas._errors import ConfigError
from nas.cost import FLOP_UNIT
from nas.report._rank_report import study_rank_report
from nas.scaling import chosen, point_trials, ranking_rows, seed_accuracies, seed_noise_report
from nas.search import best_trial, pareto_trials, ranked_trials, seed_noise, trial_frame
from nas.search import trial_record
from nas.study import count_trials, state_label, study_kind

__all__ = ["study_kind", "top_trials"]  # study_kind: nas.study's, re-exported here


def _table(frame) -> dict:
    return {"columns": [str(column) for column in frame.columns],
            "rows": frame.astype(object).where(frame.notna(), None).values.tolist()}


def _search(study: optuna.Study, top: int) -> dict:
    trial = best_trial(study)
    if len(study.directions) == 2:
        return {"title": "Pareto front (accuracy up, FLOPs down):", "noise": None,
                **_table(trial_frame(pareto_trials(study)[:top])),
                "best": trial and trial_record(trial, study)}
    noise = seed_noise(study)
    return {"title": "Top trials:",
            "noise": noise.describe() if noise.seed_std is not None else None,
            **_table(trial_frame(ranked_trials(study), limit=top, noise=noise)),
            "best": trial and {**trial_record(trial, study), **noise.record(trial)}}


def _scale(study: optuna.Study, top: int) -> dict:
    groups = seed_accuracies(study)
    noise = seed_noise_report(groups)
    trials = point_trials(study)
    rows = ranking_rows(trials, groups, noise["seed_std"])
    pick = chosen(trials, groups, noise["seed_std"])
    columns = list(rows[0]) if rows else []
    return {"title": "Points ranked by proxy accuracy:", "noise": noise, "columns": columns,
            "rows": [[row[column] for column in columns] for row in rows[:top]],
            "best": pick and next(row for row in rows if row["trial"] == pick.number)}


def _rank_check(study: optuna.Study, top: int) -> dict:
    report = study_rank_report(study)
    signals = sorted(report["fidelity"], key=lambda row: -_number(row["kendall"]))
    columns = ["signal", "n", "kendall", "kendall_ci", "spearman", "spearman_ci"]
    return {"title": "Cheap signals by Kendall tau against the reference accuracy:",
            "noise": report["noise"], "columns": columns,
            "rows": [[row[column] for column in columns] for row in signals[:top]],
            "best": signals[0] if signals else None,
            "report": {key: value for key, value in report.items() if key != "fidelity"}}


def _number(value: float | None) -> float:
    return -math.inf if value is None else value


def _other(study: optuna.Study, top: int) -> dict:
    trials = study.get_trials(deepcopy=False)
    return {"title": "Trials:", "noise": None, "columns": ["trial", "state", "values"],
            "rows": [[t.number, state_label(t), t.values] for t in trials[:top]], "best": None}


_READERS = {"search": _search, "scale": _scale, "rank-check": _rank_check, "other": _other}


def top_trials(study: optuna.Study, *, top: int = 10) -> dict:
    """What ``nas show`` prints, as a JSON-ready document: ``name``, ``kind``, ``directions``,
    ``trials`` (counts by state), ``title``, ``columns`` and ``rows`` of the top ``top`` (best
    first), ``best`` (None until a trial is complete) and ``noise`` (seed noise, if measured).
    FLOPs: fvcore's count, one fused multiply-add = one FLOP."""
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ConfigError(f"top must be an integer >= 1, but got {top!r}")
    kind = study_kind(study)
    counts = count_trials(study.get_trials(deepcopy=False))
    return {"name": study.study_name, "kind": kind,
            "directions": [d.name.lower() for d in study.directions], "flop_unit": FLOP_UNIT,
            "trials": {**dataclasses.asdict(counts), "finished": counts.finished},
            **_READERS[kind](study, top)}
