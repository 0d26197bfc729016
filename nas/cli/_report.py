"""Printing what a study found: tables, the best architecture, best.yaml, JSON summaries."""

from __future__ import annotations

import signal
import sys

import optuna

from nas.arch import save
from nas.cli._common import print_json, print_table
from nas.cost import FLOP_UNIT
from nas.search import (
    arch_of,
    best_trial,
    count_trials,
    describe_storage,
    pareto_trials,
    ranked_trials,
    study_directory,
    trial_frame,
    trial_record,
)

EXIT_INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143}


def write_best(study: optuna.Study, name: str, root: str = "."):
    """Write the best trial's architecture to studies/<name>/best.yaml; return (trial, path)."""
    trial = best_trial(study)
    if trial is None:
        return None, None
    path = study_directory(root, name) / "best.yaml"
    save(arch_of(trial), path)
    return trial, path


def summary_document(run, *, storage: str | None, root: str, best_path,
                     extra: dict | None = None) -> dict:
    study = run.study
    trials = study.get_trials(deepcopy=False)
    counts = count_trials(trials)
    trial, path = best_trial(study), best_path
    document = {
        "study": run.name,
        "storage": describe_storage(storage, root, run.name),
        "flop_unit": FLOP_UNIT,
        "trials": {"finished": counts.finished, "complete": counts.complete,
                   "pruned": counts.pruned, "skipped": counts.skipped, "failed": counts.failed,
                   "running": counts.running, "ran_this_time": run.ran},
        "interrupted": run.signal is not None,
        "error": run.failure,
        **(extra or {}),
        "best": None if trial is None else {**trial_record(trial),
                                             "config": str(path)},
        "top": [trial_record(t) for t in ranked_trials(study)[:10]],
    }
    if len(study.directions) == 2:
        document["pareto_front"] = [trial_record(t) for t in pareto_trials(study)]
    return document


def print_summary(run, document: dict, *, value_name: str = "reward") -> None:
    study = run.study
    counts = document["trials"]
    print(f"\nStudy {run.name!r} in {document['storage']}: {counts['finished']} finished "
          f"({counts['complete']} complete, {counts['pruned']} pruned), {counts['skipped']} "
          f"skipped, {counts['failed']} failed.")
    print(f"FLOPs: {FLOP_UNIT}, counted at the target resolution; "
          f"MFLOPs = millions of FLOPs.\n")
    if len(study.directions) == 2:
        print_table(trial_frame(pareto_trials(study), value_name=value_name),
                    title="Pareto front (accuracy up, FLOPs down):")
    else:
        print_table(trial_frame(ranked_trials(study), limit=10, value_name=value_name),
                    title="Top trials:")
    best = document["best"]
    if best is None:
        print("\nNo complete trial yet.")
        return
    print(f"\nBest: trial {best['number']}: {best['flops']:,} FLOPs, {best['params']:,} "
          f"parameters, validation accuracy {best['accuracy']:.4f}"
          + (f", {value_name} {best['reward']:.4f}" if best["reward"] is not None else ""))
    for text in best["blocks"]:
        print(f"  {text}")
    print(f"Written to {best['config']}")


def finish(run, *, storage: str | None, root: str, as_json: bool, extra: dict | None = None,
           value_name: str = "reward") -> int:
    """Print the summary; return the exit code (130/143 when interrupted, 1 on failure)."""
    _, best_path = write_best(run.study, run.name, root)
    document = summary_document(run, storage=storage, root=root, best_path=best_path,
                                extra=extra)
    if as_json:
        print_json(document)
    else:
        print_summary(run, document, value_name=value_name)
    if run.failure:
        print(f"nas: error: {run.failure}", file=sys.stderr)
        return 1
    if run.signal is not None:
        print(f"nas: interrupted; re-run the same command to resume study {run.name!r}",
              file=sys.stderr)
        return EXIT_INTERRUPTED[run.signal]
    return 0
