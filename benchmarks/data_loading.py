"""Data at real scale: folders of 256 px JPEGs generated from the shared CIFAR-10 subset, read the
way a user's photos are (issue 18's targets).

Measured, side by side in one run:

1. decode throughput, first pass, one core: plain Pillow (full decode, centre square, bicubic
   resize) against ``nas.data.decode_image`` (the same, decoded at reduced size where the JPEG
   codec allows), at 32 and 224 px;
2. ``nas train`` peak RSS (the process's maximum resident set, from ``getrusage``) for folders
   of 2k and 8k images at 224 px, 1 epoch of a small network (the data path is measured, not
   the network) — flat means the 8k run needs at most 1.25× the 2k run's memory;
3. a ``nas search`` on the 8k folder, then a second one (another study) on the same folder:
   the second reads the decode cache instead of decoding; and ``load_data`` alone on the 8k
   folder with a cold and then a warm cache, at 32 and 224 px (the part the cache changes);
4. proxy training throughput (images per second of ``fit``) from the decode cache (images read
   from disk per batch) against the same images as in-memory tensors (what ``load_data``
   returned for every source before folders were cached), 4 runs each in ABBA order.

Usage: .venv/bin/python benchmarks/data_loading.py [--sizes 2000,8000] [--work DIR]
Writes benchmarks/results/data_loading.json. The generated folders and caches live under
--work (default: /tmp/nas-data-loading) and are kept for a re-run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED_CIFAR = ROOT.parent / "shared" / "data" / "cifar10_jpeg_10k.npz"
SMALL_NETWORK = {  # ~1/40 of B0's FLOPs at 224 px: the data path dominates
    "stem_channels": 16, "head_channels": 64,
    "blocks": ["ds_r1_k3_s2_e1_c16", "ir_r1_k3_s2_e3_c24_se0.25"],
}
MEASURE_RSS = ("import resource, subprocess, sys, time\n"
               "start = time.perf_counter()\n"
               "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "print(done.returncode, time.perf_counter() - start,\n"
               "      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
               "sys.stderr.write(done.stderr[-2000:])\n")


def make_folder(directory: Path, count: int) -> Path:
    """The first ``count`` images of the shared subset as 256 px JPEGs (quality 90), one
    sub-folder per class; made once."""
    done = directory / ".complete"
    if done.exists():
        return directory
    shutil.rmtree(directory, ignore_errors=True)
    with numpy.load(SHARED_CIFAR) as archive:
        images, labels = archive["x_train"][:count], archive["y_train"][:count].reshape(-1)
    for index, (pixels, label) in enumerate(zip(images, labels)):
        folder = directory / f"class{int(label)}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).resize((256, 256), Image.Resampling.BICUBIC).save(
            folder / f"{index:05d}.jpg", quality=90)
    done.write_text("")
    return directory


def plain_decode(path: Path, resolution: int) -> numpy.ndarray:
    with Image.open(path) as image:
        image = image.convert("RGB")
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        image = image.crop((left, top, left + side, top + side))
        return numpy.asarray(image.resize((resolution, resolution), Image.Resampling.BICUBIC))


def decode_throughput(folder: Path, files: int = 400) -> list[dict]:
    from nas.data import decode_image

    paths = sorted(folder.rglob("*.jpg"))[:files]
    rows = []
    for resolution in (32, 224):
        rates = {}
        for name, decode in (("plain Pillow", plain_decode), ("nas (draft)", decode_image)):
            start = time.process_time()
            for path in paths:
                decode(path, resolution)
            rates[name] = len(paths) / (time.process_time() - start)
        rows.append({"measure": f"decode img/s per core, {resolution} px",
                     "plain Pillow": round(rates["plain Pillow"]),
                     "nas": round(rates["nas (draft)"]),
                     "ratio": round(rates["nas (draft)"] / rates["plain Pillow"], 2)})
    return rows


def run_measured(command: list[str], environment: dict) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB) of ``command`` run in a fresh measuring process."""
    result = subprocess.run([sys.executable, "-c", MEASURE_RSS, *command], capture_output=True,
                            text=True, env=environment)
    code, seconds, peak = result.stdout.split()
    if code != "0":
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return float(seconds), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,8000")
    parser.add_argument("--work", default="/tmp/nas-data-loading")
    args = parser.parse_args()
    small, large = (int(part) for part in args.sizes.split(","))
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    nas = [sys.executable, "-m", "nas"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    folders = {size: make_folder(work / f"folder-{size}", size) for size in (small, large)}
    rows = decode_throughput(folders[large])

    config = work / "small.json"
    from nas.arch import EFFICIENTNET_B0, decode, save

    save(dataclasses.replace(EFFICIENTNET_B0, stem_channels=SMALL_NETWORK["stem_channels"],
                             head_channels=SMALL_NETWORK["head_channels"],
                             stages=tuple(decode(text) for text in SMALL_NETWORK["blocks"])),
         config)
    peaks = {}
    for size, folder in folders.items():
        cache = work / f"cache-train-{size}"
        shutil.rmtree(cache, ignore_errors=True)
        out = work / f"train-{size}"
        shutil.rmtree(out, ignore_errors=True)
        seconds, peak = run_measured(
            [*nas, "train", str(config), "--data", f"folder:{folder}", "--resolution", "224",
             "--epochs", "1", "--batch-size", "32", "--threads", "2", "--out", str(out)],
            {**environment, "NAS_CACHE_DIR": str(cache)})
        images = json.loads((out / "result.json").read_text())["images"]
        peaks[size] = peak
        rows.append({"measure": f"nas train, {size} images at 224 px (first run, decodes)",
                     "peak RSS MiB": round(peak / 1024), "wall s": round(seconds, 1),
                     "train images": images["train"],
                     "in-memory uint8 set, MiB": round(size * 224 * 224 * 3 / 2**20)})
    rows.append({"measure": f"peak RSS ratio {large} / {small} images (target <= 1.25)",
                 "ratio": round(peaks[large] / peaks[small], 3)})

    cache = work / "cache-search"
    shutil.rmtree(cache, ignore_errors=True)
    walls = []
    for study in ("first", "second"):
        shutil.rmtree(work / "studies", ignore_errors=True) if study == "first" else None
        seconds, _ = run_measured(
            [*nas, "search", "--space", "tiny", "--flops", "5M", "--slack", "4",
             "--data", f"folder:{folders[large]}", "--proxy-resolution", "32", "--trials", "2",
             "--epochs", "1", "--threads", "2", "--study", f"data-loading-{study}",
             "--storage", str(work / "studies" / f"{study}.log")],
            {**environment, "NAS_CACHE_DIR": str(cache)})
        walls.append(seconds)
        rows.append({"measure": f"nas search on the {large}-image folder, {study} run "
                                f"(2 trials, 1 epoch, 32 px)", "wall s": round(seconds, 1)})
    rows.append({"measure": "second search / first (target <= 0.6)",
                 "ratio": round(walls[1] / walls[0], 3)})

    import sklearn.model_selection  # noqa: F401  (imported before the timed loads)
    import torch

    from nas.data import load_data
    from nas.model import build_model
    from nas.scoring import ProxySettings, proxy_arch
    from nas.space import load_space
    from nas.train import TrainConfig, fit

    for resolution in (32, 224):  # the data path alone: a cold cache, then a warm one
        os.environ["NAS_CACHE_DIR"] = str(work / f"cache-load-{resolution}")
        shutil.rmtree(work / f"cache-load-{resolution}", ignore_errors=True)
        seconds = []
        for _ in ("cold", "warm"):
            start = time.perf_counter()
            load_data(f"folder:{folders[large]}", resolution=resolution, seed=0, test=True,
                      progress=False)
            seconds.append(time.perf_counter() - start)
        rows.append({"measure": f"load_data, {large}-image folder at {resolution} px: cold "
                                f"cache s / warm cache s", "wall s": round(seconds[0], 2),
                     "warm s": round(seconds[1], 2), "ratio": round(seconds[1] / seconds[0], 3)})
    os.environ["NAS_CACHE_DIR"] = str(cache)
    data = load_data(f"folder:{folders[large]}", resolution=32, seed=0)
    in_memory = dataclasses.replace(data, train=(data.train[0][:], data.train[1]),
                                    validation=(data.validation[0][:], data.validation[1]))
    settings = ProxySettings()
    network = proxy_arch(load_space("tiny").baseline(), num_classes=data.num_classes,
                         resolution=32, width=settings.width,
                         strides_removed=settings.strides_removed)
    rates: dict[str, list[float]] = {"decode cache": [], "in memory": []}
    sources = (("decode cache", data), ("in memory", in_memory))
    for order in (sources, sources[::-1], sources, sources[::-1]):  # ABBA ABBA: drift cancels
        for name, source in order:
            torch.manual_seed(0)
            fitted = fit(build_model(network), source, TrainConfig(epochs=1, threads=2))
            rates[name].append(fitted.timing.images / fitted.timing.total_seconds)
    cached, memory = (sum(rates[name]) / 4 for name in ("decode cache", "in memory"))
    rows.append({"measure": "proxy training img/s (tiny, 32 px, 1 epoch, mean of 4)",
                 "decode cache": round(cached), "in memory": round(memory),
                 "ratio": round(cached / memory, 3)})
    report("data_loading", "Data at real scale (issue 18): folders of 256 px JPEGs from the "
           "shared CIFAR-10 subset", rows,
           {"command": "benchmarks/data_loading.py --sizes " + args.sizes,
            "cores": os.cpu_count()})


if __name__ == "__main__":
    main()
