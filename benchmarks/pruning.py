"""Pruning: CPU time saved, and best reward reached, by the median and Hyperband pruners against
none, in the same search on the shared CIFAR-10 subset.

Each pruner runs ``nas search`` (``run_search``) on the EfficientNet-B0 space with T = 400
MFLOPs (fvcore: one fused multiply-add = one FLOP, at 224 px), the default proxy protocol on a
stratified ``--train-size`` subset, TPE with study seed 0 and ``--trials`` trials, in one
process. Pruners never act before the first epoch trained wholly after the learning-rate
warm-up. The three searches see different values once a trial is pruned, so TPE's later
proposals differ; each run is one seed, so a best-reward difference smaller than the proxy's
seed noise (README, rank fidelity) is no difference.

Usage: .venv/bin/python benchmarks/pruning.py [--trials 16] [--train-size 4000] [--threads 2]
Writes benchmarks/results/pruning.json (studies under benchmarks/results/pruning_studies/).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, report  # noqa: E402

from nas.scoring import ProxySettings  # noqa: E402
from nas.search import SearchOptions, run_search  # noqa: E402
from nas.study import StudySettings, count_trials  # noqa: E402
from nas.train import TrainConfig  # noqa: E402

SHARED_CIFAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10_jpeg_10k.npz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--train-size", type=int, default=4000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pruners", default="none,median,hyperband")
    parser.add_argument("--data", default=f"npz:{SHARED_CIFAR}")
    args = parser.parse_args()
    root = RESULTS / "pruning_studies"
    defaults = ProxySettings()
    proxy = ProxySettings(data=args.data, resolution=defaults.resolution, width=defaults.width,
                          strides_removed=defaults.strides_removed, train_size=args.train_size,
                          train=TrainConfig(epochs=defaults.train.epochs, threads=args.threads))
    rows = []
    for pruner in args.pruners.split(","):
        options = SearchOptions(target_flops=400_000_000, proxy=proxy, prescreen=0,
                                study=StudySettings(
                                    name=f"pruning-{pruner}-n{args.trials}-t{args.train_size}",
                                    root=str(root), trials=args.trials, pruner=pruner, seed=0))
        wall, cpu = time.perf_counter(), time.process_time()
        run = run_search(options, progress=False)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        trials = run.study.get_trials(deepcopy=False)
        counts = count_trials(trials)
        epochs = sum(len(t.user_attrs.get("accuracy_per_epoch", [])) for t in trials)
        best = run.summary["best"]
        rows.append({"pruner": pruner, "complete": counts.complete, "pruned": counts.pruned,
                     "skipped (over budget)": counts.skipped,
                     "epochs trained": epochs, "CPU-s (this run)": round(cpu, 1),
                     "wall s": round(wall, 1),
                     "best reward": None if best is None else round(best["reward"], 4),
                     "best accuracy": None if best is None else round(best["accuracy"], 4),
                     "ran now": run.ran})
        print(rows[-1], flush=True)
    report("pruning", f"Pruning on {args.data}: {args.trials} trials, B0 space, T = 400 MFLOPs "
           f"(fvcore, one fused multiply-add = one FLOP), train size {args.train_size}, TPE "
           f"seed 0 (CPU-s counted only for trials run now)", rows,
           extra={"proxy": {"resolution": proxy.resolution, "width": proxy.width,
                            "strides_removed": proxy.strides_removed,
                            "epochs": proxy.train.epochs}})


if __name__ == "__main__":
    main()
