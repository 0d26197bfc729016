"""Sampler regret on NAS-Bench-Macro: which sampler finds the best network, judged by the truth.

Every sampler of the library (random, tpe, gp, evolution; nsga2 with the multi objective) runs
many seeded searches of the ``nasbench_macro`` space, each trial answered by the published table
(``../shared/data/nasbench_macro/``, Su et al., CVPR 2021, Apache-2.0) exactly as
``nas search --evaluate table:FILE`` answers it: the search's own objective
(``nas.search.make_objective``: FLOPs, constraint, over-budget skips, shared results of the same
network, one published seed per trial picked by the trial's seed), on an in-memory study so a
trial costs milliseconds rather than a journal's fsyncs.

Budgets are fvcore FLOPs (one fused multiply-add = one FLOP) at 32 px at which about a third
(52 M) and about two thirds (66 M) of the 3,969 distinct networks are feasible (FLOPs <= T).
Rewards: ``hard`` (accuracy under T) and the default ``soft`` (w = -0.07), slack 0.1 as in
``nas search``. The *true* reward of a network is its reward from the mean of the three
published seeds. After each complete trial (skipped over-budget proposals do not count, as in
``nas search --trials``) the run's pick is the trial with the highest single-seed value so far
(for nsga2: the highest reward among its trials); we record the pick's true reward and true
accuracy, the trials until the run first evaluated a top-1 % feasible network (by mean
accuracy among FLOPs <= T), and the final regret (best true reward of any network within the
slack, minus the pick's). After 50 trials and at the end it also records what ``--confirm 3``
would pick: the 3 best originals read once more from another published training, the best
mean reward winning (3 more trainings).

Resumable: each (sampler, budget, reward) group is a shard, written atomically under
benchmarks/results/sampler_regret/ after every run; re-running continues where it stopped.
``--report`` (or the end of a run) writes benchmarks/results/sampler_regret.json and the plot
benchmarks/results/sampler_regret.png.

A run whose sampler proposes 500 over-budget candidates in a row stops there, as ``nas search``
does; its curve holds its pick so far (a run that never completed a trial counts as no pick).

Usage: .venv/bin/python benchmarks/sampler_regret.py [--repeats 50] [--trials 150]
       [--samplers random,tpe,gp,evolution,nsga2] [--gp-repeats 50] [--gp-max-skips 500]
       [--report]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

import numpy
import optuna

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, report  # noqa: E402
from truth_fidelity import networks  # noqa: E402

from nas._files import atomic_write  # noqa: E402
from nas.arch import decode  # noqa: E402
from nas.scoring import open_table  # noqa: E402
from nas.search import Prepared, SearchOptions, make_objective  # noqa: E402
from nas.space import load_space  # noqa: E402
from nas.study import derived_seed, make_pruner, make_sampler  # noqa: E402

TABLE = "../shared/data/nasbench_macro/nas-bench-macro_cifar10.json"
"""Relative to the repository root (results name it so)."""
ROOT = Path(__file__).resolve().parents[1]
SHARDS = RESULTS / "sampler_regret"
BUDGETS = (52_000_000, 66_000_000)
REWARDS = ("hard", "soft")
SAMPLERS = ("random", "tpe", "gp", "evolution", "nsga2")
COLOURS = {"random": "#7f7f7f", "tpe": "#1f77b4", "gp": "#ff7f0e", "evolution": "#2ca02c",
           "nsga2": "#9467bd"}
MAX_SKIPS = 500
"""Over-budget proposals in a row after which a run stops, as ``nas search`` stops
(``MAX_CONSECUTIVE_SKIPS``); its curve ends there."""


def truth(space, table) -> dict[str, tuple[int, float]]:
    """Every distinct network of the space: key -> (fvcore FLOPs, mean accuracy)."""
    return {key: (network["flops"], network["truth"])
            for key, network in networks(space, table).items()}


def one_run(space, table, networks, *, sampler: str, budget: int, reward_mode: str,
            seed: int, trials: int, max_skips: int = MAX_SKIPS) -> dict:
    objective_kind = "multi" if sampler == "nsga2" else "single"
    options = SearchOptions(space="nasbench_macro", target_flops=budget, reward=reward_mode,
                            objective=objective_kind, evaluate=f"table:{ROOT / TABLE}")
    reward = options.reward_function()
    study = optuna.create_study(
        directions=["maximize", "minimize"] if objective_kind == "multi" else ["maximize"],
        sampler=make_sampler(sampler, seed=seed), pruner=make_pruner("none", epochs=1))
    prepared = Prepared(options, space, reward, "regret", study, threads=1, benchmark=table)
    objective = make_objective(prepared, progress=False)
    feasible = {key: value for key, value in networks.items() if value[0] <= budget}
    cutoff = numpy.quantile([accuracy for _, accuracy in feasible.values()], 0.99)
    top = {key for key, (_, accuracy) in feasible.items() if accuracy >= cutoff}
    best_true = max(reward(accuracy, flops) for flops, accuracy in networks.values()
                    if flops <= reward.budget)
    picks, accuracies, first_top, complete, attempts, skips = [], [], None, [], 0, 0
    distinct: list[int] = []  # networks answered so far (what trained proxies would cost)
    originals: list[tuple] = []
    confirmed: dict[str, dict] = {}
    start, in_optuna = time.process_time(), 0.0
    while len(complete) < trials and skips < max_skips:
        attempts += 1
        before = time.perf_counter()
        study.optimize(objective, n_trials=1, catch=())
        in_optuna += time.perf_counter() - before
        trial = study.get_trials(deepcopy=False)[-1]
        if trial.state != optuna.trial.TrialState.COMPLETE:
            skips += 1
            continue
        skips = 0
        key = " ".join(trial.user_attrs["blocks"])
        flops, accuracy = networks[key]
        own = reward(trial.user_attrs["accuracy"], flops)  # what the search saw
        complete.append((own, key))
        if "same_network_as" not in trial.user_attrs:  # an original: --confirm may pick it
            originals.append((own, key, trial.user_attrs["table_seed"], trial.number))
        distinct.append(len({item[1] for item in complete}))
        if first_top is None and key in top:
            first_top = len(complete)
        pick = max(complete, key=lambda item: item[0])[1]
        pick_flops, pick_accuracy = networks[pick]
        picks.append(round(reward(pick_accuracy, pick_flops), 6))
        accuracies.append(round(pick_accuracy, 6))
        if len(complete) in (CONFIRM_AT, trials):
            confirmed[str(len(complete))] = confirm(originals, networks, table, reward,
                                                    space=space, seed=seed)
    return {"seed": seed, "true_reward": picks, "true_accuracy": accuracies,
            "distinct_so_far": distinct, "confirmed": confirmed,
            "first_top_percent": first_top, "best_true_reward": round(best_true, 6),
            "regret": round(best_true - picks[-1], 6) if picks else None,
            "complete": len(complete), "proposals": attempts, "stuck": skips >= max_skips,
            "distinct": len({key for _, key in complete}),
            "cpu_seconds": round(time.process_time() - start, 2),
            "milliseconds_per_proposal": round(1000 * in_optuna / attempts, 3)}


CONFIRM = 3
CONFIRM_AT = 50


def confirm(originals: list[tuple], networks: dict, table, reward, *, space, seed: int) -> dict:
    """What ``nas search --confirm 3`` would pick now: the 3 originals with the best single-seed
    value each read once more, from a published training other than theirs (as the table
    evaluator answers a confirmation), and the best mean reward over the two wins. Returns
    its true reward and accuracy."""
    top = sorted(originals, key=lambda item: (-item[0], item[3]))[:CONFIRM]
    best = None
    for rank, (own, key, table_seed, number) in enumerate(top):
        arch = dataclasses.replace(space.baseline(),
                                   stages=tuple(decode(text) for text in key.split()))
        again = table.answer(arch, seed=derived_seed(seed, number, rank), avoid=table_seed)
        flops = networks[key][0]
        mean = (own + reward(again.accuracy, flops)) / 2
        if best is None or mean > best[0]:
            best = (mean, key)
    flops, accuracy = networks[best[1]]
    return {"true_reward": round(reward(accuracy, flops), 6), "true_accuracy": round(accuracy, 6)}


def shard_path(sampler: str, budget: int, reward_mode: str) -> Path:
    return SHARDS / f"{sampler}-{budget // 1_000_000}M-{reward_mode}.json"


def _compact(shard: dict) -> str:
    """A shard as JSON, one run per line (its curves are long lists of numbers)."""
    head = json.dumps({key: value for key, value in shard.items() if key != "runs"})
    runs = ",\n".join(json.dumps(run, separators=(",", ":")) for run in shard["runs"])
    return f'{head[:-1]}, "runs": [\n{runs}\n]}}\n'


def load_shard(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {"runs": []}


def run(args) -> None:
    space = load_space("nasbench_macro")
    table = open_table(str(ROOT / TABLE), space)
    networks = truth(space, table)
    SHARDS.mkdir(parents=True, exist_ok=True)
    for sampler in args.samplers:
        repeats = args.gp_repeats if sampler == "gp" else args.repeats
        for budget, reward_mode in itertools.product(args.budgets, args.rewards):
            path = shard_path(sampler, budget, reward_mode)
            shard = load_shard(path)
            shard.update({"sampler": sampler, "budget_flops": budget, "reward": reward_mode,
                          "trials": args.trials, "table": TABLE})
            done = {item["seed"] for item in shard["runs"]}
            for seed in range(repeats):
                if seed in done:
                    continue
                shard["runs"].append(one_run(
                    space, table, networks, sampler=sampler, budget=budget,
                    reward_mode=reward_mode, seed=seed, trials=args.trials,
                    max_skips=args.gp_max_skips if sampler == "gp" else MAX_SKIPS))
                atomic_write(path, _compact(shard))
                last = shard["runs"][-1]
                print(f"{sampler} {budget / 1e6:g}M {reward_mode} seed {seed}: regret "
                      f"{last['regret']}, top-1 % at {last['first_top_percent']}, "
                      f"{last['cpu_seconds']} CPU-s", flush=True)


def summarise() -> None:
    rows, curves, shards = [], {}, []
    for path in sorted(SHARDS.glob("*.json")):
        shard = load_shard(path)
        shards.append(shard)
        runs = [item for item in shard["runs"] if item["true_reward"]]
        if not runs:
            continue
        trials = shard["trials"]
        firsts = [item["first_top_percent"] or trials + 1 for item in runs]  # censored
        row = {"sampler": shard["sampler"], "budget (M fvcore FLOPs)": shard["budget_flops"]
               / 1e6, "reward": shard["reward"], "runs": len(runs),
               "top-1% by (median trials)": statistics.median(firsts),
               "runs reaching top-1%": sum(item["first_top_percent"] is not None
                                           for item in runs),
               "best true reward": runs[0]["best_true_reward"]}
        for checkpoint in (50, trials):
            at = [_padded(item["true_accuracy"], trials)[checkpoint - 1] for item in runs]
            rewards = [_padded(item["true_reward"], trials)[checkpoint - 1] for item in runs]
            row[f"true acc % @{checkpoint}"] = round(100 * statistics.fmean(at), 3)
            row[f"regret (reward points) @{checkpoint}"] = round(
                100 * (runs[0]["best_true_reward"] - statistics.fmean(rewards)), 3)
        at_distinct = [_at_distinct(item, 50) for item in runs]
        row["true acc % @50 distinct networks"] = (
            round(100 * statistics.fmean(at_distinct), 3) if None not in at_distinct else None)
        for checkpoint in (CONFIRM_AT, trials):
            picked = [item["confirmed"][str(checkpoint)] for item in runs
                      if str(checkpoint) in item.get("confirmed", {})]
            row[f"with --confirm 3: true acc % @{checkpoint}"] = (
                round(100 * statistics.fmean(p["true_accuracy"] for p in picked), 3)
                if len(picked) == len(runs) else None)
        row["runs stuck over budget"] = sum(item.get("stuck", False) for item in runs)
        row["distinct networks per run"] = statistics.median(item["distinct"] for item in runs)
        timed = [item["milliseconds_per_proposal"] for item in runs
                 if "milliseconds_per_proposal" in item]
        row["ms per proposal (sampler + objective)"] = (round(statistics.median(timed), 2)
                                                        if timed else None)
        rows.append(row)
        curves[(shard["budget_flops"], shard["reward"], shard["sampler"])] = [
            statistics.fmean(_padded(item["true_reward"], trials)[k] for item in runs)
            for k in range(trials)]
    comparisons = compare(shards)
    print("\nTrue reward of the pick after 50 trials, sampler minus tpe (reward points, mean over "
          "runs, 95 % bootstrap interval):")
    for row in comparisons:
        print(f"  {row['budget_M']:g} M {row['reward']}: {row['sampler']:>9}  "
              f"{row['difference']:+.3f} [{row['low']:+.3f}, {row['high']:+.3f}]")
    report("sampler_regret", "Sampler regret on NAS-Bench-Macro (table-answered searches; "
           "true = mean of the 3 published seeds; FLOPs: fvcore, one fused multiply-add = "
           "one FLOP, at 32 px)", rows, {"table": TABLE,
                                         "citation": "Su et al., CVPR 2021 (NAS-Bench-Macro)",
                                         "against_tpe_at_50": comparisons})
    plot(curves)


def compare(shards: list[dict], *, at: int = 50, resamples: int = 2000) -> list[dict]:
    """Per budget and reward, every sampler's mean true reward after ``at`` trials minus tpe's
    (reward points), with a 95 % bootstrap interval over runs."""
    rng = numpy.random.default_rng(0)
    groups: dict[tuple, dict[str, numpy.ndarray]] = {}
    for shard in shards:
        runs = [item for item in shard["runs"] if item["true_reward"]]
        values = numpy.array([_padded(item["true_reward"], shard["trials"])[at - 1]
                              for item in runs])
        groups.setdefault((shard["budget_flops"], shard["reward"]), {})[shard["sampler"]] = values
    rows = []
    for (budget, reward_mode), samplers in sorted(groups.items()):
        if "tpe" not in samplers:
            continue
        base = samplers["tpe"]
        for name, values in sorted(samplers.items()):
            if name == "tpe":
                continue
            draws = [rng.choice(values, len(values)).mean() - rng.choice(base, len(base)).mean()
                     for _ in range(resamples)]
            rows.append({"budget_M": budget / 1e6, "reward": reward_mode, "sampler": name,
                         "difference": round(100 * (values.mean() - base.mean()), 3),
                         "low": round(100 * float(numpy.percentile(draws, 2.5)), 3),
                         "high": round(100 * float(numpy.percentile(draws, 97.5)), 3)})
    return rows


def _at_distinct(run: dict, networks: int) -> float | None:
    """True accuracy of the run's pick once it had answered ``networks`` distinct networks
    (its last pick if it never did; None for runs recorded without the count)."""
    if "distinct_so_far" not in run:
        return None
    for index, count in enumerate(run["distinct_so_far"]):
        if count >= networks:
            return run["true_accuracy"][index]
    return run["true_accuracy"][-1]


def _padded(values: list, length: int) -> list:
    """A run's curve to ``length`` trials: a run that stopped early keeps its last pick."""
    return values + values[-1:] * (length - len(values))


