"""Search against the truth: given the same CPU, which ``nas search`` pipeline finds a network
that NAS-Bench-Macro ranks near the top of those under the FLOP budget?

Each search runs the search's own objective (``nas.search.make_objective``: the space's sampling,
fvcore FLOPs at 32 px (one fused multiply-add = one FLOP), the default soft reward with slack 0.1,
over-budget proposals skipped untrained, a network met twice answered once) on an in-memory
study. What a candidate's evaluation returns is measured on the shared CIFAR-10 subset
(``../shared/data/cifar10_jpeg_10k.npz``) and cached under benchmarks/results/search_vs_truth/,
so arms, seeds and restarts share every measurement (no network is trained twice):

- a trained proxy under the search's default protocol (32 px, width 0.5, first stride removed,
  4 epochs; ``reference_table.measure``), seed 0, read from truth_fidelity's measurements where
  it made them;
- a supernet score (``score_inherited``: weights inherited from truth_fidelity's supernet,
  sandwich sampling, 4 epochs; 256 calibration images drawn with seed 0; every validation
  image), read from supernet_levers' scores of the same supernet where it made them.

A search is charged the CPU recorded for each distinct network it evaluates (whichever search
first measured it), plus what it runs itself (the pre-screen), and runs until it has spent
``--budget`` CPU-seconds (3,600: one CPU-hour). The samplers' own time (milliseconds a trial,
``sampler_regret.py``) is not charged.

Arms, each at every target and seed:

- ``tpe``: today's default, ``nas search`` (TPE, trained proxies);
- ``random``: random search with trained proxies (TPE's first 10 trials are random draws: within
  one CPU-hour the two arms share most of their trials);
- ``prescreen``: ``nas search --prescreen 500 --trials 10``: naswot scores 500 random feasible
  candidates at the proxy's geometry, the best 5 are trained first, then TPE's trials;
- ``supernet``: ``nas search --supernet`` (TPE on supernet scores), charged a third of the
  supernet's training (one supernet serves an arm's 3 searches) and scoring until what is left
  is the cost of 3 trained proxies (3 × the median of truth_fidelity's, 288 CPU-s: the large
  networks it picks cost more, so it may overspend); then the 3 originals with the best
  supernet reward are trained, and the best trained reward wins.

A trained-proxy arm's winner is its trial with the best reward. Its truth: the table's mean
accuracy over 3 full CIFAR-10 trainings (``../shared/data/nasbench_macro/``, Su et al., CVPR 2021,
Apache-2.0); the percentile of that accuracy among the networks with FLOPs <= T (the feasible
ones; the top 1 % is >= 99); and its true reward's percentile among the networks within the
slack. Targets: T = 52 M (a third of the 3,969 networks feasible; truth_fidelity's band) and
66 M (two thirds). Seeds 0, 1, 2.

Resumable: each (target, seed, arm) search is one JSON file under
benchmarks/results/search_vs_truth/runs/, written when it ends; a killed search restarts from its
first trial, reading every measurement it had made from the caches. ``--shard I/N`` takes every
N-th (target, seed), so two processes never train the networks one seed's arms share.
``--report`` (and the end of a run) writes benchmarks/results/search_vs_truth.json and the plot
benchmarks/results/search_vs_truth.png.

Usage: .venv/bin/python benchmarks/search_vs_truth.py [--shard 0/1] [--targets 52,66]
       [--seeds 0,1,2] [--arms random,tpe,prescreen,supernet] [--budget 3600] [--report]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy
import optuna
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, report  # noqa: E402
from reference_table import measure  # noqa: E402
from supernet_fidelity import shard_argument  # noqa: E402
from truth_fidelity import (DATA, FOLDER as TRUTH_FOLDER, TABLE, networks,  # noqa: E402
                            protocols, proxy_path, write_json)

from nas.cost import count  # noqa: E402
from nas.scoring import (TableAnswer, get_data, load_supernet, network_key,  # noqa: E402
                         open_table, score_inherited)
from nas.search import (Prepared, SearchOptions, fidelity, make_objective,  # noqa: E402
                        prescreen)
from nas.space import load_space  # noqa: E402
from nas.study import make_sampler  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FOLDER = RESULTS / "search_vs_truth"
LEVERS_SCORES = RESULTS / "supernet_levers" / "scores" / "sandwich.json"
SUPERNET = TRUTH_FOLDER / "studies" / "supernet" / "supernet.pt"
TARGETS = (52_000_000, 66_000_000)
SEEDS = (0, 1, 2)
ARMS = ("random", "tpe", "prescreen", "supernet")
BUDGET = 3600.0
PRESCREEN, NOMINAL_TRIALS = 500, 10
CONFIRM_TOP, SUPERNET_SEARCHES = 3, 3
MAX_SKIPS = 500
MEASURE_SEED = 0
COMPLETE = optuna.trial.TrialState.COMPLETE


class TrainedProxies:
    """Trained proxies of one protocol and training seed (default: the default protocol, seed
    0) by network key, measured once and cached. The default at seed 0 reads
    ``truth_fidelity.py``'s sample too and writes under this benchmark's folder; any other
    protocol or seed lives in ``truth_fidelity.py``'s files (its second seeds included)."""

    def __init__(self, found: dict, *, threads: int, protocol: str = "default",
                 seed: int = MEASURE_SEED) -> None:
        self.found, self.threads, self.protocol, self.seed = found, threads, protocol, seed
        self.label = protocol if seed == MEASURE_SEED else f"{protocol}, seed {seed}"
        self.settings = protocols(f"npz:{ROOT / DATA}")[protocol]
        self.data = None

    def paths(self, key: str) -> tuple[Path, ...]:
        """Where the record may be; it is written to the last."""
        theirs = proxy_path(self.protocol, self.settings, key, self.seed)
        if (self.protocol, self.seed) != ("default", MEASURE_SEED):
            return (theirs,)
        return theirs, FOLDER / "proxy" / theirs.name

    def stored(self, key: str) -> dict | None:
        for path in self.paths(key):
            if path.exists():
                return json.loads(path.read_text())
        return None

    def get(self, key: str) -> dict:
        stored = self.stored(key)
        if stored is not None:
            return stored
        if self.data is None:
            self.data = get_data(self.settings, resolution=self.settings.resolution, seed=0)
        result = measure(self.settings, self.data, self.found[key]["arch"], seed=self.seed,
                         threads=self.threads)
        document = {"protocol": self.protocol, "network": key, "seed": self.seed,
                    "settings": {**self.settings.identity(), "data": DATA}, **result}
        write_json(self.paths(key)[-1], document)
        print(f"  trained {key} ({self.label}): proxy {result['accuracy']:.4f}, truth "
              f"{self.found[key]['truth']:.4f}, {result['cpu_seconds']:.0f} CPU-s", flush=True)
        return document



