"""Reading a scaling study: the ranked table, the chosen (α, β, γ) and scaling.yaml."""

from __future__ import annotations

import math
import statistics

import optuna
import yaml
from optuna.trial import FrozenTrial, TrialState

from nas._errors import ConfigError
from nas._files import atomic_write, read_text
from nas.arch import Arch, from_dict, parse_document, to_dict
from nas.cost import FLOP_UNIT
from nas.search import SAME_NETWORK_KEY, noise_margin, pooled_seed_std, within_noise
from nas.study import StudyRun, is_confirmation, seed_groups, study_directory

SCALING_FILE = "scaling.yaml"


def _trained_number(trial: FrozenTrial) -> int:
    """The trial that actually trained this point's network (itself, or the twin it shares)."""
    return trial.user_attrs.get(SAME_NETWORK_KEY, trial.number)


def seed_accuracies(study: optuna.Study) -> dict[int, list[float]]:
    """Per grid trial (by number), the accuracy of every complete training of its network:
    the grid's own first, then each confirmation's (another training seed)."""
    return seed_groups(study)


def seed_noise_report(groups: dict[int, list[float]]) -> dict:
    """Seed noise of the scaling run: pooled std over the confirmed points, and the margin
    within which points tie (see :mod:`nas.search` ``within_noise``)."""
    std = pooled_seed_std(groups.values())
    return {"seed_std": None if std is None else round(std, 6),
            "noise_margin": round(noise_margin(std), 6),
            "confirmed_points": sum(len(values) >= 2 for values in groups.values())}


def mean_accuracy(trial: FrozenTrial, groups: dict[int, list[float]]) -> float:
    """The point's accuracy averaged over every seed its network was trained with."""
    values = groups.get(_trained_number(trial))
    return statistics.fmean(values) if values else trial.value


def point_trials(study: optuna.Study) -> list[FrozenTrial]:
    """The grid trial of every point (not its confirmations), most accurate first (mean over
    seeds where a point was confirmed)."""
    groups = seed_accuracies(study)
    first: dict[str, FrozenTrial] = {}
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if not is_confirmation(trial):
            first.setdefault(trial.params.get("point"), trial)
    return sorted(first.values(), key=lambda t: (-mean_accuracy(t, groups), t.number))


def ranking_rows(trials: list[FrozenTrial], groups: dict[int, list[float]] | None = None,
                 seed_std: float | None = None) -> list[dict]:
    """The ranking table: accuracy is the mean over seeds, ``seeds`` how many, and
    ``within_noise`` whether a point ties the most accurate compound point."""
    groups = groups or {}
    compound = [mean_accuracy(t, groups) for t in trials
                if t.user_attrs["kind"].startswith("compound")]
    best = max(compound, default=None)
    rows = []
    for rank, trial in enumerate(trials, start=1):
        attrs = trial.user_attrs
        accuracy = mean_accuracy(trial, groups)
        rows.append({
            "rank": rank, "kind": attrs["kind"], "alpha": attrs["alpha"], "beta": attrs["beta"],
            "gamma": attrs["gamma"], "product": round(attrs["product"], 4),
            "flops_ratio": round(attrs["flops_ratio"], 4), "flops": attrs["flops"],
            "params": attrs["params"], "proxy_resolution": attrs["proxy_resolution"],
            "accuracy": accuracy, "seeds": len(groups.get(_trained_number(trial), [1])),
            "within_noise": best is not None and within_noise(accuracy, best, seed_std),
            "trial": trial.number,
        })
    return rows


def _grown_dimensions(trial: FrozenTrial) -> int:
    """How many of depth, width and resolution the point grows (coefficient above 1)."""
    return sum(trial.user_attrs[key] > 1 for key in ("alpha", "beta", "gamma"))