def plot(curves: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(1, 4, figsize=(18, 4.2))
    for axis, (budget, reward_mode) in zip(axes, itertools.product(BUDGETS, REWARDS)):
        for (b, r, sampler), curve in sorted(curves.items()):
            if (b, r) == (budget, reward_mode):
                axis.plot(range(1, len(curve) + 1), [100 * v for v in curve], label=sampler,
                          color=COLOURS[sampler])
        axis.set_title(f"T = {budget / 1e6:g} M FLOPs, {reward_mode} reward")
        axis.set_xlabel("complete trials")
        axis.set_ylabel("true reward of the pick (points, mean of runs)")
        axis.legend()
    figure.tight_layout()
    figure.savefig(RESULTS / "sampler_regret.png", dpi=90)
    print(f"plot written to {RESULTS / 'sampler_regret.png'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--gp-repeats", type=int, default=50)
    parser.add_argument("--gp-max-skips", type=int, default=MAX_SKIPS,
                        help="gp proposes about 5 per CPU-second: a smaller cap keeps its stuck "
                             "runs affordable")
    parser.add_argument("--trials", type=int, default=150)
    parser.add_argument("--samplers", type=lambda text: text.split(","), default=SAMPLERS)
    parser.add_argument("--budgets", type=lambda text: [int(v) for v in text.split(",")],
                        default=BUDGETS, help="fvcore FLOPs, comma-separated (a subset of the "
                                              "default shards, to run them in parallel)")
    parser.add_argument("--rewards", type=lambda text: text.split(","), default=REWARDS)
    parser.add_argument("--report", action="store_true", help="only summarise the shards")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    if not args.report:
        run(args)
    summarise()


if __name__ == "__main__":
    main()
