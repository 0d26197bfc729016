"""Does the search find something better than EfficientNet-B0 at <= 400 MFLOPs?

1. ``nas search`` (``run_search``) on the EfficientNet-B0 space, T = 400 MFLOPs (fvcore: one
   fused multiply-add = one FLOP, at 224 px), soft reward, the default proxy protocol on the
   shared CIFAR-10 subset, B0 itself as trial 0 (``--baseline``: the search must beat it),
   ``--trials`` trials with TPE and ``--confirm 3``.
2. The winner and B0 are each trained with the reference protocol of
   ``benchmarks/rank_fidelity.py`` (40 px with one stride removed, width 0.5, 6 epochs, all
   8,000 training images) under ``--seeds`` training seeds.
3. The table gives each one's mean and std of reference accuracy; the difference counts only if
   it exceeds 2·√2·σ (σ: pooled seed std of the two), the rule ``nas`` uses everywhere, and a
   Welch t-test p-value is printed beside it.

Usage: .venv/bin/python benchmarks/search_vs_b0.py [--trials 20] [--seeds 3] [--workers 2]
Writes benchmarks/results/search_vs_b0.json (the study under benchmarks/results/search_studies/,
reference measurements shared with rank_fidelity.py's cache).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, report, write_json  # noqa: E402
from rank_fidelity import MEASUREMENTS, SHARED_CIFAR, measure, measurement_path  # noqa: E402
from rank_fidelity import protocols  # noqa: E402

from nas.arch import encode  # noqa: E402
from nas.cost import count  # noqa: E402
from nas.scoring import ProxySettings  # noqa: E402
from nas.search import (SearchOptions, arch_of, best_trial, noise_margin,  # noqa: E402
                        pooled_seed_std, run_search)
from nas.space import load_space  # noqa: E402
from nas.study import StudySettings, derived_seed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", default=f"npz:{SHARED_CIFAR}")
    args = parser.parse_args()
    defaults = ProxySettings()
    proxy = ProxySettings(data=args.data, resolution=defaults.resolution, width=defaults.width,
                          strides_removed=defaults.strides_removed, train=defaults.train)
    options = SearchOptions(target_flops=400_000_000, baseline=True, confirm=3, prescreen=0,
                            proxy=proxy,
                            study=StudySettings(name=f"search-vs-b0-n{args.trials}",
                                                root=str(RESULTS / "search_studies"),
                                                trials=args.trials, workers=args.workers))
    run = run_search(options, progress=False)
    found = arch_of(best_trial(run.study))
    b0 = load_space("efficientnet_b0").baseline()
    reference = protocols(args.data)["reference"]
    MEASUREMENTS.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, arch in (("search winner", found), ("EfficientNet-B0", b0)):
        accuracies = []
        for seed in range(args.seeds):
            training_seed = derived_seed(0, 1000, seed)
            path = measurement_path("reference", reference, arch, training_seed)
            if not path.exists():
                result = measure(reference, arch, seed=training_seed, threads=args.workers,
                                 zero_cost=False)
                write_json(path, {"protocol": "reference", "seed": training_seed, **result})
                print(f"{name} seed {seed}: {result['accuracy']:.4f}", flush=True)
            accuracies.append(json.loads(path.read_text())["accuracy"])
        results[name] = (arch, accuracies)
    sigma = pooled_seed_std(values for _, values in results.values())
    margin = noise_margin(sigma)
    rows = []
    for name, (arch, accuracies) in results.items():
        rows.append({"architecture": name, "MFLOPs": round(count(arch).flops / 1e6, 1),
                     "M params": round(count(arch).params / 1e6, 2),
                     "reference acc. % (mean)": round(100 * statistics.fmean(accuracies), 2),
                     "seed std %": round(100 * statistics.stdev(accuracies), 2),
                     "seeds": len(accuracies),
                     "blocks": " ".join(encode(stage) for stage in arch.stages)})
    winner, baseline = (results[name][1] for name in ("search winner", "EfficientNet-B0"))
    difference = statistics.fmean(winner) - statistics.fmean(baseline)
    same = found == b0
    verdict = ("the search kept B0" if same else
               "beyond noise" if abs(difference) > margin else "within noise")
    summary = {"difference (points)": round(100 * difference, 2),
               "noise margin 2*sqrt(2)*sigma (points)": round(100 * margin, 2),
               "welch p": None if same else round(float(stats.ttest_ind(
                   winner, baseline, equal_var=False).pvalue), 4),
               "verdict": verdict, "search": run.summary["trials"],
               "search noise": run.summary["noise"]}
    report("search_vs_b0", f"Search winner vs B0 on {args.data}, reference protocol, "
           f"{args.seeds} seeds each (FLOPs: fvcore, one fused multiply-add = one FLOP, at "
           f"224 px)", [{k: v for k, v in row.items() if k != "blocks"} for row in rows],
           extra={"summary": summary, "architectures": rows})
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
