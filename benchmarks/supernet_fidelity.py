"""Supernet fidelity: how well does the weight-sharing supernet rank the architectures of the
reference table, against their 3-seed means, beside the other cheap signals measured in the
same run (a trained proxy, zero-cost scores, params, FLOPs, a learned predictor), and at what
CPU cost per candidate?

Architectures: the reference table's (``reference_table.table_architectures(24)``, the
EfficientNet-B0 space; ``--samples K`` scores only its first K, which the table orders so that
every prefix spreads over the FLOPs range). Every signal is judged against the 3-seed mean
validation accuracy of the architectures whose 3 seeds are complete in the table
(``reference_table.load_table``): n, Spearman ρ and Kendall τ (unitless) with 95 % percentile
bootstrap intervals over architectures (1,000 resamples), beside the table's own noise ceiling
(``reference_table.noise_ceiling``), which no signal can be shown to beat. Rows with different
n are judged on different architectures; once every step is done they share the same n.

Signals (all on the shared CIFAR-10 subset, split seed 0, validation fraction 0.2: 8,000
training / 2,000 validation images; architecture seed 0 throughout):
- ``supernet``: one supernet (``nas.scoring.train_supernet``: sandwich rule, in-place
  distillation, 2 random subnets per step) trained ``--epochs`` epochs (30) on the geometry of
  the trained proxy below (32 px, width 0.5, first stride removed) with ``TrainConfig()``
  otherwise; each candidate is scored with the weights it inherits
  (``nas.scoring.score_inherited``: extraction, batch-norm recalibration on 256 training
  images, the search's default, validation accuracy), and again with 512 and 2,048 calibration
  images (``--calibration-images``): the summary's ``calibration_agreement`` gives Kendall τ
  between each and 256.
- ``trained proxy`` (``--trained-proxy``, on by default): ``ProxySettings(data=...)``, the
  search's default protocol (32 px, width 0.5, first stride removed, 4 epochs), trained as
  ``reference_table.measure`` trains (``nas.train.fit`` on ``nas.model.build_model``, seed 0);
  its accuracy after each epoch is a signal (the CPU cost of epoch e < 4 is pro rata).
- ``zero-cost`` synflow, naswot, grad_norm, zico (``nas.scoring.zero_cost_scores``, seed 0) on
  the trained proxy's network at initialisation; params and FLOPs of the architecture itself
  (``nas.cost.count``: fvcore's convention, one fused multiply-add = one FLOP, at 224 px and
  1,000 classes).
- ``learned predictor`` (``nas.scoring.predict_out_of_sample``: ridge regression, leave-one-out,
  so out of sample) from ``architecture_features`` alone, plus the zero-cost scores, plus the
  supernet score (256 images, the default); fitted on the reference means of the other
  architectures.

Costs are CPU-seconds of this process (``time.process_time``, all threads) per candidate, and
the supernet's training in CPU-hours (per epoch: from the end of one epoch to the end of the
next, its checkpoint and the validation of its largest and smallest subnet included); the
break-even is the number of candidates from which training the supernet once and scoring
costs less than training each candidate's proxy.

Steps, each resumable; every result is written (atomically) under ``--results`` as soon as it
exists: ``supernet.json`` (the training record, rewritten after every epoch),
``architectures/<signal>-<hash>.json`` (one per architecture and signal), and the supernet file
``studies/bench-supernet-cifar/supernet.pt`` (checkpointed every epoch, continued on restart;
20-40 MB, ignored by git). With ``--shard I/N`` and N > 1, shard 0 trains the supernet and then
scores every architecture with it, while shards 1..N-1 share the per-architecture zero-cost and
trained-proxy jobs (and score theirs with the supernet if it is complete by then); with N = 1
one process does everything. Run one shard per core with ``--threads 1``.

Usage: .venv/bin/python benchmarks/supernet_fidelity.py [--epochs 30] [--shard 0/1]
       [--threads 1] [--samples 24] [--no-trained-proxy] [--data npz:FILE] [--results DIR]
       [--report]
Writes the summary to ``supernet_fidelity.json`` next to the results folder
(benchmarks/results/supernet_fidelity.json by default), with the command that made it.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_table  # noqa: E402
from _common import RESULTS, report, write_json  # noqa: E402

from nas.arch import to_dict  # noqa: E402
from nas.cost import count  # noqa: E402
from nas.scoring import (CALIBRATION_IMAGES, ZERO_COST_PROXIES, ProxySettings,  # noqa: E402
                         SupernetOptions, architecture_features, get_data, load_supernet,
                         predict_out_of_sample, proxy_arch, score_inherited, train_supernet,
                         zero_cost_scores)
from nas.search import fidelity  # noqa: E402
from nas.space import load_space  # noqa: E402
from nas.train import TrainConfig  # noqa: E402

SPACE = "efficientnet_b0"
SUPERNET_NAME = "bench-supernet-cifar"
TABLE_SIZE = 24
SEED = 0
EXTRA_CALIBRATION_IMAGES = (512, 2048)
BOOTSTRAP = 1000
PREDICTOR_MINIMUM = 6
"""Complete architectures needed before the learned predictor is scored (fitted on n - 1)."""
MINIMUM = 4
"""Complete architectures needed before any correlation is reported."""


def trained_proxy_settings(data: str) -> ProxySettings:
    """The search's default proxy protocol: 32 px, width 0.5, first stride removed, 4 epochs."""
    return ProxySettings(data=data)