class SupernetScores:
    """Supernet scores by network key, measured once and cached (one file per job, so that two
    processes never write the same file)."""

    def __init__(self, found: dict, *, job: str, threads: int) -> None:
        self.found, self.threads = found, threads
        self.file = load_supernet(SUPERNET)
        self.path = FOLDER / "supernet_scores" / f"{job}.json"
        self.scores = self._stored()
        self.data = None

    def _stored(self) -> dict:
        scores = {}
        if LEVERS_SCORES.exists():
            levers = json.loads(LEVERS_SCORES.read_text())
            if levers["supernet"] == self.file.fingerprint:
                scores.update(levers["scores"])
        for path in sorted((FOLDER / "supernet_scores").glob("*.json")):
            stored = json.loads(path.read_text())
            if stored["supernet"] == self.file.fingerprint:
                scores.update(stored["scores"])
        return scores

    def get(self, key: str) -> dict:
        if key not in self.scores:
            self.scores.update(self._stored())  # another process may have scored it
        if key not in self.scores:
            if self.data is None:
                self.data = get_data(self.file.proxy, resolution=self.file.proxy.resolution,
                                     seed=self.file.seed)
            result = score_inherited(self.file.supernet, self.found[key]["arch"], self.data,
                                     seed=MEASURE_SEED, threads=self.threads)
            self.scores[key] = {"accuracy": result.accuracy, "loss": result.loss,
                                "correct_probability": result.correct_probability,
                                "cpu_seconds": result.cpu_seconds}
            mine = json.loads(self.path.read_text())["scores"] if self.path.exists() else {}
            mine[key] = self.scores[key]
            write_json(self.path, {"supernet": self.file.fingerprint, "scores": mine})
        return self.scores[key]

    def training_cpu_seconds(self) -> float:
        return json.loads((TRUTH_FOLDER / "supernet.json").read_text())["cpu_seconds"]


