"""Pre-screen against the truth: which network does a zero-cost pre-screen of K random
candidates pick, and how good is the short list it queues, judged by NAS-Bench-Macro without
training anything?

``nas search`` pre-screens by default: it draws K random candidates within the budget's slack
(FLOPs <= T × 1.1; fvcore FLOPs at 32 px, one fused multiply-add = one FLOP), scores each with
naswot at the proxy's geometry (width 0.5, first stride removed), and queues the best
``max(1, min(K // 10, trials // 2))`` — 5 for the 10-trial searches of ``search_vs_truth.py`` —
as its first trials, which trained proxies then judge. This script replays only the draw and the ranking, many times, on the scores
``truth_fidelity.py`` measured for every network (``--zero-cost-at full``: the network itself;
``search``: as the pre-screen scores it), so it separates two questions the end-to-end runs
mix: is the short list good (its best network by the truth, what a perfect judge of the queue
would pick), and is the pre-screen's own first pick good?

Draws follow the search: random parameters, duplicates dropped, so each network is weighted by
how many parameter settings give it (``skip`` layers make several settings one network). Each
pick is judged as ``search_vs_truth.py`` judges a winner: the percentile of its true accuracy
(the table's mean over 3 full CIFAR-10 trainings; Su et al., CVPR 2021, Apache-2.0;
``../shared/data/nasbench_macro/``) among the networks with FLOPs <= T; >= 99 is the top 1 %.
Rankers: naswot (each setting measured), FLOPs (largest first, the anchor), a random order
(no signal) and the truth itself (the ceiling K allows). CPU: K × the mean measured CPU-seconds
of one naswot score (one thread, the other core busy); the table's networks cost nothing here.

Kendall τ judges a whole ranking, the pre-screen uses only its top: the script also prints
both settings' τ (and their difference, paired bootstrap) on every network and within
truth_fidelity's band, and writes them to benchmarks/results/prescreen_truth_settings.json.

Needs the scores of every network within the slack: a target and setting with fewer are skipped
(``coverage`` in the JSON says how many). Writes benchmarks/results/prescreen_truth.json.

Usage: .venv/bin/python benchmarks/prescreen_truth.py [--draws 2000] [--targets 52,66]
       [--candidates 50,100,250,500,1000,2000]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
from pathlib import Path

import numpy
from scipy.stats import kendalltau

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402
from truth_fidelity import (BAND, DATA, TABLE, ZERO_COST_AT, cpu_per_proxy,  # noqa: E402
                            load_results, networks)

from nas.scoring import open_table  # noqa: E402
from nas.space import load_space  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SLACK, QUEUED_TRIALS, SEED = 0.1, 10, 0


def replay(order: numpy.ndarray, truth: numpy.ndarray, weights: numpy.ndarray,
           feasible_truth: numpy.ndarray, *, candidates: int, draws: int,
           rng: numpy.random.Generator) -> dict:
    """Draw ``candidates`` networks ``draws`` times; rank each draw by ``order`` (higher first;
    ``None``: the draw's own random order); judge the first pick and the best of the queued
    short list by their true accuracy."""
    queued = max(1, min(candidates // 10, QUEUED_TRIALS // 2))
    sorted_feasible = numpy.sort(feasible_truth)
    first, best = [], []
    for _ in range(draws):
        chosen = rng.choice(len(truth), size=candidates, replace=False, p=weights)
        ranked = chosen if order is None else chosen[numpy.argsort(-order[chosen], kind="stable")]
        first.append(truth[ranked[0]])
        best.append(truth[ranked[:queued]].max())

    def judged(values):
        values = numpy.array(values)
        percentile = 100 * numpy.searchsorted(sorted_feasible, values, side="left") \
            / len(sorted_feasible)
        return {"mean accuracy %": round(100 * float(values.mean()), 2),
                "mean percentile": round(float(percentile.mean()), 1),
                "P(top 1 %)": round(float(numpy.mean(percentile >= 99)), 3)}

    return {"queued": queued, "first pick": judged(first), "best queued": judged(best)}


def paired_tau(first: list[float], second: list[float], truth: list[float], *,
               bootstrap: int = 1000) -> dict:
    """Kendall τ of two signals against the truth on the same networks, and of their
    difference (first − second), with 95 % bootstrap intervals from the same resamples."""
    values = numpy.array([first, second, truth], dtype=float)
    rng = numpy.random.default_rng(SEED)

    def taus(columns):
        return [kendalltau(values[0, columns], values[2, columns])[0],
                kendalltau(values[1, columns], values[2, columns])[0]]

    point = taus(numpy.arange(values.shape[1]))
    samples = numpy.array([taus(rng.integers(values.shape[1], size=values.shape[1]))
                           for _ in range(bootstrap)])
    samples = numpy.column_stack([samples, samples[:, 0] - samples[:, 1]])
    low, high = numpy.percentile(samples, [2.5, 97.5], axis=0)
    return {"n": values.shape[1],
            **{label: [round(float(estimate), 3), round(float(a), 3), round(float(b), 3)]
               for label, estimate, a, b in zip(("first", "second", "difference"),
                                                [*point, point[0] - point[1]], low, high)}}


def compare_settings(found: dict, zero_at: dict) -> list[dict]:
    """naswot measured on the network itself against naswot as the pre-screen measures it, on
    the networks both scored: over all of them and within truth_fidelity's FLOP band."""
    full, search = zero_at["full"], zero_at["search"]
    common = [key for key in search if "naswot" in search[key] and "naswot" in full.get(key, {})]
    rows = []
    for scope, keys in (("all", common), ("band 46.8-57.2 M", [
            key for key in common if BAND[0] <= found[key]["flops"] <= BAND[1]])):
        if len(keys) < 4:
            continue
        result = paired_tau([full[key]["naswot"] for key in keys],
                            [search[key]["naswot"] for key in keys],
                            [found[key]["truth"] for key in keys])
        rows.append({"networks": scope, "n": result["n"],
                     "tau, naswot on the network [95% CI]": result["first"],
                     "tau, naswot as the pre-screen [95% CI]": result["second"],
                     "difference [95% CI]": result["difference"]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--targets", type=lambda text: [int(float(item) * 1e6)
                                                        for item in text.split(",")],
                        default=[52_000_000, 66_000_000], help="in millions of FLOPs")
    parser.add_argument("--candidates", type=lambda text: [int(item) for item in text.split(",")],
                        default=[50, 100, 250, 500, 1000, 2000])
    args = parser.parse_args()
    space = load_space("nasbench_macro")
    found = networks(space, open_table(str(ROOT / TABLE), space))
    _, zero_at = load_results(found)
    rows, coverage = [], {}
    for target, at in itertools.product(args.targets, ZERO_COST_AT):
        scores = zero_at[at]
        within = [key for key in found if found[key]["flops"] <= target * (1 + SLACK)]
        scored = [key for key in within if "naswot" in scores.get(key, {})]
        coverage[f"{target} {at}"] = {"within slack": len(within), "scored": len(scored)}
        if len(scored) < len(within):  # a partial draw would favour the networks scored first
            print(f"skipped T = {target / 1e6:.0f} M, naswot at {at}: {len(scored)} of "
                  f"{len(within)} networks within the slack scored", file=sys.stderr)
            continue
        truth = numpy.array([found[key]["truth"] for key in scored])
        weights = numpy.array([found[key]["settings"] for key in scored], dtype=float)
        weights /= weights.sum()
        feasible_truth = numpy.array([item["truth"] for item in found.values()
                                      if item["flops"] <= target])
        cost = statistics.fmean(cpu_per_proxy(scores[key]) for key in scored)
        rankers = {f"naswot ({at})": numpy.array([scores[key]["naswot"] for key in scored]),
                   "FLOPs": numpy.array([found[key]["flops"] for key in scored], dtype=float),
                   "random order": None,
                   "truth (ceiling)": truth}
        if at != "full":  # the anchors do not depend on where naswot was measured
            rankers = {name: order for name, order in rankers.items() if name.startswith("naswot")}
        for (name, order), candidates in itertools.product(rankers.items(), args.candidates):
            if candidates > len(scored):  # more than the networks within the slack
                continue
            result = replay(order, truth, weights, feasible_truth, candidates=candidates,
                            draws=args.draws, rng=numpy.random.default_rng([SEED, candidates]))
            rows.append({
                "T (M FLOPs)": target // 1_000_000, "ranker": name, "K": candidates,
                "CPU-s": round(candidates * cost) if name.startswith("naswot") else 0,
                "queued": result["queued"],
                **{f"first: {label}": value for label, value in result["first pick"].items()},
                **{f"queue best: {label}": value
                   for label, value in result["best queued"].items()}})
    settings = compare_settings(found, zero_at)
    report("prescreen_truth_settings", "naswot's Kendall tau against NAS-Bench-Macro: scored on "
           "the network itself (width 1, strides kept) or as nas search's pre-screen scores it "
           "(width 0.5, first stride removed), on the networks both scored", settings)
    report("prescreen_truth",
           f"Pre-screen replayed on NAS-Bench-Macro ({args.draws} draws; accuracy percentile "
           f"among networks with fvcore FLOPs <= T at 32 px; top 1 % = percentile >= 99)",
           rows, {"table": TABLE, "scores_measured_on": DATA, "draws": args.draws,
                  "slack": SLACK, "coverage": coverage, "settings": settings,
                  "citation": "Su et al., CVPR 2021 (NAS-Bench-Macro)"})


if __name__ == "__main__":
    main()