def supernet_options(args, *, resume: bool) -> SupernetOptions:
    proxy = ProxySettings(data=args.data, resolution=32, width=0.5, strides_removed=1,
                          train=TrainConfig(epochs=args.epochs, threads=args.threads))
    return SupernetOptions(space=SPACE, proxy=proxy, name=SUPERNET_NAME, root=str(args.results),
                           resume=resume)


def supernet_path(args) -> Path:
    return supernet_options(args, resume=False).path(load_space(SPACE))


def record_path(args) -> Path:
    return args.results / "supernet.json"


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def result_path(args, signal: str, key: dict) -> Path:
    digest = hashlib.sha1(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return args.results / "architectures" / f"{signal}-{digest[:16]}.json"


def zero_cost_path(args, protocol: dict, arch) -> Path:
    return result_path(args, "zero-cost", {"protocol": protocol, "arch": to_dict(arch),
                                           "seed": SEED})


def proxy_path(args, protocol: dict, arch) -> Path:
    return result_path(args, "proxy", {"protocol": protocol, "arch": to_dict(arch), "seed": SEED})


def supernet_score_path(args, fingerprint: str, arch, images: int) -> Path:
    return result_path(args, "supernet", {"supernet": fingerprint, "arch": to_dict(arch),
                                          "seed": SEED, "calibration_images": images})


# --- step 1: the supernet -------------------------------------------------------------------

def train_step(args) -> dict:
    """Train or continue the supernet; its record (CPU and wall seconds per epoch, the file's
    history, its fingerprint once complete) is rewritten after every epoch."""
    path, record_file = supernet_path(args), record_path(args)
    record = read_json(record_file) if record_file.exists() else None
    if record is not None and record["epochs"] != args.epochs:
        raise SystemExit(f"--epochs must be the supernet's {record['epochs']} "
                         f"({record_file}), but got {args.epochs} (or choose another "
                         f"--results)")
    if record is not None and record["complete"]:
        return record  # its file is needed again only for a missing score
    if record is not None and not path.exists():
        record = None  # the file it recorded is gone: train again from the start
    options = supernet_options(args, resume=path.exists())
    if record is None:
        record = {"space": SPACE, "name": SUPERNET_NAME, "file": str(path),
                  "protocol": dataclasses.asdict(options.proxy),
                  "random_subnets": options.random_subnets, "seed": options.seed,
                  "epochs": args.epochs, "epochs_done": 0, "complete": False,
                  "epoch_costs": {}, "sessions": [], "history": []}
    session = {"threads": args.threads, "epochs": [], "wall_seconds": 0.0, "cpu_seconds": 0.0}
    record["sessions"].append(session)
    # load the data before the clock starts: train_supernet finds it in get_data's cache
    get_data(options.proxy, resolution=options.proxy.resolution, seed=options.seed)
    wall, cpu = time.perf_counter(), time.process_time()
    mark = [wall, cpu]

    def log(message: str) -> None:
        now = (time.perf_counter(), time.process_time())
        epoch = re.match(r"epoch (\d+)/", message)
        if epoch is not None:
            number = int(epoch.group(1))
            record["epoch_costs"][str(number)] = {
                "wall_seconds": round(now[0] - mark[0], 2),
                "cpu_seconds": round(now[1] - mark[1], 2)}
            record["epochs_done"] = number
            session["epochs"].append(number)
            session["wall_seconds"] = round(now[0] - wall, 2)
            session["cpu_seconds"] = round(now[1] - cpu, 2)
            write_json(record_file, record)
            message += f", {now[1] - mark[1]:.0f} CPU-s"
        mark[:] = now  # the resume message marks the end of the setup
        print(f"supernet: {message}", flush=True)

    file = train_supernet(options, progress=False, log=log)
    session["wall_seconds"] = round(time.perf_counter() - wall, 2)
    session["cpu_seconds"] = round(time.process_time() - cpu, 2)
    described = file.describe()
    record.update(epochs_done=file.epochs_done, complete=file.complete, history=file.history,
                  fingerprint=file.fingerprint, params=described["params"],
                  geometry=described["geometry"])
    write_json(record_file, record)
    return record


# --- steps 2 and 3: per architecture --------------------------------------------------------

def proxy_network(settings: ProxySettings, data, arch):
    return proxy_arch(arch, num_classes=data.num_classes, resolution=data.resolution,
                      width=settings.width, strides_removed=settings.strides_removed)


def score_zero_cost(settings: ProxySettings, data, arch, *, threads: int) -> dict:
    network = proxy_network(settings, data, arch)
    torch.set_num_threads(threads)
    wall, cpu = time.perf_counter(), time.process_time()
    scores = zero_cost_scores(network, data, names=ZERO_COST_PROXIES, seed=SEED)
    return {"zero_cost": scores, "wall_seconds": round(time.perf_counter() - wall, 3),
            "cpu_seconds": round(time.process_time() - cpu, 3)}


def score_supernet(file, data, arch, *, images: int, threads: int) -> dict:
    score = score_inherited(file.supernet, arch, data, seed=SEED, calibration_images=images,
                            threads=threads)
    return {"accuracy": score.accuracy, "calibration_images": images,
            "proxy_params": score.proxy_params, "wall_seconds": score.seconds,
            "cpu_seconds": score.cpu_seconds, "supernet": file.fingerprint}


def job(path: Path, archs, index: int, signal: str, measure) -> None:
    """Measure one (architecture, signal) unless its file exists; write it at once."""
    if path.exists():
        return
    result = measure()
    write_json(path, {"architecture": index, "arch": to_dict(archs[index]), "signal": signal,
                      **result})
    shown = (f"accuracy {result['accuracy']:.4f}" if "accuracy" in result else
             ", ".join(f"{k} {v:.3g}" for k, v in result.get("zero_cost", {}).items()))
    print(f"arch {index} {signal}: {shown}, {result['cpu_seconds']:.1f} CPU-s", flush=True)


def score_with_supernet(args, archs, indices: list[int], images: list[int]) -> None:
    record = read_json(record_path(args)) if record_path(args).exists() else None
    if record is None or not record["complete"]:
        print(f"supernet not complete yet: supernet scores of architectures {indices} left to "
              f"shard 0 (or to a later run)", flush=True)
        return
    fingerprint = record["fingerprint"]
    missing = [(i, n) for i in indices for n in images
               if not supernet_score_path(args, fingerprint, archs[i], n).exists()]
    if not missing:
        return
    if not supernet_path(args).exists():
        raise SystemExit(f"{len(missing)} supernet scores are missing and so is the supernet "
                         f"file {supernet_path(args)}; delete {record_path(args)} to train it "
                         f"again (its scores are keyed by the new file's fingerprint)")
    file = load_supernet(supernet_path(args))
    if file.fingerprint != fingerprint:
        raise SystemExit(f"{file.path} is not the supernet {record_path(args)} records "
                         f"(fingerprint {file.fingerprint[:12]}, not {fingerprint[:12]}); "
                         f"delete both to train it again")
    data = get_data(file.proxy, resolution=file.proxy.resolution, seed=file.seed)
    for index, images_used in missing:
        job(supernet_score_path(args, fingerprint, archs[index], images_used), archs, index,
            f"supernet ({images_used} calibration images)",
            lambda: score_supernet(file, data, archs[index], images=images_used,
                                   threads=args.threads))


def run(args, archs) -> None:
    shard, shards = args.shard
    images = args.calibration_images
    if shard == 0:
        train_step(args)
    if shards == 1:
        mine = list(range(len(archs)))
    else:
        mine = [] if shard == 0 else [i for i in range(len(archs))
                                      if i % (shards - 1) == shard - 1]
    if shard == 0:
        score_with_supernet(args, archs, list(range(len(archs))), images)
    if not mine:
        return
    settings = trained_proxy_settings(args.data)
    protocol = settings.identity()
    data = get_data(settings, resolution=settings.resolution, seed=SEED)
    for index in mine:
        job(zero_cost_path(args, protocol, archs[index]), archs, index, "zero-cost",
            lambda: score_zero_cost(settings, data, archs[index], threads=args.threads))
    if args.trained_proxy:
        for index in mine:
            job(proxy_path(args, protocol, archs[index]), archs, index, "trained proxy",
                lambda: reference_table.measure(settings, data, archs[index], seed=SEED,
                                                threads=args.threads))
    if shard != 0:
        score_with_supernet(args, archs, mine, images)


# --- step 4: the summary --------------------------------------------------------------------

def bootstrap_seed(name: str) -> int:
    """The bootstrap's seed for one signal, from its name alone: adding a signal to the run
    leaves every other signal's interval as it was."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")


def mean(values) -> float | None:
    values = list(values)
    return round(statistics.mean(values), 3) if values else None


def load_results(args, archs) -> dict:
    """What exists: {signal file kind: {architecture index: document}}, and the record."""
    protocol = trained_proxy_settings(args.data).identity()
    record = read_json(record_path(args)) if record_path(args).exists() else None
    found: dict = {"zero-cost": {}, "proxy": {}, "supernet": {n: {} for n in
                                                              args.calibration_images}}
    for index, arch in enumerate(archs):
        for kind, path in (("zero-cost", zero_cost_path(args, protocol, arch)),
                           ("proxy", proxy_path(args, protocol, arch))):
            if path.exists():
                found[kind][index] = read_json(path)
        if record is not None and record.get("fingerprint"):
            for images in args.calibration_images:
                path = supernet_score_path(args, record["fingerprint"], arch, images)
                if path.exists():
                    found["supernet"][images][index] = read_json(path)
    return {"record": record, **found}


def signals_of(args, archs, found: dict, reference: dict[int, float]) -> tuple[dict, dict]:
    """({signal: {architecture index: value}}, {signal: CPU-s per candidate})."""
    signals: dict[str, dict[int, float]] = {}
    costs: dict[str, float | None] = {}
    record = found["record"]
    epochs = record["epochs"] if record else args.epochs
    for images, scores in found["supernet"].items():
        name = f"supernet ({epochs} epoch{'s' * (epochs != 1)}), {images} calibration images"
        signals[name] = {i: doc["accuracy"] for i, doc in scores.items()}
        costs[name] = mean(doc["cpu_seconds"] for doc in scores.values())
    proxy = found["proxy"]
    if proxy:
        total = min(len(doc["accuracy_per_epoch"]) for doc in proxy.values())
        for epoch in range(1, total + 1):
            name = f"trained proxy, epoch {epoch} of {total}"
            signals[name] = {i: doc["accuracy_per_epoch"][epoch - 1] for i, doc in proxy.items()}
            costs[name] = mean(doc["cpu_seconds"] * epoch / total for doc in proxy.values())
    zero = found["zero-cost"]
    zero_seconds = mean(doc["cpu_seconds"] for doc in zero.values())
    for proxy_name in ZERO_COST_PROXIES:
        name = f"zero-cost {proxy_name}"
        signals[name] = {i: doc["zero_cost"][proxy_name] for i, doc in zero.items()}
        costs[name] = zero_seconds
    cost = [count(arch) for arch in archs]
    signals["params"] = {i: c.params for i, c in enumerate(cost)}
    signals["FLOPs"] = {i: c.flops for i, c in enumerate(cost)}
    costs["params"] = costs["FLOPs"] = 0.0

    supernet = found["supernet"].get(CALIBRATION_IMAGES, {})
    supernet_seconds = mean(doc["cpu_seconds"] for doc in supernet.values())
    inputs = {
        "features": ([], set(range(len(archs)))),
        "features + zero-cost": (
            [lambda i: [zero[i]["zero_cost"][p] for p in ZERO_COST_PROXIES]], set(zero)),
        "features + zero-cost + supernet": (
            [lambda i: [zero[i]["zero_cost"][p] for p in ZERO_COST_PROXIES],
             lambda i: [supernet[i]["accuracy"]]], set(zero) & set(supernet))}
    for label, (parts, available) in inputs.items():
        indices = sorted(available & set(reference))
        if len(indices) < PREDICTOR_MINIMUM:
            continue
        rows = [architecture_features(archs[i]) + [v for part in parts for v in part(i)]
                for i in indices]
        name = f"learned predictor (leave-one-out): {label}"
        signals[name] = dict(zip(indices, predict_out_of_sample(rows, [reference[i]
                                                                      for i in indices])))
        costs[name] = round(("zero-cost" in label) * (zero_seconds or 0.0)
                            + ("supernet" in label) * (supernet_seconds or 0.0), 3)
    return signals, costs


def supernet_summary(record: dict | None) -> dict | None:
    if record is None:
        return None
    epoch_cpu = [entry["cpu_seconds"] for entry in record["epoch_costs"].values()]
    wall = [entry["seconds"] for entry in record["history"]]
    return {"epochs": record["epochs"], "epochs_done": record["epochs_done"],
            "complete": record["complete"], "fingerprint": record.get("fingerprint"),
            "params": record.get("params"),
            "training_cpu_hours": round(sum(epoch_cpu) / 3600, 3) if epoch_cpu else None,
            "epochs_with_cpu_seconds": len(epoch_cpu),
            "cpu_seconds_per_epoch": mean(epoch_cpu),
            "wall_seconds_per_epoch": mean(wall),
            "sessions": record["sessions"],
            "history": record["history"]}


def summarise(args, archs) -> None:
    table_archs = reference_table.table_architectures(TABLE_SIZE)
    accuracies = reference_table.load_table(table_archs,
                                            reference_table.reference_protocol(args.data))
    complete = {i: accs for i, accs in accuracies.items()
                if len(accs) == reference_table.SEEDS and i < len(archs)}
    reference = {i: statistics.mean(accs) for i, accs in complete.items()}
    found = load_results(args, archs)
    signals, costs = signals_of(args, archs, found, reference)
    enough = len(reference) >= MINIMUM
    rows = []
    for name, values in signals.items():
        indices = sorted(set(values) & set(reference))
        row = {"signal": name, "n": len(indices), "Spearman": None, "rho 95% CI": None,
               "Kendall": None, "tau 95% CI": None, "CPU-s / candidate": costs.get(name)}
        if enough and len(indices) >= MINIMUM:
            result = fidelity([values[i] for i in indices], [reference[i] for i in indices],
                              bootstrap=BOOTSTRAP, seed=bootstrap_seed(name))
            row.update({"Spearman": result["spearman"], "rho 95% CI": result["spearman_ci"],
                        "Kendall": result["kendall"], "tau 95% CI": result["kendall_ci"]})
        rows.append(row)
    supernet = supernet_summary(found["record"])
    score_seconds = mean(doc["cpu_seconds"]
                         for doc in found["supernet"].get(CALIBRATION_IMAGES, {}).values())
    proxy_seconds = mean(doc["cpu_seconds"] for doc in found["proxy"].values())
    break_even = None
    if supernet and supernet["training_cpu_hours"] and score_seconds is not None \
            and proxy_seconds is not None and proxy_seconds > score_seconds:
        break_even = round(supernet["training_cpu_hours"] * 3600
                           / (proxy_seconds - score_seconds), 1)
    calibration = found["supernet"]
    agreement = {}  # every other calibration count's scores against the default's
    for images in sorted(set(calibration) - {CALIBRATION_IMAGES}):
        shared = sorted(set(calibration.get(CALIBRATION_IMAGES, {})) & set(calibration[images]))
        if len(shared) >= MINIMUM:
            agreement[f"{images} vs {CALIBRATION_IMAGES} images"] = fidelity(
                [calibration[images][i]["accuracy"] for i in shared],
                [calibration[CALIBRATION_IMAGES][i]["accuracy"] for i in shared],
                bootstrap=BOOTSTRAP, seed=bootstrap_seed(f"calibration {images}"))
    extra = {
        "command": "benchmarks/supernet_fidelity.py " + " ".join(sys.argv[1:]),
        "space": SPACE, "data": args.data,
        "reference_protocol": dataclasses.asdict(reference_table.reference_protocol(args.data)),
        "trained_proxy_protocol": dataclasses.asdict(trained_proxy_settings(args.data)),
        "complete_reference_architectures": len(reference),
        "reference_means": {str(i): round(reference[i], 5) for i in sorted(reference)},
        "noise_ceiling": reference_table.noise_ceiling(complete) if enough else None,
        "supernet": supernet,
        "cpu_seconds_per_candidate": {
            "supernet score": score_seconds, "trained proxy": proxy_seconds,
            "zero-cost (all four)": mean(doc["cpu_seconds"]
                                         for doc in found["zero-cost"].values())},
        "break_even_candidates": break_even,
        "calibration_agreement": agreement or None,
        "units": {
            "Spearman, Kendall": "unitless rank correlations with the reference 3-seed mean "
                                 "validation accuracy; CIs: 95 % percentile bootstrap over "
                                 "architectures",
            "CPU-s / candidate": "CPU-seconds of this process (all threads) per architecture, "
                                 "supernet training excluded; trained proxy before its last "
                                 "epoch pro rata; zero-cost: all four scores together; "
                                 "learned predictor: its inputs' scores (its fit needs the "
                                 "reference trainings of the other architectures)",
            "FLOPs": "fvcore convention, one fused multiply-add = one FLOP, at 224 px and "
                     "1,000 classes",
            "break_even_candidates": "candidates from which supernet training + scoring costs "
                                     "fewer CPU-seconds than a trained proxy each"},
        "architectures": [to_dict(arch) for arch in archs],
        "flops": [count(arch).flops for arch in archs],
        "signals": {name: {str(i): values[i] for i in sorted(values)}
                    for name, values in signals.items()}}
    if not enough:
        print(f"only {len(reference)} architectures of the reference table have all "
              f"{reference_table.SEEDS} seeds (at least {MINIMUM} needed): correlations skipped")
    report("supernet_fidelity",
           f"Supernet fidelity on {args.data}: signals against the 3-seed means of "
           f"{len(reference)} reference architectures (ρ, τ unitless; CPU-s per candidate; "
           f"FLOPs: fvcore, one fused multiply-add = one FLOP, at 224 px)", rows, extra=extra,
           directory=args.results.parent)
    print(json.dumps({key: extra[key] for key in (
        "complete_reference_architectures", "noise_ceiling", "cpu_seconds_per_candidate",
        "break_even_candidates", "calibration_agreement")}, indent=1))
    if supernet is not None:
        print(json.dumps({key: supernet[key] for key in (
            "epochs", "epochs_done", "complete", "training_cpu_hours", "cpu_seconds_per_epoch",
            "wall_seconds_per_epoch")}, indent=1))


def shard_argument(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)/(\d+)", text)
    if match is None or not int(match.group(1)) < int(match.group(2)):
        raise argparse.ArgumentTypeError(f"--shard must be I/N with 0 <= I < N, but got "
                                         f"{text!r}")
    return int(match.group(1)), int(match.group(2))


def images_argument(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"--calibration-images must be positive integers "
                                         f"separated by commas, but got {text!r}")
    return values


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Units: Spearman ρ and Kendall τ unitless; costs in CPU-seconds per candidate "
               "(supernet training in CPU-hours); FLOPs: fvcore, one fused multiply-add = one "
               "FLOP, at 224 px.")
    parser.add_argument("--epochs", type=int, default=30, help="supernet epochs (default 30)")
    parser.add_argument("--shard", type=shard_argument, default=(0, 1),
                        help="I/N; with N > 1, shard 0 trains the supernet and scores with it, "
                             "shards 1..N-1 share the other per-architecture jobs")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--samples", type=int, default=TABLE_SIZE,
                        help=f"score the first K architectures of the {TABLE_SIZE}-architecture "
                             f"reference table")
    parser.add_argument("--trained-proxy", action=argparse.BooleanOptionalAction, default=True,
                        help="also train the default proxy (32 px, width 0.5, 1 stride "
                             "removed, 4 epochs) per architecture")
    parser.add_argument("--calibration-images", type=images_argument,
                        default=[CALIBRATION_IMAGES, *EXTRA_CALIBRATION_IMAGES],
                        help="batch-norm calibration images of the supernet scores "
                             f"(default {CALIBRATION_IMAGES},"
                             f"{','.join(map(str, EXTRA_CALIBRATION_IMAGES))})")
    parser.add_argument("--data", default=f"npz:{reference_table.SHARED_CIFAR}")
    parser.add_argument("--results", type=Path, default=RESULTS / "supernet_fidelity",
                        help="results folder; the summary is written next to it")
    parser.add_argument("--report", action="store_true", help="only summarise what exists")
    args = parser.parse_args()
    if not 1 <= args.samples <= TABLE_SIZE:
        parser.error(f"--samples must be between 1 and {TABLE_SIZE}, but got {args.samples}")
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, but got {args.epochs}")
    args.results = args.results.resolve()
    archs = reference_table.table_architectures(TABLE_SIZE)[:args.samples]
    if not args.report:
        run(args, archs)
    summarise(args, archs)


if __name__ == "__main__":
    main()
