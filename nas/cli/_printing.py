"""Printing what a study found: tables, the best architecture, JSON summaries (the library
writes the files and builds the documents; this module only prints them)."""

from __future__ import annotations

import sys

from nas.cli._common import print_json, print_table
from nas.cost import FLOP_UNIT
from nas.search import pareto_trials, ranked_trials, seed_noise, trial_frame


def print_summary(run, document: dict, *, value_name: str = "reward") -> None:
    study = run.study
    counts = document["trials"]
    print(f"\nStudy {run.name!r} in {document['storage']}: {counts['finished']} finished "
          f"({counts['complete']} complete, {counts['pruned']} pruned), {counts['skipped']} "
          f"skipped, {counts['failed']} failed.")
    print(f"FLOPs: {FLOP_UNIT}, counted at the target resolution; "
          f"MFLOPs = millions of FLOPs.\n")
    skipped = document.get("skipped_images") or {"count": 0}
    if skipped["count"]:
        print(f"{skipped['count']} unreadable images of the folder were left out (e.g. "
              f"{skipped['files'][0]}; --strict stops at the first).\n")
    if len(study.directions) == 2:
        print_table(trial_frame(pareto_trials(study), value_name=value_name),
                    title="Pareto front (accuracy up, FLOPs down):")
    else:
        noise = seed_noise(study)
        print_table(trial_frame(ranked_trials(study), limit=10, value_name=value_name,
                                noise=noise), title="Top trials:")
        if noise.seed_std is not None:
            described = noise.describe()
            print(f"\nSeed noise: std {noise.seed_std:.4f} of the {value_name} over "
                  f"{described['confirmed']} trials trained with two seeds; trials within "
                  f"{described['noise_margin']:.4f} of the winner's mean are within noise.")
    best = document["best"]
    if best is None:
        print("\nNo complete trial yet.")
        return
    print(f"\nBest: trial {best['number']}: {best['flops']:,} FLOPs, {best['params']:,} "
          f"parameters, validation accuracy {best['accuracy']:.4f}"
          + (f", {value_name} {best['reward']:.4f}" if best["reward"] is not None else "")
          + (f"; mean {value_name} over {len(best['seed_rewards'])} seeds "
             f"{best['mean_reward']:.4f}" if len(best.get("seed_rewards") or ()) > 1 else ""))
    for text in best["blocks"]:
        print(f"  {text}")
    print(f"Written to {best['config']}")


def print_unresolved(run) -> None:
    """Say which trials are still RUNNING under an owner this host cannot judge."""
    if run.unresolved:
        print(f"Note: trial(s) {', '.join(map(str, run.unresolved))} are still RUNNING under a "
              f"live worker or one on another host; they are not counted as finished. On RDB "
              f"storages Optuna's heartbeat fails them if that worker is dead; re-run later to "
              f"settle them.", file=sys.stderr)


def report_exit(run, command: str) -> int:
    """Print why a run stopped early, if it did; return its exit code."""
    print_unresolved(run)
    if run.failure:
        print(f"nas {command}: error: {run.failure}", file=sys.stderr)
    elif run.signal is not None:
        print(f"nas {command}: interrupted; re-run the same command to resume study "
              f"{run.name!r}", file=sys.stderr)
    return run.exit_code


def finish(run, *, as_json: bool, value_name: str = "reward") -> int:
    """Print a search's summary; return the exit code (130/143 when interrupted, 1 on
    failure)."""
    if as_json:
        print_json(run.summary)
    else:
        print_summary(run, run.summary, value_name=value_name)
    return report_exit(run, "search")
