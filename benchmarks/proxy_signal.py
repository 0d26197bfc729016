"""Proxy signal: does the search's default proxy protocol tell architectures apart beyond seed
noise?

N architectures of the EfficientNet-B0 space with target FLOPs (fvcore: one fused multiply-add =
one FLOP, at 224 px) in [200M, 600M] — B0 itself plus random ones spread evenly over FLOPs — are
each trained with the default proxy protocol (``ProxySettings()``: 32 px with the first stride
removed, width 0.5, 4 epochs, SGD, cosine; before issue 9 it was 32 px, width 1, 5 epochs) under S training seeds on the shared CIFAR-10 subset (validation split fixed by
split seed 0; the seeds change weights, batch order and augmentation). The signal is the std of
the architecture means divided by the mean per-architecture seed std (issue 9's target: >= 3).

Every (architecture, seed, protocol) result is kept in the JSON as soon as it is measured, so a
re-run continues where the last one stopped and never trains the same network twice.

Usage: .venv/bin/python benchmarks/proxy_signal.py [--archs 8] [--seeds 3] [--epochs 5]
       [--train-size N] [--threads 1] [--data npz:FILE]
Writes benchmarks/results/proxy_signal.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

import numpy
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, report, write_json  # noqa: E402

from nas.arch import encode, to_dict  # noqa: E402
from nas.cost import count  # noqa: E402
from nas.data import load_data  # noqa: E402
from nas.model import build_model  # noqa: E402
from nas.scoring import ProxySettings, proxy_arch  # noqa: E402
from nas.space import load_space  # noqa: E402
from nas.train import fit  # noqa: E402

SHARED_CIFAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10_jpeg_10k.npz"
LOW, HIGH = 200_000_000, 600_000_000


def architectures(count_wanted: int, *, seed: int = 0) -> list:
    """B0 plus ``count_wanted - 1`` random members of the B0 space in [LOW, HIGH] FLOPs, picked
    at evenly spaced FLOPs quantiles of 2,000 random draws."""
    space = load_space("efficientnet_b0")
    rng = numpy.random.default_rng(seed)
    pool = {}
    for _ in range(2000):
        params = space.random_params(rng)
        arch = space.arch(params)
        flops = count(arch).flops
        if LOW <= flops <= HIGH:
            pool[json.dumps(to_dict(arch), sort_keys=True)] = (flops, arch)
    ranked = sorted(pool.values(), key=lambda item: item[0])
    picks = [ranked[round(i * (len(ranked) - 1) / max(1, count_wanted - 2))][1]
             for i in range(count_wanted - 1)]
    return [space.baseline(), *picks]


def measure(arch, *, proxy: ProxySettings, data, seed: int, threads: int) -> dict:
    torch.manual_seed(seed)
    model = build_model(proxy_arch(arch, num_classes=data.num_classes,
                                   resolution=data.resolution, width=proxy.width,
                                   strides_removed=proxy.strides_removed))
    config = dataclasses.replace(proxy.train, seed=seed, threads=threads)
    wall, cpu = time.perf_counter(), time.process_time()
    result = fit(model, data, config)
    return {"accuracy": result.accuracy,
            "accuracy_per_epoch": [entry.validation_accuracy for entry in result.history],
            "wall_seconds": round(time.perf_counter() - wall, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=ProxySettings().train.epochs)
    parser.add_argument("--train-size", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", default=f"npz:{SHARED_CIFAR}")
    args = parser.parse_args()
    defaults = ProxySettings()
    proxy = dataclasses.replace(defaults, data=args.data, train_size=args.train_size,
                                train=dataclasses.replace(defaults.train, epochs=args.epochs))
    protocol = {key: value for key, value in dataclasses.asdict(proxy).items() if key != "data"}
    path = RESULTS / "proxy_signal.json"
    cache = json.loads(path.read_text()).get("measurements", {}) if path.exists() else {}
    data = load_data(proxy.data, resolution=proxy.resolution, seed=0,
                     validation_fraction=proxy.validation_fraction, train_size=proxy.train_size)
    rows, measurements = [], dict(cache)
    for index, arch in enumerate(architectures(args.archs)):
        results = []
        for seed in range(args.seeds):
            key = json.dumps({"arch": to_dict(arch), "seed": seed, "protocol": protocol},
                             sort_keys=True, default=str)
            if key not in measurements:
                measurements[key] = measure(arch, proxy=proxy, data=data, seed=seed,
                                            threads=args.threads)
                write_json(path, {"measurements": measurements})
                print(f"arch {index} seed {seed}: accuracy "
                      f"{measurements[key]['accuracy']:.4f}, "
                      f"{measurements[key]['cpu_seconds']:.0f} CPU-s", flush=True)
            results.append(measurements[key])
        accuracies = [r["accuracy"] for r in results]
        rows.append({"arch": "B0" if index == 0 else f"random {index}",
                     "MFLOPs": round(count(arch).flops / 1e6, 1),
                     "mean acc %": round(100 * statistics.mean(accuracies), 2),
                     "seed std %": round(100 * statistics.stdev(accuracies), 2)
                     if len(accuracies) > 1 else None,
                     "CPU-s/trial": round(statistics.mean(r["cpu_seconds"] for r in results), 1),
                     "blocks": " ".join(encode(stage) for stage in arch.stages)})
    means = [row["mean acc %"] for row in rows]
    seed_std = statistics.mean(row["seed std %"] for row in rows) if args.seeds > 1 else None
    spread = statistics.stdev(means)
    summary = {"std of architecture means %": round(spread, 3),
               "mean seed std %": None if seed_std is None else round(seed_std, 3),
               "signal ratio": None if not seed_std else round(spread / seed_std, 2),
               "archs": args.archs, "seeds": args.seeds, "protocol": protocol,
               "data": args.data, "threads": args.threads}
    report("proxy_signal", f"Proxy signal on {args.data} ({args.archs} architectures x "
           f"{args.seeds} seeds; FLOPs: fvcore, one fused multiply-add = one FLOP, at 224 px)",
           [{k: v for k, v in row.items() if k != "blocks"} for row in rows],
           extra={"summary": summary, "architectures": rows, "measurements": measurements})
    print(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    main()
