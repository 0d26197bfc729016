"""GPU figures for issue 18's check (``benchmarks/gpu_check.sh`` runs this first):

1. EfficientNet-B0 training img/s at 224 px on CUDA: full steps (forward, backward, RMSprop-TF
   step) with bfloat16 autocast and channels_last, batch 128, after 5 warm-up steps;
2. data-loading img/s from a folder: 224 px images read from the decode cache by the trainer's
   batch path with 0 and 4 loader workers (pinned memory), no model, after a first pass that
   fills the cache (its decode img/s is reported too).

Usage: .venv/bin/python benchmarks/gpu_throughput.py [--folder-images 4096] [--steps 30]
Writes benchmarks/results/gpu_throughput.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402

from nas.arch import preset  # noqa: E402
from nas.data import load_data  # noqa: E402
from nas.model import build_model  # noqa: E402
from nas.train import TrainConfig, Trainer  # noqa: E402


def training_rate(steps: int) -> float:
    model = build_model(preset("efficientnet-b0"))
    config = TrainConfig(device="cuda", amp=True, optimizer="rmsprop_tf", learning_rate=0.008,
                         batch_size=128)
    trainer = Trainer(model, config, steps_per_epoch=steps + 5)
    trainer.amp_dtype = torch.bfloat16  # bf16 on the GPU (no loss scaler needed)
    trainer.scaler = torch.amp.GradScaler("cuda", enabled=False)
    images = torch.randn(128, 3, 224, 224, device="cuda").contiguous(
        memory_format=torch.channels_last)
    labels = torch.randint(0, 1000, (128,), device="cuda")
    model = trainer.network
    for step in range(steps + 5):
        if step == 5:
            torch.cuda.synchronize()
            start = time.perf_counter()
        with trainer.autocast():
            loss = trainer.loss_function(model(images), labels)
        trainer.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        trainer.optimizer.step()
    torch.cuda.synchronize()
    return 128 * steps / (time.perf_counter() - start)


def make_folder(directory: Path, count: int) -> Path:
    from PIL import Image

    rng = numpy.random.default_rng(0)
    for index in range(count):
        folder = directory / f"class{index % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, (8, 8, 3), dtype=numpy.uint8)
        Image.fromarray(pixels).resize((256, 256), Image.Resampling.BICUBIC).save(
            folder / f"{index:05d}.jpg", quality=90)
    return directory


def loading_rates(count: int) -> dict:
    rates = {}
    with tempfile.TemporaryDirectory() as work:
        folder = make_folder(Path(work) / "photos", count)
        os.environ["NAS_CACHE_DIR"] = str(Path(work) / "cache")
        start = time.perf_counter()
        data = load_data(f"folder:{folder}", resolution=224, seed=0, progress=False)
        decoded = len(data.train[1]) + len(data.validation[1])
        rates["decode img/s (first pass, all cores)"] = decoded / (time.perf_counter() - start)
        for workers in (0, 4):
            trainer = Trainer(torch.nn.Linear(1, 1), TrainConfig(device="cuda", batch_size=128),
                              steps_per_epoch=len(data.train[1]) // 128, loader_workers=workers)
            start = time.perf_counter()
            seen = 0
            for images, _ in trainer.batches(data):
                images.to("cuda", non_blocking=True)
                seen += len(images)
            torch.cuda.synchronize()
            rates[f"read img/s, {workers} loader workers"] = seen / (time.perf_counter() - start)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder-images", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("gpu_throughput.py needs a CUDA device")
    rows = [{"measure": "B0 training img/s, 224 px, bf16, channels_last, batch 128",
             "value": round(training_rate(args.steps), 1)}]
    rows += [{"measure": name, "value": round(value, 1)}
             for name, value in loading_rates(args.folder_images).items()]
    report("gpu_throughput", f"GPU check on {torch.cuda.get_device_name()}", rows,
           {"command": f"benchmarks/gpu_throughput.py --folder-images {args.folder_images} "
                       f"--steps {args.steps}"})


if __name__ == "__main__":
    main()
