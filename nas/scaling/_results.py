"""Reading a scaling study: the ranked table, the chosen (α, β, γ) and scaling.yaml."""

from __future__ import annotations

import math

import optuna
import yaml
from optuna.trial import FrozenTrial, TrialState

from nas._errors import ConfigError
from nas._files import atomic_write, read_text
from nas.arch import Arch, from_dict, parse_document, to_dict
from nas.cost import FLOP_UNIT
from nas.study import StudyRun, study_directory

SCALING_FILE = "scaling.yaml"


def point_trials(study: optuna.Study) -> list[FrozenTrial]:
    """The best complete trial of every point, most accurate first."""
    best: dict[str, FrozenTrial] = {}
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        label = trial.params.get("point")
        if label not in best or trial.value > best[label].value:
            best[label] = trial
    return sorted(best.values(), key=lambda t: -t.value)


def ranking_rows(trials: list[FrozenTrial]) -> list[dict]:
    rows = []
    for rank, trial in enumerate(trials, start=1):
        attrs = trial.user_attrs
        rows.append({
            "rank": rank, "kind": attrs["kind"], "alpha": attrs["alpha"], "beta": attrs["beta"],
            "gamma": attrs["gamma"], "product": round(attrs["product"], 4),
            "flops_ratio": round(attrs["flops_ratio"], 4), "flops": attrs["flops"],
            "params": attrs["params"], "proxy_resolution": attrs["proxy_resolution"],
            "accuracy": trial.value, "trial": trial.number,
        })
    return rows


def chosen(trials: list[FrozenTrial]) -> FrozenTrial | None:
    """The most accurate compound point; ties go to the point whose *actual* FLOPs ratio (after
    rounding channels, repeats and resolution) is closest to 2."""
    compound = [t for t in trials if t.user_attrs["kind"].startswith("compound")]
    if not compound:
        return None
    return max(compound, key=lambda t: (t.value, -abs(t.user_attrs["flops_ratio"] - 2)))


def scaling_document(*, base: Arch, base_name: str, phi: float, study_name: str, storage: str,
                     trials: list[FrozenTrial]) -> dict | None:
    best = chosen(trials)
    if best is None:
        return None
    attrs = best.user_attrs
    baselines = {t.user_attrs["kind"]: t.value for t in trials
                 if not t.user_attrs["kind"].startswith("compound")}
    return {
        "base_name": base_name, "phi": phi, "alpha": attrs["alpha"], "beta": attrs["beta"],
        "gamma": attrs["gamma"], "accuracy": best.value, "flops_ratio": attrs["flops_ratio"],
        "trial": best.number, "study": study_name, "storage": storage, "flop_unit": FLOP_UNIT,
        "single_dimension_accuracy": baselines, "base": to_dict(base),
    }


def write_scaling(document: dict, root: str, study_name: str):
    path = study_directory(root, study_name) / SCALING_FILE
    atomic_write(path, yaml.safe_dump(document, sort_keys=False))
    return path


def scale_summary(run: StudyRun, *, grid_points: int, trials_needed: int,
                  trials: list[FrozenTrial], document: dict | None) -> dict:
    """What a scaling run found, as one JSON-ready document (``nas scale --json``)."""
    return {
        "study": run.name, "storage": run.storage, "grid_points": grid_points,
        "trials_needed": trials_needed, "points_complete": len(trials), "flop_unit": FLOP_UNIT,
        "chosen": document and {key: document[key] for key in (
            "alpha", "beta", "gamma", "accuracy", "flops_ratio", "trial")},
        "scaling_file": run.outputs.get("scaling"), "ranking": ranking_rows(trials),
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