class Charged:
    """The search's table evaluator, answered from a cache; charges each network's recorded CPU
    once (the objective answers a network met again from its first trial, never from here)."""

    def __init__(self, cache) -> None:
        self.cache, self.cpu = cache, {}

    def answer(self, arch, *, seed: int, avoid: int | None = None) -> TableAnswer:
        key = network_key(arch)
        document = self.cache.get(key)
        self.cpu[key] = document["cpu_seconds"]
        return TableAnswer(accuracy=document["accuracy"], seed_index=MEASURE_SEED,
                           mean_accuracy=document["accuracy"], seeds=1)

    @property
    def spent(self) -> float:
        return sum(self.cpu.values())


def proxy_cost_estimate() -> float:
    """Median CPU-seconds of a trained proxy, from truth_fidelity's measurements: what the
    supernet arm keeps back for each of its 3 trained confirmations."""
    documents = [json.loads(path.read_text())
                 for path in sorted((TRUTH_FOLDER / "proxy").glob("default-*.json"))]
    return statistics.median(document["cpu_seconds"] for document in documents
                             if document.get("seed", MEASURE_SEED) == MEASURE_SEED)


_RULERS: dict = {}


def rulers(found: dict, target: int, reward) -> tuple:
    """The true accuracies of the networks with FLOPs <= T and of those within the slack, and
    the latter's true rewards, as arrays: computed once per (target, slack)."""
    key = (target, reward.budget, len(found))
    if key not in _RULERS:
        slack = [item for item in found.values() if item["flops"] <= reward.budget]
        _RULERS[key] = (
            numpy.array([item["truth"] for item in found.values() if item["flops"] <= target]),
            numpy.array([item["truth"] for item in slack]),
            numpy.array([reward(item["truth"], item["flops"]) for item in slack]))
    return _RULERS[key]


def truth_of(key: str, found: dict, target: int, reward) -> dict:
    """The table's verdict on one network: its accuracy ranked among the networks with FLOPs
    <= T and among those within the search's slack (<= T × 1.1, which a search may pick), and
    its true soft reward among the latter."""
    network = found[key]
    feasible, slack, within = rulers(found, target, reward)
    true_reward = reward(network["truth"], network["flops"])

    def percentile(values, value: float) -> float:
        return round(100 * float(numpy.mean(values < value)), 2)

    return {"network": key, "flops": network["flops"],
            "true_accuracy": round(network["truth"], 6),
            "accuracy_percentile": percentile(feasible, network["truth"]),
            "accuracy_percentile_within_slack": percentile(slack, network["truth"]),
            "true_reward": round(true_reward, 6),
            "reward_percentile": percentile(within, true_reward)}


