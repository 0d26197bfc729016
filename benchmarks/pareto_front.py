"""Is the supernet search's Pareto front ahead of EfficientNet-B0 compound-scaled down?
(issue 17's fifth target: "front ahead at >= 2 of 3 budgets beyond noise".)

Budgets. B0 scaled with EfficientNet's own coefficients (α 1.2, β 1.1, γ 1.15) at φ = −3 and
−2 (``nas.scaling.compound_member``: depth rounded up, channels to multiples of 8, resolution
to a multiple of 8) has 103.0 and 180.8 MFLOPs (fvcore: one fused multiply-add = one FLOP,
at its own resolution, 144 and 168 px): the nearest members to 100 and 200 MFLOPs. Each is a
budget T, so the scaled B0 and the search compete at exactly its FLOPs; the third budget,
400 MFLOPs against B0 itself, is ``supernet_search.py``'s result, read from its summary.

At each of the two budgets:
1. ``supernet_search.search`` at T: ``run_search`` on the EfficientNet-B0 space, soft reward
   ACC·(FLOPs/T)^−0.07 with slack 0.1, TPE, B0 as trial 0 (over budget here, so skipped),
   ``--trials`` candidates (300), confirm 3, every candidate scored by the 30-epoch supernet of
   ``supernet_fidelity.py`` (256 calibration images), 1 thread.
2. The winner and the scaled B0 are each trained with the reference table's protocol
   (``reference_table.reference_protocol``: width 0.5, first stride removed, 6 epochs, 8,000
   training images of the shared CIFAR-10 subset) under 3 seeds, at a training resolution
   proportional to the architecture's own: 40 px × resolution / 224 (40 px for the winners,
   which keep the space's 224 px; 26 and 30 px for the scaled B0s). A fixed 40 px would hand
   the scaled B0 the part of its FLOP cut that comes from resolution for free.
3. As ``supernet_search.py``: the difference of the 3-seed mean rewards counts only beyond
   2·√2·σ (σ: the pooled seed std of the pair's accuracies; and again with the reference
   table's pooled σ), with a Welch t-test p-value beside it.

Resumable, in shards (``--shard I/N``, one per core with ``--threads 1``): shard I < 2 runs the
search at budget I; every shard then trains its share of the 12 reference trainings (the
scaled B0s' first, which need no search; a winner's once its search is done, waiting for it).
Each search's outcome is written to ``pareto_front/<budget>/search.json``, each training to
``pareto_front/reference/<hash>.json`` as soon as it exists (committed); the studies under
``pareto_front/<budget>/studies/`` are ignored by git. No network is trained twice: the
trainings go through ``supernet_search.reference_accuracies`` (a table architecture takes the
table's seeds; any other, seeds ``derived_seed(0, 1000, repeat)``, reused once measured).

Usage: .venv/bin/python benchmarks/pareto_front.py [--shard 0/1] [--trials 300] [--threads 1]
       [--report]
Writes benchmarks/results/pareto_front.json (the summary, with the command that made it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
import supernet_search  # noqa: E402
from _common import RESULTS, report  # noqa: E402
from reference_table import (SEEDS, SHARED_CIFAR, load_table, reference_protocol,  # noqa: E402
                             table_architectures)
from supernet_fidelity import shard_argument  # noqa: E402

from nas.arch import encode, from_dict  # noqa: E402
from nas.cost import count  # noqa: E402
from nas.scaling import compound_member  # noqa: E402
from nas.search import Reward, noise_margin, pooled_seed_std  # noqa: E402
from nas.space import load_space  # noqa: E402

FOLDER = RESULTS / "pareto_front"
PHIS = (-3, -2)
"""The scaled B0s, one budget each (103.0 and 180.8 MFLOPs)."""
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15
"""EfficientNet's compound-scaling coefficients (depth, width, resolution)."""
REFERENCE_RESOLUTION, TARGET_RESOLUTION = 40, 224


def b0() -> object:
    space = load_space("efficientnet_b0")
    return space.arch(space.baseline_params())


def scaled_b0(phi: int):
    return compound_member(b0(), phi=phi, alpha=ALPHA, beta=BETA, gamma=GAMMA,
                           name="efficientnet-b0").arch


def budget_folder(phi: int) -> Path:
    return FOLDER / f"phi{phi}"


def protocol_for(arch):
    """The reference protocol at a training resolution proportional to ``arch.resolution``."""
    resolution = round(REFERENCE_RESOLUTION * arch.resolution / TARGET_RESOLUTION)
    return dataclasses.replace(reference_protocol(f"npz:{SHARED_CIFAR}"), resolution=resolution)


def accuracies(arch, *, args, train: bool, data_cache: dict, repeats=range(SEEDS)
               ) -> list[float]:
    """The reference accuracies of ``arch`` under ``repeats`` at its proportional resolution
    (with ``train``, the missing ones are trained)."""
    label = "search winner" if arch.resolution == TARGET_RESOLUTION else "scaled B0"
    return supernet_search.reference_accuracies(args, arch, protocol_for(arch), data_cache,
                                                train=train, folder=FOLDER, repeats=repeats,
                                                label=label)


def winner(phi: int):
    record = budget_folder(phi) / "search.json"
    if not record.exists():
        return None
    return from_dict(json.loads(record.read_text())["winner"], source=str(record))


