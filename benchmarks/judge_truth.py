"""Judges against the truth: of the short list that ``nas search``'s pre-screen queues, which
network does each judge pick, and is it in NAS-Bench-Macro's top 1 %?

``prescreen_truth.py`` showed that the short list is almost always good (at K = 500 the 5 queued
networks hold a top-1 % network in ~99 % of replays) and that naswot's own first pick is a coin
toss; the end-to-end searches miss the target because the judge of the queue picks the wrong
network. This script measures the judges on the short lists themselves.

It replays the default pre-screen (K = 500 random candidates within the slack, FLOPs <= T × 1.1,
drawn as ``nas search`` draws them, ranked by naswot at the proxy's geometry as
``truth_fidelity.py --zero-cost-at search`` measured it for every network, the best 5 queued,
as in ``search_vs_truth.py``'s 10-trial searches) 2,000 times per T, and trains the default
trained proxy (32 px, width 0.5, first stride removed, 4 epochs, seed 0, on
``../shared/data/cifar10_jpeg_10k.npz``) on the networks those short lists hold, most frequent
first (``--shard I/N`` takes every N-th; any prefix is usable). Trainings are shared with
``search_vs_truth.py`` (its cache under ``benchmarks/results/search_vs_truth/proxy/``, and
``truth_fidelity.py``'s sample): no network is trained twice.

Every replay whose 5 networks are all trained is judged: each judge picks one of the 5, and the
pick's true accuracy (the table's mean over 3 full CIFAR-10 trainings; Su et al., CVPR 2021,
Apache-2.0; ``../shared/data/nasbench_macro/``) is ranked among the networks with FLOPs <= T
(fvcore FLOPs at 32 px, one fused multiply-add = one FLOP); percentile >= 99 is the top 1 %.
The replays judged are those whose short lists hold only trained networks: until every network
is trained they lean to the most frequent lists (``replays judged`` says how many). The
searches' later trials (TPE's, after the queue) are not replayed.

Judges: the trained proxy's accuracy under the soft reward (what ``nas search`` picks today),
its true-class probability under the soft reward, naswot's first pick (untrained), the mean of
naswot's and the proxy's ranks within the list, the largest FLOPs, one of the 5 at random
(expected value) and the truth (the ceiling: the best of the 5).

Writes benchmarks/results/judge_truth.json. Usage:
  .venv/bin/python benchmarks/judge_truth.py [--shard 0/1] [--threads 1] [--report]
       [--targets 52,66] [--draws 2000]
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

import numpy
from scipy.stats import kendalltau

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402
from search_vs_truth import TrainedProxies  # noqa: E402
from supernet_fidelity import shard_argument  # noqa: E402
from truth_fidelity import DATA, TABLE, load_results, networks  # noqa: E402

from nas.scoring import open_table  # noqa: E402
from nas.search import SearchOptions  # noqa: E402
from nas.space import load_space  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SLACK, CANDIDATES, QUEUED, SEED = 0.1, 500, 5, 0


def short_lists(found: dict, naswot: dict[str, float], target: int, *, draws: int) -> list:
    """``draws`` pre-screens at ``target``: each the 5 queued network keys, naswot's best first."""
    within = [key for key in found if found[key]["flops"] <= target * (1 + SLACK)]
    missing = [key for key in within if key not in naswot]
    if missing:
        raise SystemExit(f"naswot at the search geometry must cover every network within the "
                         f"slack, but {len(missing)} of {len(within)} are unscored: run "
                         f"truth_fidelity.py --zero-cost-at search first")
    order = numpy.array([naswot[key] for key in within])
    weights = numpy.array([found[key]["settings"] for key in within], dtype=float)
    rng = numpy.random.default_rng([SEED, target // 1_000_000])
    lists = []
    for _ in range(draws):
        chosen = rng.choice(len(within), size=CANDIDATES, replace=False,
                            p=weights / weights.sum())
        ranked = chosen[numpy.argsort(-order[chosen], kind="stable")][:QUEUED]
        lists.append([within[index] for index in ranked])
    return lists


def by_frequency(lists: list[list[str]]) -> list[str]:
    counts = collections.Counter(key for keys in lists for key in keys)
    return [key for key, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def judges(found: dict, naswot: dict[str, float], target: int) -> dict:
    """Judge name -> function(keys, proxies) -> the picked key (proxies: key -> record)."""
    reward = SearchOptions(space="nasbench_macro", target_flops=target).reward_function()

    def ranks(values: list[float]) -> numpy.ndarray:  # 0 = the best
        return numpy.argsort(numpy.argsort(-numpy.array(values)))

    def mean_rank(keys, proxies):
        combined = ranks([naswot[key] for key in keys]) + \
            ranks([proxies[key]["correct_probability"] for key in keys])
        return keys[int(numpy.argmin(combined))]  # ties: naswot's order

    return {
        "trained proxy accuracy, soft reward (nas search today)": lambda keys, proxies: max(
            keys, key=lambda key: reward(proxies[key]["accuracy"], found[key]["flops"])),
        "trained proxy true-class probability, soft reward": lambda keys, proxies: max(
            keys, key=lambda key: reward(proxies[key]["correct_probability"],
                                         found[key]["flops"])),
        "naswot's first pick (untrained)": lambda keys, proxies: keys[0],
        "mean rank of naswot and the proxy's probability": mean_rank,
        "largest FLOPs": lambda keys, proxies: max(keys, key=lambda key: found[key]["flops"]),
        "truth (ceiling: the best of the 5)": lambda keys, proxies: max(
            keys, key=lambda key: found[key]["truth"]),
    }


def summarise(found: dict, naswot: dict, lists_of: dict, proxies: TrainedProxies) -> None:
    union = set().union(*(set(keys) for lists in lists_of.values() for keys in lists))
    trained = {key: proxies.get(key) for key in union  # reads only: trained already
               if any(path.exists() for path in proxies.paths(key))}
    rows, coverage = [], {}
    for target, lists in lists_of.items():
        feasible = numpy.sort([item["truth"] for item in found.values()
                               if item["flops"] <= target])
        judged = [keys for keys in lists if all(key in trained for key in keys)]
        union = by_frequency(lists)
        coverage[f"{target // 1_000_000} M"] = {
            "replays": len(lists), "replays judged": len(judged),
            "networks in the short lists": len(union),
            "trained": sum(key in trained for key in union)}
        if not judged:
            continue

        def percentile(key):
            return 100 * numpy.searchsorted(feasible, found[key]["truth"], side="left") \
                / len(feasible)

        for name, pick in judges(found, naswot, target).items():
            picked = [pick(keys, trained) for keys in judged]
            rows.append(row(target, name, len(judged),
                            [found[key]["truth"] for key in picked],
                            [float(percentile(key) >= 99) for key in picked]))
        rows.append(row(target, "one of the 5 at random (expected)", len(judged),
                        [numpy.mean([found[key]["truth"] for key in keys]) for keys in judged],
                        [numpy.mean([percentile(key) >= 99 for key in keys]) for keys in judged]))
        measured = [key for key in union if key in trained]
        if len(measured) >= 4:
            truth = [found[key]["truth"] for key in measured]
            for name, values in (
                    ("naswot", [naswot[key] for key in measured]),
                    ("trained proxy accuracy", [trained[key]["accuracy"] for key in measured]),
                    ("trained proxy true-class probability",
                     [trained[key]["correct_probability"] for key in measured])):
                coverage[f"{target // 1_000_000} M"][f"tau of {name} on the trained short-list "
                                                     f"networks"] = round(float(
                                                         kendalltau(values, truth)[0]), 3)
    report("judge_truth", f"Judges of the pre-screen's short list (K = {CANDIDATES}, {QUEUED} "
           f"queued) against NAS-Bench-Macro (top 1 % among networks with fvcore FLOPs <= T at "
           f"32 px)", rows, {"table": TABLE, "data": DATA, "coverage": coverage,
                             "citation": "Su et al., CVPR 2021 (NAS-Bench-Macro)"})
    for target, numbers in coverage.items():
        print(target, numbers)


def row(target: int, name: str, judged: int, accuracies: list, top: list) -> dict:
    return {"T (M FLOPs)": target // 1_000_000, "judge": name, "replays judged": judged,
            "mean true accuracy %": round(100 * float(numpy.mean(accuracies)), 2),
            "P(top 1 %)": round(float(numpy.mean(top)), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shard", type=shard_argument, default=(0, 1))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--targets", type=lambda text: [int(float(item) * 1e6)
                                                        for item in text.split(",")],
                        default=[52_000_000, 66_000_000], help="in millions of FLOPs")
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--report", action="store_true", help="only summarise what exists")
    args = parser.parse_args()
    space = load_space("nasbench_macro")
    found = networks(space, open_table(str(ROOT / TABLE), space))
    _, zero_at = load_results(found)
    naswot = {key: scores["naswot"] for key, scores in zero_at["search"].items()
              if "naswot" in scores}
    lists_of = {target: short_lists(found, naswot, target, draws=args.draws)
                for target in args.targets}
    proxies = TrainedProxies(found, threads=args.threads)
    if not args.report:
        jobs = list(dict.fromkeys(key for lists in lists_of.values()
                                  for key in by_frequency(lists)))
        shard, shards = args.shard
        for number, key in enumerate(jobs):
            if number % shards == shard:
                proxies.get(key)
    summarise(found, naswot, lists_of, proxies)


if __name__ == "__main__":
    main()