def chosen(trials: list[FrozenTrial], groups: dict[int, list[float]] | None = None,
           seed_std: float | None = None) -> FrozenTrial | None:
    """The chosen compound point. Points within noise of the most accurate one (mean over
    seeds; see ``within_noise``) tie. Among ties, the point growing the most of depth, width and
    resolution goes first (a depth-only or width-only point wins only beyond noise), then the
    one whose *actual* FLOPs ratio (after rounding channels, repeats and resolution) is closest
    to 2. Without a noise estimate only exact ties tie."""
    groups = groups or {}
    compound = [t for t in trials if t.user_attrs["kind"].startswith("compound")]
    if not compound:
        return None
    best = max(mean_accuracy(t, groups) for t in compound)
    tied = [t for t in compound if within_noise(mean_accuracy(t, groups), best, seed_std)]
    return min(tied, key=lambda t: (-_grown_dimensions(t), abs(t.user_attrs["flops_ratio"] - 2),
                                    -mean_accuracy(t, groups), t.number))


def scaling_document(*, base: Arch, base_name: str, phi: float, study_name: str, storage: str,
                     trials: list[FrozenTrial], groups: dict[int, list[float]] | None = None
                     ) -> dict | None:
    """scaling.yaml's content: the chosen point (see :func:`chosen`), its accuracy (mean over
    seeds), the seed noise and how many compound points tie with it, and the base."""
    groups = groups or {}
    noise = seed_noise_report(groups)
    best = chosen(trials, groups, noise["seed_std"])
    if best is None:
        return None
    attrs = best.user_attrs
    rows = ranking_rows(trials, groups, noise["seed_std"])
    baselines = {row["kind"]: row["accuracy"] for row in rows
                 if not row["kind"].startswith("compound")}
    return {
        "base_name": base_name, "phi": phi, "alpha": attrs["alpha"], "beta": attrs["beta"],
        "gamma": attrs["gamma"], "accuracy": mean_accuracy(best, groups),
        "flops_ratio": attrs["flops_ratio"], "trial": best.number, "study": study_name,
        "storage": storage, "flop_unit": FLOP_UNIT, **noise,
        "tied_points": sum(row["within_noise"] for row in rows
                           if row["kind"].startswith("compound")),
        "single_dimension_accuracy": baselines, "base": to_dict(base),
    }


def write_scaling(document: dict, root: str, study_name: str):
    path = study_directory(root, study_name) / SCALING_FILE
    atomic_write(path, yaml.safe_dump(document, sort_keys=False))
    return path


def scale_summary(run: StudyRun, *, grid_points: int, trials_needed: int,
                  trials: list[FrozenTrial], document: dict | None,
                  groups: dict[int, list[float]] | None = None) -> dict:
    """What a scaling run found, as one JSON-ready document (``nas scale --json``)."""
    noise = seed_noise_report(groups or {})
    return {
        "study": run.name, "storage": run.storage, "grid_points": grid_points,
        "trials_needed": trials_needed, "points_complete": len(trials), "flop_unit": FLOP_UNIT,
        "chosen": document and {key: document[key] for key in (
            "alpha", "beta", "gamma", "accuracy", "flops_ratio", "trial", "tied_points")},
        **noise,
        "scaling_file": run.outputs.get("scaling"),
        "ranking": ranking_rows(trials, groups, noise["seed_std"]),
        "unresolved_running": run.unresolved, "interrupted": run.signal is not None,
        "error": run.failure,
    }


def read_scaling(path: str) -> tuple[Arch, str, float, float, float]:
    """``scaling.yaml`` -> (base, base name, α, β, γ)."""
    document = parse_document(read_text(path, what="scaling file"), format="yaml", source=path)
    if not isinstance(document, dict) or not {"base", "alpha", "beta", "gamma"} <= set(document):
        raise ConfigError(f"{path}: must be a scaling.yaml written by nas scale "
                          f"(with base, alpha, beta, gamma)")
    values = []
    for key in ("alpha", "beta", "gamma"):
        value = document[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                math.isfinite(value) and value > 0):
            raise ConfigError(f"{path}: {key} must be a number > 0, but got {value!r}")
        values.append(float(value))
    base = from_dict(document["base"], source=f"{path}: base")
    return (base, str(document.get("base_name", "base")), *values)