def run(args) -> None:
    shard, shards = args.shard
    for phi in PHIS[shard::shards]:
        supernet_search.search(args, target_flops=count(scaled_b0(phi)).flops,
                               folder=budget_folder(phi))
    jobs = [(kind, phi, repeat) for kind in ("b0", "winner") for phi in PHIS
            for repeat in range(SEEDS)]
    data_cache: dict = {}
    for kind, phi, repeat in jobs[shard::shards]:
        arch = scaled_b0(phi) if kind == "b0" else winner(phi)
        while arch is None:  # another shard's search is still running
            time.sleep(30)
            arch = winner(phi)
        accuracies(arch, args=args, train=True, data_cache=data_cache, repeats=[repeat])


def verdict(mine: list[float], theirs: list[float], sigmas: dict) -> dict:
    """Difference of means (points) with its noise verdicts and Welch p."""
    difference = statistics.fmean(mine) - statistics.fmean(theirs)
    result = {"difference (points)": round(100 * difference, 2),
              "welch p": round(float(stats.ttest_ind(mine, theirs, equal_var=False).pvalue),
                               4)}
    for label, sigma in sigmas.items():
        margin = noise_margin(sigma)
        result[f"noise margin, {label} sigma (points)"] = round(100 * margin, 2)
        result[f"verdict, {label} sigma"] = ("ahead beyond noise" if difference > margin else
                                             "behind beyond noise" if difference < -margin
                                             else "within noise")
    return result


def summarise(args) -> None:
    table = table_architectures(24)
    complete = [a for a in load_table(table).values() if len(a) == SEEDS]
    table_sigma = pooled_seed_std(complete)
    rows, budgets = [], {}
    pairs = [(phi, count(scaled_b0(phi)).flops, scaled_b0(phi), winner(phi)) for phi in PHIS]
    for phi, target, baseline, found in pairs:
        reward = Reward(mode="soft", target_flops=target, slack=0.1)
        entry: dict = {"budget MFLOPs": round(target / 1e6, 1)}
        measured = {}
        for name, arch in ((f"EfficientNet-B0 scaled, phi {phi}", baseline),
                           (f"search winner at {target / 1e6:.1f} MFLOPs", found)):
            if arch is None:
                continue
            values = accuracies(arch, args=args, train=False, data_cache={})
            cost = count(arch)
            rewards = [reward(accuracy, cost.flops) for accuracy in values]
            measured[name] = (values, rewards)
            rows.append({"budget MFLOPs": round(target / 1e6, 1), "architecture": name,
                         "MFLOPs": round(cost.flops / 1e6, 1),
                         "M params": round(cost.params / 1e6, 2), "px": arch.resolution,
                         "reference px": protocol_for(arch).resolution, "seeds": len(values),
                         "reference acc. % (mean)": round(100 * statistics.fmean(values), 2)
                         if values else None,
                         "seed std pp": round(100 * statistics.stdev(values), 2)
                         if len(values) > 1 else None,
                         "reward x 100 (mean)": round(100 * statistics.fmean(rewards), 2)
                         if values else None,
                         "blocks": " ".join(encode(stage) for stage in arch.stages)})
        if len(measured) == 2 and all(len(v[0]) == SEEDS for v in measured.values()):
            (b_acc, b_rew), (w_acc, w_rew) = measured.values()
            sigmas = {"pair": pooled_seed_std([w_acc, b_acc]), "table": table_sigma}
            entry["accuracy"] = verdict(w_acc, b_acc, sigmas)
            entry["reward"] = verdict(w_rew, b_rew, sigmas)
        budgets[f"phi {phi}"] = entry
    at_400 = json.loads((RESULTS / "supernet_search.json").read_text())["summary"]
    budgets["phi 0 (supernet_search.json)"] = {
        "budget MFLOPs": 399.4,
        "reward": {"difference (points)": at_400.get("reward difference (points)"),
                   "verdict, pair sigma": at_400.get("reward verdict, pair sigma"),
                   "verdict, table sigma": at_400.get("reward verdict, table sigma")}}
    ahead = sum(entry.get("reward", {}).get("verdict, pair sigma") in
                ("ahead beyond noise", "beyond noise") and
                entry["reward"].get("difference (points)", 0) > 0
                for entry in budgets.values())
    judged = sum("verdict, pair sigma" in entry.get("reward", {}) for entry in budgets.values())
    summary = {"budgets": budgets, "budgets judged": judged,
               "budgets where the front is ahead beyond noise (reward, pair sigma)": ahead,
               "target (ahead at >= 2 of 3) met": ahead >= 2 if judged == 3 else None}
    report("pareto_front",
           "Supernet-search winners vs EfficientNet-B0 compound-scaled to the same FLOPs, "
           f"reference-table protocol at proportional resolution, {SEEDS} seeds each (FLOPs: "
           "fvcore, one fused multiply-add = one FLOP, at the architecture's resolution)",
           [{k: v for k, v in row.items() if k != "blocks"} for row in rows],
           extra={"summary": summary, "architectures": rows,
                  "command": "benchmarks/pareto_front.py " + " ".join(sys.argv[1:])})
    print(json.dumps(summary, indent=2, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shard", type=shard_argument, default=(0, 1))
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--report", action="store_true", help="only summarise what exists")
    args = parser.parse_args()
    if not args.report:
        run(args)
        if args.shard[1] > 1:
            return  # the last shard to finish: run --report
    summarise(args)


if __name__ == "__main__":
    main()
