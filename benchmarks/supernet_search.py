"""Does a search scored by the supernet find something better than EfficientNet-B0 at 400 MFLOPs?
(issue 17's fourth target.)

1. ``run_search`` on the EfficientNet-B0 space, T = 400 MFLOPs (fvcore: one fused multiply-add
   = one FLOP, at 224 px), soft reward, TPE, B0 itself as trial 0 (``baseline``: the search
   must beat it), ``--trials`` candidates (300), ``confirm`` 3; every candidate is scored with
   the weights it inherits from the supernet of ``benchmarks/supernet_fidelity.py`` (30 epochs
   on the shared CIFAR-10 subset; its data, proxy geometry and split), 1 thread.
2. The winner is trained with the reference table's protocol (``reference_table.py``: 40 px
   with the first stride removed, width 0.5, 6 epochs, 8,000 training images) under 3 seeds.
   B0's 3 seeds are the table's own, and a winner that is one of the table's architectures
   takes its table entries: no network is trained twice.
3. As ``search_vs_b0.py``, for the reference accuracy and for the search's reward
   (ACC·(FLOPs/T)^−0.07, which the target compares): the difference of the 3-seed means counts
   only beyond 2·√2·σ (σ: the pooled seed std of the two's accuracies), with a Welch t-test
   p-value beside it; and again with σ the table's pooled seed std (all its complete
   architectures), a steadier estimate. A reward is the accuracy times a weight between 1 and
   1.04 here, so the accuracy's σ stands for the reward's too.

Costs: CPU-seconds of this process; per candidate, the mean wall-clock seconds of the scored
trials (1 thread, so about their CPU-seconds).

Resumable: the study (``supernet_search/studies/``, ignored by git) resumes where it stopped;
once its trials are done, the winner and the search's summary are written to
``supernet_search/search.json`` (committed), and each reference training to
``supernet_search/reference/<hash>.json`` as soon as it exists.

Usage: .venv/bin/python benchmarks/supernet_search.py [--trials 300] [--threads 1] [--report]
Writes benchmarks/results/supernet_search.json (the summary, with the command that made it).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, report, write_json  # noqa: E402
from reference_table import (SEEDS, SHARED_CIFAR, _measurement_key, load_table,  # noqa: E402
                             measure, measurements, reference_protocol, table_architectures)
from supernet_fidelity import SUPERNET_NAME  # noqa: E402

from nas.arch import encode, from_dict, to_dict  # noqa: E402
from nas.cost import count  # noqa: E402
from nas.data import load_data  # noqa: E402
from nas.scoring import ProxySettings  # noqa: E402
from nas.search import (SAME_NETWORK_KEY, Reward, SearchOptions,  # noqa: E402
                        adopt_supernet_protocol, arch_of, best_trial, noise_margin,
                        pooled_seed_std, run_search)
from nas.study import CONFIRM_KEY, StudySettings, derived_seed  # noqa: E402
from nas.train import TrainConfig  # noqa: E402

TARGET_FLOPS = 400_000_000
REWARD = Reward(mode="soft", target_flops=TARGET_FLOPS, slack=0.1)
"""The search's reward, ACC·(FLOPs/T)^−0.07: the target compares rewards, not accuracies."""
FOLDER = RESULTS / "supernet_search"
SUPERNET = RESULTS / "supernet_fidelity" / "studies" / SUPERNET_NAME / "supernet.pt"
WINNER_SEED_BASE = 1000
"""Reference seeds of a winner outside the table: ``derived_seed(0, 1000, repeat)``."""


