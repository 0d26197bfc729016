"""Rank fidelity on CIFAR-10k: how well do cheap proxy protocols rank architectures of the
EfficientNet-B0 space, against a stronger reference protocol?

This is ``nas rank-check`` run on the shared CIFAR-10 subset, with several cheap protocols
scored against one shared reference (``nas rank-check`` itself compares one proxy at a time,
and training the reference is most of the cost). N architectures are drawn from the space by
:func:`nas.search.sample_architectures` (spread evenly over target FLOPs, fvcore: one fused
multiply-add = one FLOP, at 224 px). Every architecture is trained under each protocol with
training seed 0; a few (evenly spaced, interior) are trained again with seed 1 for seed noise.
Zero-cost scores are taken at initialisation on the first cheap protocol's network.

Protocols (all: the shared split with validation fraction 0.2, i.e. 8,000 training and 2,000
validation images; SGD, cosine, label smoothing 0.1, batch 64 as ``TrainConfig()``):
- ``reference``: 40 px with the first stride removed (the feature-map geometry of an 80 px
  input, at which every kernel choice of the space changes the function), width 0.5, 6 epochs.
- ``stride-adapted``: 32 px with the first stride removed (geometry of 64 px), width 0.5,
  4 epochs: the search's default since (``ProxySettings()``).
- ``default-32px``: the search's default before this benchmark: 32 px, width 1, 5 epochs.

Each measurement is written to its own JSON file as soon as it exists, so runs resume and
``--shard I/N`` processes can share the work (one per core, ``--threads 1``).

Usage: .venv/bin/python benchmarks/rank_fidelity.py [--samples 16] [--repeats 2]
       [--protocols reference,stride-adapted,default-32px] [--shard 0/1] [--threads 1]
       [--report]
Writes benchmarks/results/rank_fidelity.json (and one file per measurement under
benchmarks/results/rank_fidelity/).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, report, write_json  # noqa: E402

from nas.arch import to_dict  # noqa: E402
from nas.cost import count  # noqa: E402
from nas.data import load_data  # noqa: E402
from nas.model import build_model  # noqa: E402
from nas.scoring import ProxySettings, ZERO_COST_PROXIES, proxy_arch, zero_cost_scores  # noqa: E402
from nas.search import fidelity, sample_architectures  # noqa: E402
from nas.space import load_space  # noqa: E402
from nas.study import derived_seed  # noqa: E402
from nas.train import TrainConfig, fit  # noqa: E402

SHARED_CIFAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10_jpeg_10k.npz"
MEASUREMENTS = RESULTS / "rank_fidelity"
SIGNAL_LOW, SIGNAL_HIGH = 200_000_000, 600_000_000


def protocols(data: str) -> dict[str, ProxySettings]:
    def settings(epochs: int, **changes) -> ProxySettings:
        return ProxySettings(data=data, train=dataclasses.replace(TrainConfig(), epochs=epochs),
                             **changes)

    return {"reference": settings(6, resolution=40, width=0.5, strides_removed=1),
            "stride-adapted": settings(4, resolution=32, width=0.5, strides_removed=1),
            "default-32px": settings(5, resolution=32, width=1.0, strides_removed=0)}


def job_list(names: list[str], samples: int, repeats: int) -> list[tuple[str, int, int]]:
    """(protocol, architecture, seed): seed 0 of every architecture for each protocol in turn
    (the reference first), then seed 1 of the ``repeats`` interior architectures."""
    again = sorted({round((k + 1) * (samples - 1) / (repeats + 1)) for k in range(repeats)})
    jobs = [(name, index, 0) for name in names for index in range(samples)]
    return jobs + [(name, index, 1) for index in again for name in names]


def measurement_path(name: str, settings: ProxySettings, arch, seed: int) -> Path:
    key = json.dumps({"protocol": dataclasses.asdict(settings), "arch": to_dict(arch),
                      "seed": seed}, sort_keys=True, default=str)
    return MEASUREMENTS / f"{name}-{hashlib.sha1(key.encode()).hexdigest()[:16]}.json"


_DATA: dict[int, object] = {}


def measure(settings: ProxySettings, arch, *, seed: int, threads: int, zero_cost: bool) -> dict:
    if settings.resolution not in _DATA:
        _DATA[settings.resolution] = load_data(
            settings.data, resolution=settings.resolution, seed=0,
            validation_fraction=settings.validation_fraction, train_size=settings.train_size,
            test=False)
    data = _DATA[settings.resolution]
    network = proxy_arch(arch, num_classes=data.num_classes, resolution=data.resolution,
                         width=settings.width, strides_removed=settings.strides_removed)
    result = {}
    if zero_cost:
        torch.set_num_threads(threads)
        start = time.process_time()
        result["zero_cost"] = zero_cost_scores(network, data, names=ZERO_COST_PROXIES, seed=seed)
        result["zero_cost_cpu_seconds"] = round(time.process_time() - start, 2)
    torch.manual_seed(seed)
    model = build_model(network)
    config = dataclasses.replace(settings.train, seed=seed, threads=threads)
    wall, cpu = time.perf_counter(), time.process_time()
    fitted = fit(model, data, config)
    return {**result, "accuracy": fitted.accuracy,
            "accuracy_per_epoch": [entry.validation_accuracy for entry in fitted.history],
            "wall_seconds": round(time.perf_counter() - wall, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2)}


def run(args, archs, settings: dict[str, ProxySettings], names: list[str]) -> None:
    shard, shards = (int(part) for part in args.shard.split("/"))
    MEASUREMENTS.mkdir(parents=True, exist_ok=True)
    for number, (name, index, repeat) in enumerate(job_list(names, args.samples, args.repeats)):
        if number % shards != shard:
            continue
        seed = derived_seed(0, index, repeat)
        path = measurement_path(name, settings[name], archs[index], seed)
        if path.exists():
            continue
        result = measure(settings[name], archs[index], seed=seed, threads=args.threads,
                         zero_cost=(name == names[1] and repeat == 0))
        document = {"protocol": name, "architecture": index, "repeat": repeat, "seed": seed,
                    **result}
        write_json(path, document)
        print(f"{name} arch {index} seed {repeat}: accuracy {result['accuracy']:.4f}, "
              f"{result['cpu_seconds']:.0f} CPU-s", flush=True)


def load(archs, settings, names, samples) -> dict:
    found = {}
    for name in names:
        for index in range(samples):
            for repeat in (0, 1):
                path = measurement_path(name, settings[name], archs[index],
                                        derived_seed(0, index, repeat))
                if path.exists():
                    found[(name, index, repeat)] = json.loads(path.read_text())
    return found


def summarise(args, archs, settings, names) -> None:
    found = load(archs, settings, names, args.samples)
    flops = [count(arch).flops for arch in archs]
    params = [count(arch).params for arch in archs]
    cheap = [name for name in names if name != "reference"]
    rows, noise = [], {}
    for name in cheap:
        indices = [i for i in range(args.samples)
                   if ("reference", i, 0) in found and (name, i, 0) in found]
        if len(indices) < 4:
            continue
        reference = [found[("reference", i, 0)]["accuracy"] for i in indices]
        epochs = min(len(found[(name, i, 0)]["accuracy_per_epoch"]) for i in indices)
        signals = {f"{name} accuracy, epoch {e}": [
            found[(name, i, 0)]["accuracy_per_epoch"][e - 1] for i in indices]
            for e in range(1, epochs + 1)}
        if all("zero_cost" in found[(name, i, 0)] for i in indices):
            for proxy in ZERO_COST_PROXIES:
                signals[f"zero-cost {proxy}"] = [found[(name, i, 0)]["zero_cost"][proxy]
                                                 for i in indices]
        if name == cheap[0]:
            signals["params"] = [params[i] for i in indices]
            signals["FLOPs"] = [flops[i] for i in indices]
        for number, (signal, values) in enumerate(signals.items()):
            rows.append({"signal": signal, **fidelity(values, reference, bootstrap=1000,
                                                      seed=number)})
    for name in names:
        pairs = [(found[(name, i, 0)]["accuracy"], found[(name, i, 1)]["accuracy"])
                 for i in range(args.samples) if (name, i, 0) in found and (name, i, 1) in found]
        seconds = [value["cpu_seconds"] for key, value in found.items() if key[0] == name]
        seed_std = math.sqrt(statistics.mean((a - b) ** 2 / 2 for a, b in pairs)) \
            if pairs else None
        window = [found[(name, i, 0)]["accuracy"] for i in range(args.samples)
                  if (name, i, 0) in found and SIGNAL_LOW <= flops[i] <= SIGNAL_HIGH]
        noise[name] = {
            "architectures": sum((name, i, 0) in found for i in range(args.samples)),
            "seed pairs": len(pairs),
            "seed std %": None if seed_std is None else round(100 * seed_std, 2),
            "std of architectures % (200-600 MFLOPs)": round(100 * statistics.stdev(window), 2)
            if len(window) > 1 else None,
            "signal ratio": round(statistics.stdev(window) / seed_std, 2)
            if seed_std and len(window) > 1 else None,
            "accuracy range %": [round(100 * min(v["accuracy"] for k, v in found.items()
                                                 if k[0] == name), 1),
                                 round(100 * max(v["accuracy"] for k, v in found.items()
                                                 if k[0] == name), 1)] if seconds else None,
            "CPU-s / architecture": round(statistics.mean(seconds), 1) if seconds else None}
    table = [{"signal": row["signal"], "n": row["n"], "Spearman": row["spearman"],
              "rho 95% CI": row["spearman_ci"], "Kendall": row["kendall"],
              "tau 95% CI": row["kendall_ci"]} for row in rows]
    report("rank_fidelity",
           f"Rank fidelity against the reference on {args.data} ({args.samples} architectures "
           f"of the B0 space, {min(flops) / 1e6:.0f}-{max(flops) / 1e6:.0f} MFLOPs at 224 px; "
           f"FLOPs: fvcore, one fused multiply-add = one FLOP)", table,
           extra={"protocols": {name: dataclasses.asdict(settings[name]) for name in names},
                  "noise": noise, "architectures": [to_dict(arch) for arch in archs],
                  "flops": flops})
    print(json.dumps(noise, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--protocols", default="reference,stride-adapted,default-32px")
    parser.add_argument("--shard", default="0/1", help="I/N: run every N-th job from the I-th")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", default=f"npz:{SHARED_CIFAR}")
    parser.add_argument("--report", action="store_true", help="only summarise what exists")
    args = parser.parse_args()
    settings = protocols(args.data)
    names = args.protocols.split(",")
    if names[0] != "reference" or any(name not in settings for name in names):
        parser.error(f"--protocols must start with reference and name only "
                     f"{', '.join(settings)}, but got {args.protocols!r}")
    archs = sample_architectures(load_space("efficientnet_b0"), args.samples, seed=0)
    if not args.report:
        run(args, archs, settings, names)
    summarise(args, archs, settings, names)


if __name__ == "__main__":
    main()