def one_search(arm: str, target: int, seed: int, found: dict, caches: dict, *,
               budget: float) -> dict:
    space = load_space("nasbench_macro")
    proxy = protocols(f"npz:{ROOT / DATA}")["default"]
    options = SearchOptions(space="nasbench_macro", target_flops=target, proxy=proxy,
                            evaluate=f"table:{ROOT / TABLE}")
    reward = options.reward_function()
    study = optuna.create_study(direction="maximize",
                                sampler=make_sampler("random" if arm == "random" else "tpe",
                                                     seed=seed))
    scores = Charged(caches["supernet"] if arm == "supernet" else caches["proxy"])
    prepared = Prepared(options, space, reward, f"{arm}-{target}-{seed}", study, threads=1,
                        benchmark=scores)
    objective = make_objective(prepared, progress=False)
    record = {"arm": arm, "target_flops": target, "seed": seed, "budget_cpu_seconds": budget}
    own, stop_at = 0.0, budget
    if arm == "prescreen":
        start = time.process_time()
        queued = prescreen(study, space, candidates=PRESCREEN, proxy_name="naswot", proxy=proxy,
                           feasible=lambda arch: count(arch).flops <= reward.budget,
                           trials=NOMINAL_TRIALS, seed=seed)
        own = time.process_time() - start
        top = network_key(space.arch(queued[0]["params"]))
        record.update(prescreen_cpu_seconds=round(own, 1), prescreen_queued=len(queued),
                      prescreen_top=truth_of(top, found, target, reward))
    if arm == "supernet":
        own = caches["supernet"].training_cpu_seconds() / SUPERNET_SEARCHES
        stop_at = budget - CONFIRM_TOP * proxy_cost_estimate()
        record.update(supernet_share_cpu_seconds=round(own, 1),
                      kept_for_confirmation_cpu_seconds=round(budget - stop_at, 1))
    skips = 0
    while own + scores.spent < stop_at and skips < MAX_SKIPS:
        study.optimize(objective, n_trials=1, catch=())
        skips = 0 if study.get_trials(deepcopy=False)[-1].state == COMPLETE else skips + 1
    complete = [trial for trial in study.get_trials(deepcopy=False) if trial.state == COMPLETE]
    trials = [(" ".join(trial.user_attrs["blocks"]), trial.value) for trial in complete]
    record.update(trials=len(complete), distinct=len(scores.cpu), stuck=skips >= MAX_SKIPS,
                  proposals=len(study.trials))
    if arm == "supernet":
        originals = sorted((trial for trial in complete
                            if "same_network_as" not in trial.user_attrs),
                           key=lambda trial: (-trial.value, trial.number))[:CONFIRM_TOP]
        trained = Charged(caches["proxy"])
        confirmed = []
        for trial in originals:
            key = " ".join(trial.user_attrs["blocks"])
            answer = trained.answer(found[key]["arch"], seed=seed)
            confirmed.append((reward(answer.accuracy, found[key]["flops"]), key))
        winner = max(confirmed)[1]
        record.update(supernet_top=truth_of(" ".join(originals[0].user_attrs["blocks"]),
                                            found, target, reward),
                      confirmed=[{"network": key, "trained_reward": round(value, 6)}
                                 for value, key in confirmed],
                      scored_cpu_seconds=round(scores.spent, 1),
                      trained_cpu_seconds=round(trained.spent, 1))
        spent = own + scores.spent + trained.spent
        trainings = len(trained.cpu)
    else:
        winner = max(trials, key=lambda item: item[1])[0]
        spent, trainings = own + scores.spent, len(scores.cpu)
    record.update(charged_cpu_seconds=round(spent, 1), trainings=trainings,
                  winner=truth_of(winner, found, target, reward),
                  evaluated=[[key, round(value, 6)] for key, value in trials])
    return record


def run_path(target: int, seed: int, arm: str) -> Path:
    return FOLDER / "runs" / f"{target // 1_000_000}M-seed{seed}-{arm}.json"


def run(args, found: dict) -> None:
    shard, shards = args.shard
    torch.set_num_threads(args.threads)
    jobs = [(target, seed) for target in args.targets for seed in args.seeds]
    caches = {"proxy": TrainedProxies(found, threads=args.threads)}
    for target, seed in jobs[shard::shards]:
        caches["supernet"] = None
        for arm in args.arms:
            path = run_path(target, seed, arm)
            if path.exists():
                continue
            if arm == "supernet" and caches["supernet"] is None:
                caches["supernet"] = SupernetScores(
                    found, job=f"{target // 1_000_000}M-seed{seed}", threads=args.threads)
            print(f"{arm} at {target / 1e6:g} M, seed {seed}", flush=True)
            record = one_search(arm, target, seed, found, caches, budget=args.budget)
            write_json(path, record)
            winner = record["winner"]
            print(f"{arm} at {target / 1e6:g} M, seed {seed}: winner true accuracy "
                  f"{winner['true_accuracy']:.4f} (percentile {winner['accuracy_percentile']}), "
                  f"{record['charged_cpu_seconds']:.0f} CPU-s charged, "
                  f"{record['trainings']} trained", flush=True)


