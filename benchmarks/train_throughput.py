"""Training-step throughput of the EfficientNet-B0 proxy, and a default trial's overhead.

1. img/s of full training steps (forward, backward, SGD step) of B0 with a 10-class head at
   32×32 px, batch 128, fp32, 2 torch threads, in channels_last and NCHW. The two formats are
   measured alternately in the same run (rounds × steps each), so machine noise hits both alike.
2. One default search trial (the B0 baseline on digits, default proxy protocol) run through
   ``nas search``'s own code: the share of its wall time spent outside forward/backward/step
   (data batching and augmentation, evaluation, cost counting, storage writes).

Usage: .venv/bin/python benchmarks/train_throughput.py [--rounds 5] [--steps 10]
Writes benchmarks/results/train_throughput.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402

from nas.arch import preset  # noqa: E402
from nas.model import build_model  # noqa: E402


def steps_per_second(model, memory_format, *, steps: int, batch: int = 128) -> float:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    loss_function = torch.nn.CrossEntropyLoss()
    images = torch.randn(batch, 3, 32, 32).contiguous(memory_format=memory_format)
    labels = torch.randint(0, 10, (batch,))
    for step in range(steps + 2):  # two warm-up steps
        if step == 2:
            start = time.perf_counter()
        loss = loss_function(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return batch * steps / (time.perf_counter() - start)


def throughput(rounds: int, steps: int) -> list[dict]:
    arch = dataclasses.replace(preset("efficientnet-b0"), resolution=32, num_classes=10)
    formats = {"channels_last": torch.channels_last, "NCHW": torch.contiguous_format}
    models = {}
    for name, memory_format in formats.items():
        torch.manual_seed(0)
        models[name] = build_model(arch).train().to(memory_format=memory_format)
    samples: dict[str, list[float]] = {name: [] for name in formats}
    for _ in range(rounds):
        for name, memory_format in formats.items():
            samples[name].append(steps_per_second(models[name], memory_format, steps=steps))
    return [{"memory format": name, "img/s (median)": round(statistics.median(values), 1),
             "img/s (best)": round(max(values), 1), "rounds": rounds}
            for name, values in samples.items()]


def default_trial_overhead() -> dict:
    from nas.search import SearchOptions, run_search
    from nas.study import StudySettings

    with tempfile.TemporaryDirectory() as root:
        options = SearchOptions(baseline=True, prescreen=0,
                                study=StudySettings(trials=1, root=root))
        run = run_search(options, progress=False)
        trial = run.study.get_trials()[0]
    wall = (trial.datetime_complete - trial.datetime_start).total_seconds()
    compute = trial.user_attrs["compute_seconds"]
    return {"trial wall seconds": round(wall, 2), "forward/backward/step seconds": compute,
            "share outside forward/backward/step": round(1 - compute / wall, 3),
            "validation accuracy": round(trial.user_attrs["accuracy"], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(2)
    rows = throughput(args.rounds, args.steps)
    ratio = rows[0]["img/s (median)"] / rows[1]["img/s (median)"]
    trial = default_trial_overhead()
    report("train_throughput",
           "EfficientNet-B0 proxy training steps: 32 px, batch 128, fp32, 2 threads", rows,
           {"channels_last / NCHW": round(ratio, 2), "default_trial": trial})
    print(f"channels_last / NCHW: {ratio:.2f}x")
    for key, value in trial.items():
        print(f"default trial (B0 on digits): {key}: {value}")


if __name__ == "__main__":
    main()