def search(args, *, target_flops: int = TARGET_FLOPS, folder: Path = FOLDER) -> dict:
    """The search's outcome at ``target_flops`` (its results in ``folder``): from
    ``search.json`` if it is there, else by running (or resuming) the study and writing it."""
    record = folder / "search.json"
    if record.exists():
        return json.loads(record.read_text())
    if not SUPERNET.exists():
        sys.exit(f"the supernet must exist first (benchmarks/supernet_fidelity.py), but "
                 f"{SUPERNET} does not")
    proxy = adopt_supernet_protocol(
        ProxySettings(train=TrainConfig(threads=args.threads)), str(SUPERNET), given=set())
    options = SearchOptions(target_flops=target_flops, baseline=True, confirm=3,
                            supernet=str(SUPERNET), proxy=proxy,
                            study=StudySettings(name=f"supernet-search-n{args.trials}",
                                                root=str(folder / "studies"),
                                                trials=args.trials, workers=1))
    cpu = time.process_time()
    run = run_search(options, progress=True)
    complete = [t for t in run.study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    shared = [t for t in complete if SAME_NETWORK_KEY in t.user_attrs]
    proposals = [t for t in complete if CONFIRM_KEY not in t.user_attrs]  # in trial order
    trials = [t for t in complete if "fidelity" in t.user_attrs and t not in shared]  # scored
    durations = [(t.datetime_complete - t.datetime_start).total_seconds() for t in trials]
    scoring = [t.user_attrs["score_seconds"] for t in trials if "score_seconds" in t.user_attrs]
    winner = best_trial(run.study)
    document = {"winner": to_dict(arch_of(winner)), "winner_trial": winner.number,
                "summary": run.summary,
                "scored_trials": len(trials),
                "shared_trials": len(shared),
                "shared_among_the_last_100_proposals": sum(
                    SAME_NETWORK_KEY in t.user_attrs for t in proposals[-100:]),
                "seconds_per_scored_trial": round(statistics.fmean(durations), 3),
                "scoring_seconds_per_trial": round(statistics.fmean(scoring), 3)
                if scoring else None,
                "cpu_seconds_this_run": round(time.process_time() - cpu, 1),
                "supernet": str(SUPERNET.relative_to(RESULTS))}
    write_json(record, document)
    return document


def reference_accuracies(args, arch, settings: ProxySettings, data_cache: dict, *,
                         train: bool, folder: Path = FOLDER, repeats=range(SEEDS),
                         label: str = "search winner") -> list[float]:
    """The reference accuracies of ``arch`` under ``repeats`` (3 once complete): the table's,
    if it is a table architecture, else those measured under ``folder``/reference; with
    ``train``, the missing ones are trained and written there. ``data_cache`` holds the data
    by resolution, loaded once."""
    table = table_architectures(24)
    if arch in table:
        return load_table(table, settings).get(table.index(arch), [])
    done = {**measurements(), **measurements(folder / "reference")}
    protocol, found = dataclasses.asdict(settings), []
    for repeat in repeats:
        seed = derived_seed(0, WINNER_SEED_BASE, repeat)
        key = _measurement_key(protocol, to_dict(arch), seed)
        if key in done:
            found.append(done[key]["accuracy"])
            continue
        if not train:
            continue
        if settings.resolution not in data_cache:
            data_cache[settings.resolution] = load_data(
                settings.data, resolution=settings.resolution, seed=0,
                validation_fraction=settings.validation_fraction,
                train_size=settings.train_size, test=False)
        result = measure(settings, data_cache[settings.resolution], arch, seed=seed,
                         threads=args.threads)
        path = folder / "reference" / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}.json"
        write_json(path, {"architecture": label, "arch": to_dict(arch), "repeat": repeat,
                          "seed": seed, "protocol": protocol, **result})
        print(f"{label} ({settings.resolution} px), seed {repeat}: accuracy "
              f"{result['accuracy']:.4f}, {result['cpu_seconds']:.0f} CPU-s", flush=True)
        found.append(result["accuracy"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--report", action="store_true",
                        help="only summarise what exists (the search must be done)")
    args = parser.parse_args()
    if args.report and not (FOLDER / "search.json").exists():
        sys.exit(f"the search must be done before --report, but {FOLDER / 'search.json'} "
                 f"does not exist")
    outcome = search(args)
    settings = reference_protocol(f"npz:{SHARED_CIFAR}")
    table = table_architectures(24)
    winner, b0 = from_dict(outcome["winner"], source="search.json"), table[0]
    results = {"search winner": (winner, reference_accuracies(args, winner, settings, {},
                                                              train=not args.report)),
               "EfficientNet-B0": (b0, load_table(table, settings).get(0, []))}
    rows, rewards = [], {}
    for name, (arch, accuracies) in results.items():
        cost = count(arch)
        rewards[name] = [REWARD(accuracy, cost.flops) for accuracy in accuracies]
        rows.append({"architecture": name, "MFLOPs": round(cost.flops / 1e6, 1),
                     "M params": round(cost.params / 1e6, 2), "seeds": len(accuracies),
                     "reference acc. % (mean)": round(100 * statistics.fmean(accuracies), 2)
                     if accuracies else None,
                     "seed std pp": round(100 * statistics.stdev(accuracies), 2)
                     if len(accuracies) > 1 else None,
                     "reward x 100 (mean)": round(100 * statistics.fmean(rewards[name]), 2)
                     if accuracies else None,
                     "blocks": " ".join(encode(stage) for stage in arch.stages)})
    found, baseline = results["search winner"][1], results["EfficientNet-B0"][1]
    summary: dict = {"winner_is_b0": winner == b0, "winner_trial": outcome["winner_trial"],
                     "scored_trials": outcome["scored_trials"],
                     "seconds_per_scored_trial": outcome["seconds_per_scored_trial"],
                     "search_trials": outcome["summary"]["trials"],
                     "search_noise": outcome["summary"]["noise"],
                     "winner_search_record": outcome["summary"].get("best")}
    if len(found) == SEEDS and len(baseline) == SEEDS and winner != b0:
        complete = [a for a in load_table(table, settings).values() if len(a) == SEEDS]
        sigmas = {"pair": pooled_seed_std([found, baseline]), "table": pooled_seed_std(complete)}
        for measure, (mine, theirs) in (("accuracy", (found, baseline)),
                                        ("reward", (rewards["search winner"],
                                                    rewards["EfficientNet-B0"]))):
            difference = statistics.fmean(mine) - statistics.fmean(theirs)
            summary[f"{measure} difference (points)"] = round(100 * difference, 2)
            summary[f"{measure} welch p"] = round(float(stats.ttest_ind(
                mine, theirs, equal_var=False).pvalue), 4)
            for label, sigma in sigmas.items():
                margin = noise_margin(sigma)
                summary[f"noise margin 2*sqrt(2)*sigma, {label} sigma (points)"] = \
                    round(100 * margin, 2)
                summary[f"{measure} verdict, {label} sigma"] = \
                    "beyond noise" if abs(difference) > margin else "within noise"
    report("supernet_search",
           "Supernet-scored search winner vs B0 at 400 MFLOPs, reference-table protocol, "
           f"{SEEDS} seeds each (FLOPs: fvcore, one fused multiply-add = one FLOP, at 224 px)",
           [{k: v for k, v in row.items() if k != "blocks"} for row in rows],
           extra={"summary": summary, "architectures": rows,
                  "command": "benchmarks/supernet_search.py " + " ".join(sys.argv[1:])})
    print(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    main()