def summarise(found: dict) -> None:
    records = [json.loads(path.read_text()) for path in sorted((FOLDER / "runs").glob("*.json"))]
    for item in records:  # verdicts recomputed, so runs made before a new column gain it
        reward = SearchOptions(space="nasbench_macro",
                               target_flops=item["target_flops"]).reward_function()
        for name in ("winner", "prescreen_top"):
            if name in item:
                item[name] = truth_of(item[name]["network"], found, item["target_flops"], reward)
    rows = []
    for target in TARGETS:
        random_mean = [item["winner"]["true_accuracy"] for item in records
                       if item["target_flops"] == target and item["arm"] == "random"]
        for arm in ARMS:
            mine = sorted((item for item in records
                           if item["target_flops"] == target and item["arm"] == arm),
                          key=lambda item: item["seed"])
            if not mine:
                continue
            accuracies = [item["winner"]["true_accuracy"] for item in mine]
            reward = SearchOptions(space="nasbench_macro", target_flops=target).reward_function()
            perfect = [max((truth_of(key, found, target, reward) for key, _ in item["evaluated"]),
                           key=lambda verdict: verdict["true_reward"]) for item in mine]
            rows.append({
                "target M FLOPs (fvcore)": target / 1e6, "arm": arm,
                "seeds": ",".join(str(item["seed"]) for item in mine),
                "winner true accuracy % per seed": " ".join(
                    f"{100 * value:.2f}" for value in accuracies),
                "percentile per seed": " ".join(
                    f"{item['winner']['accuracy_percentile']:.1f}" for item in mine),
                "in top 1 %": sum(item["winner"]["accuracy_percentile"] >= 99 for item in mine),
                "percentile within slack per seed": " ".join(
                    f"{item['winner']['accuracy_percentile_within_slack']:.1f}" for item in mine),
                "in top 1 % within slack": sum(
                    item["winner"]["accuracy_percentile_within_slack"] >= 99 for item in mine),
                "true reward percentile per seed": " ".join(
                    f"{item['winner']['reward_percentile']:.1f}" for item in mine),
                "perfect signal on the same networks: reward percentile": " ".join(
                    f"{verdict['reward_percentile']:.1f}" for verdict in perfect),
                "mean true accuracy %": round(100 * statistics.fmean(accuracies), 2),
                "above random's mean": (None if not random_mean or arm == "random" else
                                        statistics.fmean(accuracies) >
                                        statistics.fmean(random_mean)),
                "CPU-s charged (mean)": round(statistics.fmean(
                    item["charged_cpu_seconds"] for item in mine)),
                "trained (mean)": round(statistics.fmean(item["trainings"] for item in mine), 1),
                "evaluated (mean)": round(statistics.fmean(item["distinct"] for item in mine), 1),
            })
            if arm == "prescreen":
                rows.append({"target M FLOPs (fvcore)": target / 1e6,
                             "arm": "naswot's first pick, untrained",
                             "seeds": rows[-1]["seeds"],
                             "winner true accuracy % per seed": " ".join(
                                 f"{100 * item['prescreen_top']['true_accuracy']:.2f}"
                                 for item in mine),
                             "percentile per seed": " ".join(
                                 f"{item['prescreen_top']['accuracy_percentile']:.1f}"
                                 for item in mine),
                             "in top 1 %": sum(item["prescreen_top"]["accuracy_percentile"] >= 99
                                               for item in mine),
                             "percentile within slack per seed": " ".join(
                                 f"{item['prescreen_top']['accuracy_percentile_within_slack']:.1f}"
                                 for item in mine),
                             "in top 1 % within slack": sum(
                                 item["prescreen_top"]["accuracy_percentile_within_slack"] >= 99
                                 for item in mine),
                             "true reward percentile per seed": " ".join(
                                 f"{item['prescreen_top']['reward_percentile']:.1f}"
                                 for item in mine),
                             "CPU-s charged (mean)": round(statistics.fmean(
                                 item["prescreen_cpu_seconds"] for item in mine))})
    side = proxy_fidelity(found, records)
    report("search_vs_truth", "Search against the truth (NAS-Bench-Macro): each search's winner "
           "by the table's mean accuracy; percentile among networks with FLOPs <= T "
           "(fvcore FLOPs at 32 px); budget 1 CPU-hour each", rows,
           {"table": TABLE, "data": DATA, "budget_cpu_seconds": BUDGET,
            "proxy_cost_estimate_cpu_seconds": used_cost_estimate(records),
            "trained_proxy_on_searched_networks": side, "runs": records})
    plot(records)


