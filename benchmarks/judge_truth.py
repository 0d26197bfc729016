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
``truth_fidelity.py``'s sample): no network is trained twice. ``--protocols`` and ``--seeds``
train other protocols and training seeds on the same networks (``truth_fidelity.py``'s files);
with several seeds, a protocol is also judged by the mean of its seeds.

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

``--supernet`` scores the short lists' networks with ``truth_fidelity.py``'s 4-epoch supernet
(inherited weights, seconds a network; into its ``supernet_scores/``, so no network is scored
twice) instead of training; the supernet then judges every replay whose 5 networks it scored:
by accuracy or true-class probability under the soft reward, or the mean of its probability's
rank and naswot's.

Writes benchmarks/results/judge_truth.json. Usage:
  .venv/bin/python benchmarks/judge_truth.py [--shard 0/1] [--threads 1] [--report]
       [--targets 52,66] [--draws 2000] [--protocols default,long] [--seeds 0,1] [--supernet]
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

import numpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402
from search_vs_truth import TrainedProxies  # noqa: E402
from supernet_fidelity import shard_argument  # noqa: E402
from truth_fidelity import (DATA, TABLE, load_results, networks, protocols,  # noqa: E402
                            recorded_supernet_scores, score_supernet, train_step)

from nas.scoring import open_table  # noqa: E402
from nas.search import SearchOptions, fidelity  # noqa: E402
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


def ranks(values: list[float]) -> numpy.ndarray:
    """0 for the largest value; ties keep the list's order (naswot's)."""
    return numpy.argsort(numpy.argsort(-numpy.array(values), kind="stable"), kind="stable")


def free_judges(found: dict, naswot_full: dict) -> dict:
    """Judge name -> function(keys) -> the picked key, for judges that train nothing."""
    return {
        "naswot's first pick (the pre-screen's order)": lambda keys: keys[0],
        "naswot on the network itself (full width)": lambda keys: max(
            keys, key=lambda key: naswot_full[key]),
        "largest FLOPs": lambda keys: max(keys, key=lambda key: found[key]["flops"]),
        "truth (ceiling: the best of the 5)": lambda keys: max(
            keys, key=lambda key: found[key]["truth"]),
    }


def reading_judges(found: dict, naswot: dict, target: int, *, picked_by: str) -> dict:
    """Judge name -> function(keys, records) -> the picked key (records: key -> a trained
    proxy, or an inherited supernet score: accuracy and true-class probability). The accuracy
    judge is what ``picked_by`` picks."""
    reward = SearchOptions(space="nasbench_macro", target_flops=target).reward_function()

    def mean_rank(keys, records):
        combined = ranks([naswot[key] for key in keys]) + \
            ranks([records[key]["correct_probability"] for key in keys])
        return keys[int(numpy.argmin(combined))]

    return {
        f"accuracy, soft reward (what {picked_by} picks)": lambda keys, records: max(
            keys, key=lambda key: reward(records[key]["accuracy"], found[key]["flops"])),
        "true-class probability, soft reward": lambda keys, records: max(
            keys, key=lambda key: reward(records[key]["correct_probability"],
                                         found[key]["flops"])),
        "mean rank of naswot and the true-class probability": mean_rank,
    }


def stored_records(proxies: dict[str, TrainedProxies], keys: list[str]) -> dict[str, dict]:
    """Label -> key -> trained record, for ``keys`` trained so far; plus, for a protocol with
    several seeds, the mean of their accuracies and probabilities where every seed is trained
    (what averaging the trainings would judge by; their CPU summed)."""
    stored = {label: {key: record for key in keys
                      if (record := store.stored(key)) is not None}
              for label, store in proxies.items()}
    by_protocol: dict[str, list[str]] = {}
    for label, store in proxies.items():
        by_protocol.setdefault(store.protocol, []).append(label)
    for protocol, labels in by_protocol.items():
        if len(labels) < 2:
            continue
        common = [key for key in keys if all(key in stored[label] for label in labels)]
        stored[f"{protocol}, mean of {len(labels)} seeds"] = {key: {
            "accuracy": float(numpy.mean([stored[label][key]["accuracy"] for label in labels])),
            "correct_probability": float(numpy.mean(
                [stored[label][key]["correct_probability"] for label in labels])),
            "cpu_seconds": sum(stored[label][key]["cpu_seconds"] for label in labels)}
            for key in common}
    return stored


def summarise(found: dict, naswot: dict, naswot_full: dict, lists_of: dict,
              proxies: dict[str, TrainedProxies]) -> None:
    """Judge every replay whose networks are all trained, per store (``proxies``: label ->
    TrainedProxies); write benchmarks/results/judge_truth.json."""
    rows, coverage = [], {}
    supernet_scores_all = recorded_supernet_scores()
    for target, lists in lists_of.items():
        feasible = numpy.sort([item["truth"] for item in found.values()
                               if item["flops"] <= target])
        union = by_frequency(lists)

        def top(key):
            return float(100 * numpy.searchsorted(feasible, found[key]["truth"], side="left")
                         / len(feasible) >= 99)

        def judge(name, picks, replays, *, every, judged):
            """One row: ``picks`` holds each replay's picked keys (one, or all 5 for the
            random pick's expectation). The range leaves out, in turn, the replays holding
            each network: how much any single network decides the figure."""
            accuracy = numpy.array([numpy.mean([found[key]["truth"] for key in keys])
                                    for keys in picks])
            hit = numpy.array([numpy.mean([top(key) for key in keys]) for keys in picks])
            left_out = [hit[[network not in keys for keys in replays]].mean()
                        for network in {key for keys in replays for key in keys}
                        if any(network not in keys for keys in replays)]
            return {"T (M FLOPs)": target // 1_000_000, "judge": name,
                    "replays": len(picks),
                    "mean true accuracy %": round(100 * float(accuracy.mean()), 2),
                    "P(top 1 %)": round(float(hit.mean()), 3),
                    "P(top 1 %), one network left out": [round(float(min(left_out)), 3),
                                                         round(float(max(left_out)), 3)],
                    "P(top 1 %), every replay": every, "judged": judged}

        free = free_judges(found, naswot_full)
        everywhere = {name: round(float(numpy.mean([top(pick(keys)) for keys in lists])), 3)
                      for name, pick in free.items()}
        everywhere["one of the 5 at random (expected)"] = round(float(numpy.mean(
            [numpy.mean([top(key) for key in keys]) for keys in lists])), 3)
        truths = 100 * numpy.array([found[key]["truth"] for key in union])
        numbers = coverage[f"{target // 1_000_000} M"] = {
            "replays": len(lists), "networks in the short lists": len(union),
            "their true accuracy %: mean, std, min, max": [
                round(float(value), 2) for value in (truths.mean(), truths.std(), truths.min(),
                                                     truths.max())]}
        for label, records in stored_records(proxies, union).items():
            judged = [keys for keys in lists if all(key in records for key in keys)]
            numbers[label] = {"trained": len(records), "replays judged": len(judged),
                                 "CPU-hours of their trainings": round(sum(
                                     record["cpu_seconds"] for record in records.values())
                                     / 3600, 2)}
            if not judged:
                continue
            for name, pick in reading_judges(found, naswot, target,
                                             picked_by="nas search").items():
                rows.append(judge(f"{label} proxy: {name}",
                                  [[pick(keys, records)] for keys in judged], judged,
                                  every=None, judged=label))
            for name, pick in free.items():
                rows.append(judge(name, [[pick(keys)] for keys in judged], judged,
                                  every=everywhere[name], judged=label))
            rows.append(judge("one of the 5 at random (expected)", judged, judged,
                              every=everywhere["one of the 5 at random (expected)"],
                              judged=label))
            measured = list(records)
            if len(measured) >= 4:
                truth = [found[key]["truth"] for key in measured]
                for name, values in (
                        ("naswot", [naswot[key] for key in measured]),
                        ("accuracy", [records[key]["accuracy"] for key in measured]),
                        ("true-class probability",
                         [records[key]["correct_probability"] for key in measured])):
                    result = fidelity(values, truth, bootstrap=1000, seed=SEED)
                    numbers[label][f"tau [95% CI] of {name} on the trained short-list "
                                      f"networks"] = [result["kendall"], *result["kendall_ci"]]
        scores = {key: supernet_scores_all[key] for key in union if key in supernet_scores_all}
        judged = [keys for keys in lists if all(key in scores for key in keys)]
        numbers["supernet"] = {"scored": len(scores), "replays judged": len(judged),
                               "CPU-hours of their scores": round(sum(
                                   item["cpu_seconds"] for item in scores.values()) / 3600, 3)}
        if judged:
            for name, pick in reading_judges(found, naswot, target,
                                             picked_by="nas search --supernet").items():
                rows.append(judge(f"supernet: {name}", [[pick(keys, scores)] for keys in judged],
                                  judged, every=None, judged="supernet"))
            for name, pick in free.items():
                rows.append(judge(name, [[pick(keys)] for keys in judged], judged,
                                  every=everywhere[name], judged="supernet"))
            rows.append(judge("one of the 5 at random (expected)", judged, judged,
                              every=everywhere["one of the 5 at random (expected)"],
                              judged="supernet"))
            measured = list(scores)
            result = fidelity([scores[key]["correct_probability"] for key in measured],
                              [found[key]["truth"] for key in measured], bootstrap=1000, seed=SEED)
            numbers["supernet"]["tau [95% CI] of its true-class probability on the short-list "
                                "networks"] = [result["kendall"], *result["kendall_ci"]]
            result = fidelity([scores[key]["accuracy"] for key in measured],
                              [found[key]["truth"] for key in measured], bootstrap=1000, seed=SEED)
            numbers["supernet"]["tau [95% CI] of its accuracy on the short-list networks"] = [
                result["kendall"], *result["kendall_ci"]]
    report("judge_truth", f"Judges of the pre-screen's short list (K = {CANDIDATES}, {QUEUED} "
           f"queued) against NAS-Bench-Macro (top 1 % among networks with fvcore FLOPs <= T at "
           f"32 px; rows over the replays whose 5 networks are all trained under the "
           f"protocol and seed in 'judged')", rows,
           {"table": TABLE, "data": DATA, "coverage": coverage,
            "citation": "Su et al., CVPR 2021 (NAS-Bench-Macro)"})
    for target, numbers in coverage.items():
        print(target, numbers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shard", type=shard_argument, default=(0, 1))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--targets", type=lambda text: [int(float(item) * 1e6)
                                                        for item in text.split(",")],
                        default=[52_000_000, 66_000_000], help="in millions of FLOPs")
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--protocols", type=lambda text: text.split(","), default=["default"],
                        help=f"trained-proxy protocols among {', '.join(protocols('digits'))}")
    parser.add_argument("--seeds", type=lambda text: [int(item) for item in text.split(",")],
                        default=[SEED], help="training seeds of the proxies (default: 0)")
    parser.add_argument("--supernet", action="store_true",
                        help="score the short lists' networks with truth_fidelity.py's 4-epoch "
                             "supernet (trained there first) instead of training proxies")
    parser.add_argument("--report", action="store_true", help="only summarise what exists")
    args = parser.parse_args()
    space = load_space("nasbench_macro")
    found = networks(space, open_table(str(ROOT / TABLE), space))
    _, zero_at = load_results(found)
    naswot = {key: scores["naswot"] for key, scores in zero_at["search"].items()
              if "naswot" in scores}
    lists_of = {target: short_lists(found, naswot, target, draws=args.draws)
                for target in args.targets}
    naswot_full = {key: scores["naswot"] for key, scores in zero_at["full"].items()
                   if "naswot" in scores}
    stores = [TrainedProxies(found, threads=args.threads, protocol=protocol, seed=seed)
              for protocol in args.protocols for seed in args.seeds]
    proxies = {store.label: store for store in stores}
    if args.supernet and not args.report:
        file = train_step(4, threads=args.threads, train=False)
        if file is None:
            raise SystemExit("truth_fidelity.py --supernet-epochs 4 must train the supernet "
                             "first")
        keys = list(dict.fromkeys(key for lists in lists_of.values()
                                  for key in by_frequency(lists)))
        score_supernet(file, keys[args.shard[0]::args.shard[1]], found,
                       f"short-lists-{args.shard[0]}-of-{args.shard[1]}", threads=args.threads)
    elif not args.report:
        jobs = [(store, key) for store in stores
                for key in dict.fromkeys(key for lists in lists_of.values()
                                         for key in by_frequency(lists))]
        shard, shards = args.shard
        for number, (store, key) in enumerate(jobs):
            if number % shards == shard:
                store.get(key)
    summarise(found, naswot, naswot_full, lists_of, proxies)


if __name__ == "__main__":
    main()
