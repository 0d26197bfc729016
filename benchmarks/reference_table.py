"""The reference table: architectures of the EfficientNet-B0 space trained with 3 seeds each
under a reference protocol, so that cheap signals (trained proxies, a supernet, zero-cost
scores, a learned predictor) can be judged against 3-seed means, with the table's own noise
ceiling stated.

Architectures (``--samples`` 24 by default, drawn once with seed 0 from 2,000 random draws of
the B0 space; FLOPs are fvcore's count, one fused multiply-add = one FLOP, at 224 px and 1,000
classes): EfficientNet-B0 itself, half of the rest evenly spaced over the FLOPs quantiles of
the draws within 300-450 MFLOPs, the other half evenly spaced over 100-600 MFLOPs outside that
window. So at least half lie within 300-450 MFLOPs, where a 400 MFLOP search decides.

Reference protocol (``REFERENCE``): the shared CIFAR-10 subset split with validation fraction
0.2 (8,000 training / 2,000 validation images), 40 px with the first stride removed (the
feature-map geometry of an 80 px input, where every kernel choice of the space changes the
function), width 0.5, 6 epochs, ``TrainConfig()`` otherwise (SGD, cosine, label smoothing 0.1,
batch 64): the protocol of ``rank_fidelity.py``'s earlier reference, now with 3 seeds.

Jobs run architecture by architecture (all 3 seeds of one before the next), so a partial table
holds complete 3-seed entries. Each training is written to its own JSON file under
``benchmarks/results/reference/`` as soon as it exists (committed), so runs resume and
``--shard I/N`` processes share the work (one per core, ``--threads 1``).

The noise ceiling: seeds are split into halves (seed 0 vs the mean of seeds 1 and 2, and the
other two assignments), Kendall τ between the halves' architecture rankings is averaged, and
stepped up to the full 3-seed mean by Spearman-Brown (τ_full ≈ 3τ/(1 + 2τ) of the one-seed vs
two-seed τ is only a guide; both the raw split-half τ and that estimate are reported). No signal
can be shown to rank better than this ceiling.

Usage: .venv/bin/python benchmarks/reference_table.py [--samples 24] [--shard 0/1]
       [--threads 1] [--report]
Writes benchmarks/results/reference_table.json (the summary, with the command that made it).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

import numpy
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, report, write_json  # noqa: E402

from nas.arch import to_dict  # noqa: E402
from nas.cost import count  # noqa: E402
from nas.data import load_data  # noqa: E402
from nas.model import build_model  # noqa: E402
from nas.scoring import ProxySettings, evaluate, proxy_arch  # noqa: E402
from nas.space import load_space  # noqa: E402
from nas.study import derived_seed  # noqa: E402
from nas.train import RECIPE_DEFAULTS, TrainConfig, fit  # noqa: E402

SHARED_CIFAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10_jpeg_10k.npz"
MEASUREMENTS = RESULTS / "reference"
SEEDS = 3
WINDOW = (300_000_000, 450_000_000)
RANGE = (100_000_000, 600_000_000)
DRAWS = 2000


def reference_protocol(data: str) -> ProxySettings:
    return ProxySettings(data=data, resolution=40, width=0.5, strides_removed=1,
                         train=dataclasses.replace(TrainConfig(), epochs=6))


def table_architectures(samples: int) -> list:
    """B0, then the others in an order that covers the FLOPs range early (every prefix of
    the job list is a usable, spread-out table)."""
    space = load_space("efficientnet_b0")
    baseline = space.arch(space.baseline_params())
    rng = numpy.random.default_rng(0)
    pool: dict[str, tuple[int, object]] = {}
    for _ in range(DRAWS):
        arch = space.arch(space.random_params(rng))
        flops = count(arch).flops
        if RANGE[0] <= flops <= RANGE[1] and arch != baseline:
            pool.setdefault(json.dumps(to_dict(arch), sort_keys=True), (flops, arch))
    ranked = sorted(pool.values(), key=lambda item: item[0])
    inside = [a for f, a in ranked if WINDOW[0] <= f <= WINDOW[1]]
    outside = [a for f, a in ranked if not WINDOW[0] <= f <= WINDOW[1]]
    rest = samples - 1
    n_inside = (rest + 1) // 2

    def spread(items, n):
        return [items[round(i * (len(items) - 1) / max(1, n - 1))] for i in range(n)]

    chosen_inside, chosen_outside = spread(inside, n_inside), spread(outside, rest - n_inside)
    interleaved = [a for pair in itertools.zip_longest(chosen_inside, chosen_outside)
                   for a in pair if a is not None]
    return [baseline, *interleaved]


def _protocol_key(protocol: dict) -> str:
    """The protocol without the data file's location (a clone elsewhere finds the same
    measurements; the data is the shared subset either way), and without training fields at
    the values that mean "off" (fields added later, absent from older measurements)."""
    train = {key: value for key, value in protocol["train"].items()
             if not (key in RECIPE_DEFAULTS and value == RECIPE_DEFAULTS[key])}
    return json.dumps({**protocol, "train": train, "data": Path(str(protocol["data"])).name},
                      sort_keys=True, default=str)


def _measurement_key(protocol: dict, arch: dict, seed: int) -> str:
    return json.dumps({"protocol": _protocol_key(protocol), "arch": arch, "seed": seed},
                      sort_keys=True, default=str)


def measurement_path(settings: ProxySettings, arch, seed: int) -> Path:
    key = _measurement_key(dataclasses.asdict(settings), to_dict(arch), seed)
    return MEASUREMENTS / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}.json"


def measurements(folder: Path = MEASUREMENTS) -> dict[str, dict]:
    """Every finished measurement in ``folder`` by its key (protocol without the data's folder,
    architecture, seed), read from the files themselves, whatever their names."""
    found = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        document = json.loads(path.read_text())
        found[_measurement_key(document["protocol"], document["arch"], document["seed"])] = \
            document
    return found


def measure(settings: ProxySettings, data, arch, *, seed: int, threads: int) -> dict:
    network = proxy_arch(arch, num_classes=data.num_classes, resolution=data.resolution,
                         width=settings.width, strides_removed=settings.strides_removed)
    torch.manual_seed(seed)
    model = build_model(network)
    config = dataclasses.replace(settings.train, seed=seed, threads=threads)
    wall, cpu = time.perf_counter(), time.process_time()
    fitted = fit(model, data, config)
    wall, cpu = round(time.perf_counter() - wall, 2), round(time.process_time() - cpu, 2)
    after = evaluate(model, data)  # the same validation images, without the 0/1 threshold
    return {"accuracy": fitted.accuracy, "loss": round(after.loss, 5),
            "correct_probability": round(after.correct_probability, 5),
            "accuracy_per_epoch": [entry.validation_accuracy for entry in fitted.history],
            "wall_seconds": wall, "cpu_seconds": cpu}


def run(args, archs, settings: ProxySettings) -> None:
    shard, shards = (int(part) for part in args.shard.split("/"))
    MEASUREMENTS.mkdir(parents=True, exist_ok=True)
    data = None
    jobs = [(index, repeat) for index in range(len(archs)) for repeat in range(SEEDS)]
    protocol = dataclasses.asdict(settings)
    for number, (index, repeat) in enumerate(jobs):
        if number % shards != shard:
            continue
        seed = derived_seed(0, index, repeat)
        path = measurement_path(settings, archs[index], seed)
        if _measurement_key(protocol, to_dict(archs[index]), seed) in measurements():
            continue
        if data is None:
            data = load_data(settings.data, resolution=settings.resolution, seed=0,
                             validation_fraction=settings.validation_fraction,
                             train_size=settings.train_size, test=False)
        result = measure(settings, data, archs[index], seed=seed, threads=args.threads)
        document = {"architecture": index, "arch": to_dict(archs[index]), "repeat": repeat,
                    "seed": seed, "protocol": dataclasses.asdict(settings), **result}
        write_json(path, document)
        print(f"arch {index} seed {repeat}: accuracy {result['accuracy']:.4f}, "
              f"{result['cpu_seconds']:.0f} CPU-s", flush=True)


def load_table(archs=None, settings: ProxySettings | None = None) -> dict[int, list[float]]:
    """{architecture index: accuracies of its finished seeds, in seed order}."""
    archs = archs if archs is not None else table_architectures(24)
    settings = settings or reference_protocol(f"npz:{SHARED_CIFAR}")
    found: dict[int, list[float]] = {}
    done, protocol = measurements(), dataclasses.asdict(settings)
    for index, arch in enumerate(archs):
        for repeat in range(SEEDS):
            key = _measurement_key(protocol, to_dict(arch), derived_seed(0, index, repeat))
            if key in done:
                found.setdefault(index, []).append(done[key]["accuracy"])
    return found


def noise_ceiling(complete: dict[int, list[float]]) -> dict:
    """Split-half agreement of the table with itself (see the module docstring)."""
    from scipy.stats import kendalltau

    indices = sorted(complete)
    taus = []
    for single in range(SEEDS):
        others = [seed for seed in range(SEEDS) if seed != single]
        one = [complete[i][single] for i in indices]
        two = [statistics.mean(complete[i][s] for s in others) for i in indices]
        taus.append(kendalltau(one, two).statistic)
    tau = statistics.mean(taus)
    return {"split_half_kendall_tau": round(tau, 3),
            "split_half_kendall_tau_each": [round(t, 3) for t in taus],
            "stepped_up_tau_estimate": round(3 * tau / (1 + 2 * tau), 3) if tau > -0.5 else None}


def summarise(args, archs, settings) -> None:
    found = load_table(archs, settings)
    complete = {i: accs for i, accs in found.items() if len(accs) == SEEDS}
    rows = []
    for index, arch in enumerate(archs):
        accs = found.get(index, [])
        cost = count(arch)
        rows.append({"architecture": index, "MFLOPs (fvcore, 224 px)": round(cost.flops / 1e6, 1),
                     "params (M)": round(cost.params / 1e6, 2), "seeds": len(accs),
                     "mean accuracy %": round(100 * statistics.mean(accs), 2) if accs else None,
                     "seed std pp": round(100 * statistics.stdev(accs), 2)
                     if len(accs) > 1 else None})
    stds = [statistics.stdev(a) for a in complete.values()]
    means = [statistics.mean(a) for a in complete.values()]
    extra = {
        "command": "benchmarks/reference_table.py " + " ".join(sys.argv[1:]),
        "protocol": dataclasses.asdict(settings), "seeds": SEEDS,
        "complete_architectures": len(complete),
        "architectures": [to_dict(arch) for arch in archs],
        "flops": [count(arch).flops for arch in archs],
        "accuracies": {str(i): found[i] for i in sorted(found)},
        "pooled_seed_std_pp": round(100 * statistics.mean(s * s for s in stds) ** 0.5, 2)
        if stds else None,
        "std_of_means_pp": round(100 * statistics.stdev(means), 2) if len(means) > 1 else None,
        "cpu_seconds_per_training": round(statistics.mean(
            json.loads(p.read_text())["cpu_seconds"] for p in MEASUREMENTS.glob("*.json")), 1)
        if MEASUREMENTS.is_dir() and any(MEASUREMENTS.glob("*.json")) else None}
    if len(complete) >= 4:
        extra["noise_ceiling"] = noise_ceiling(complete)
    report("reference_table",
           f"Reference table on {settings.data} ({len(complete)} of {len(archs)} architectures "
           f"with {SEEDS} seeds; FLOPs: fvcore, one fused multiply-add = one FLOP)", rows,
           extra=extra)
    print(json.dumps({key: extra[key] for key in ("complete_architectures", "pooled_seed_std_pp",
                                                  "std_of_means_pp", "cpu_seconds_per_training")
                      }, indent=1))
    if "noise_ceiling" in extra:
        print(json.dumps(extra["noise_ceiling"], indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=24)
    parser.add_argument("--shard", default="0/1", help="I/N: run every N-th job from the I-th")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", default=f"npz:{SHARED_CIFAR}")
    parser.add_argument("--report", action="store_true", help="only summarise what exists")
    args = parser.parse_args()
    settings = reference_protocol(args.data)
    archs = table_architectures(args.samples)
    if not args.report:
        run(args, archs, settings)
    summarise(args, archs, settings)


if __name__ == "__main__":
    main()