def used_cost_estimate(records: list[dict]) -> float:
    """The trained proxy's cost the supernet runs kept back per confirmation (the estimate when
    they ran; :func:`proxy_cost_estimate` moves as truth_fidelity trains more networks)."""
    kept = [item["kept_for_confirmation_cpu_seconds"] / CONFIRM_TOP for item in records
            if item["arm"] == "supernet"]
    return round(statistics.median(kept), 3) if kept else proxy_cost_estimate()


def proxy_fidelity(found: dict, records: list[dict]) -> dict:
    """The trained proxy's τ on the networks the searches of ``records`` trained (a side
    figure: chosen by searches, not a designed sample; the supernet arm trains only its
    confirmations), over all of them and within truth_fidelity's band. Networks other
    benchmarks trained into the shared cache are left out."""
    searched = {key for item in records if item["arm"] != "supernet"
                for key, _ in item["evaluated"]}
    searched |= {entry["network"] for item in records if item["arm"] == "supernet"
                 for entry in item["confirmed"]}
    proxies = TrainedProxies(found, threads=1)
    trained = {key: proxies.stored(key) for key in sorted(searched)}
    trained = {key: document for key, document in trained.items() if document is not None}
    result = {}
    for scope, low, high in (("all", 0, float("inf")), ("band", 0.9 * 52e6, 1.1 * 52e6)):
        keys = [key for key in trained if low <= found[key]["flops"] <= high]
        if len(keys) >= 4:
            result[scope] = fidelity([trained[key]["accuracy"] for key in keys],
                                     [found[key]["truth"] for key in keys], bootstrap=1000, seed=0)
        else:
            result[scope] = {"n": len(keys)}
    return result


def plot(records: list[dict]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    targets = [target for target in TARGETS if any(item["target_flops"] == target
                                                    for item in records)] or list(TARGETS[:1])
    figure, axes = pyplot.subplots(1, len(targets), figsize=(5 * len(targets), 4), sharey=True,
                                   squeeze=False)
    for axis, target in zip(axes[0], targets):
        for position, arm in enumerate(ARMS):
            values = [item["winner"]["accuracy_percentile"] for item in records
                      if item["target_flops"] == target and item["arm"] == arm]
            axis.scatter([position] * len(values), values, color="#1f77b4")
        axis.axhline(99, color="#d62728", linestyle="--", linewidth=1, label="top 1 %")
        axis.set_xticks(range(len(ARMS)), ARMS)
        axis.set_title(f"T = {target / 1e6:g} M fvcore FLOPs (32 px)")
        axis.set_ylabel("winner's true accuracy: percentile (FLOPs <= T)")
        axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(RESULTS / "search_vs_truth.png", dpi=100)
    pyplot.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shard", type=shard_argument, default=(0, 1))
    parser.add_argument("--targets", default="52,66",
                        type=lambda text: [int(part) * 1_000_000 for part in text.split(",")])
    parser.add_argument("--seeds", default="0,1,2",
                        type=lambda text: [int(part) for part in text.split(",")])
    parser.add_argument("--arms", default=",".join(ARMS), type=lambda text: text.split(","))
    parser.add_argument("--budget", type=float, default=BUDGET,
                        help="CPU-seconds each search may spend")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = load_space("nasbench_macro")
    found = networks(space, open_table(str(ROOT / TABLE), space))
    if not args.report:
        run(args, found)
    summarise(found)


if __name__ == "__main__":
    main()
