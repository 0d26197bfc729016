"""What batch augmentation costs per batch on this machine: the shift-and-flip of the proxy
protocol against the recipe's kornia pipeline (random-resized crop, flip, RandAugment n=2 m=27;
and AutoAugment), on uint8 batches of 64 images, at 32 and 224 px, 2 torch threads, median of
20 batches after 3 warm-up ones. (On CUDA the recipe's pipeline runs on the device; this
measures the CPU.)

Usage: .venv/bin/python benchmarks/augmentation_cost.py
Writes benchmarks/results/augmentation_cost.json.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402

from nas.data import augment  # noqa: E402
from nas.train import BatchAugmentation  # noqa: E402


def median_ms(work, batches: int = 20) -> float:
    for _ in range(3):
        work()
    times = []
    for _ in range(batches):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    torch.set_num_threads(2)
    torch.manual_seed(0)
    rows = []
    for side in (32, 224):
        images = torch.randint(0, 256, (64, 3, side, side), dtype=torch.uint8)
        generator = torch.Generator().manual_seed(0)
        row = {"px": side, "batch": 64,
               "shift + flip (ms)": median_ms(lambda: augment(images, flip=True,
                                                              generator=generator))}
        for policy in ("randaugment", "autoaugment"):
            pipeline = BatchAugmentation(side, random_resized_crop=True, flip=True, policy=policy)
            row[f"crop + flip + {policy} (ms)"] = median_ms(
                lambda: pipeline(images.float().div_(255)))
        rows.append({key: round(value, 2) if isinstance(value, float) else value
                     for key, value in row.items()})
    report("augmentation_cost", "Batch augmentation, ms per batch of 64 on the CPU "
           "(2 threads, median of 20)", rows,
           {"command": "benchmarks/augmentation_cost.py"})


if __name__ == "__main__":
    main()
