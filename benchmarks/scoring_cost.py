"""Cost of scoring one candidate of the EfficientNet-B0 space: with weights inherited from a
supernet (extraction, batch-norm recalibration on 512 training images, validation on 2,000)
against training the default proxy (32 px, first stride removed, width 0.5, 4 epochs), side by
side in one run, on the shared CIFAR-10 subset (8,000 training / 2,000 validation images).

The cost of an inherited score does not depend on how well the supernet is trained, so an
untrained supernet of the space is used; the trained proxy's 4 epochs are timed as 1 epoch × 4
(every epoch does the same work). CPU-seconds of this process, ``--threads`` torch threads.

Usage: .venv/bin/python benchmarks/scoring_cost.py [--candidates 10] [--threads 1]
Writes benchmarks/results/scoring_cost.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import numpy
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402

from nas.cost import count  # noqa: E402
from nas.model import build_model  # noqa: E402
from nas.scoring import Geometry, ProxySettings, Supernet, get_data, proxy_arch  # noqa: E402
from nas.scoring import score_inherited  # noqa: E402
from nas.space import load_space  # noqa: E402
from nas.train import fit  # noqa: E402

SHARED_CIFAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10_jpeg_10k.npz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", default=f"npz:{SHARED_CIFAR}")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    proxy = ProxySettings(data=args.data)
    data = get_data(proxy, resolution=proxy.resolution, seed=0)
    space = load_space("efficientnet_b0")
    geometry = Geometry(resolution=proxy.resolution, width=proxy.width,
                        strides_removed=proxy.strides_removed, num_classes=data.num_classes)
    torch.manual_seed(0)
    supernet = Supernet(space, geometry)
    rng = numpy.random.default_rng(0)
    targets = [space.baseline()] + [space.arch(space.random_params(rng))
                                    for _ in range(args.candidates - 1)]
    scores = [score_inherited(supernet, target, data, seed=0, threads=args.threads)
              for target in targets]
    baseline = targets[0]
    model = build_model(proxy_arch(baseline, num_classes=data.num_classes,
                                   resolution=data.resolution, width=proxy.width,
                                   strides_removed=proxy.strides_removed))
    config = dataclasses.replace(proxy.train, epochs=1, seed=0, threads=args.threads)
    start = time.process_time()
    fit(model, data, config)
    proxy_cpu = 4 * (time.process_time() - start)
    inherited = [score.cpu_seconds for score in scores]
    rows = [{"method": "inherited weights (supernet)", "candidates": len(scores),
             "CPU-s per candidate (mean)": round(statistics.mean(inherited), 2),
             "CPU-s per candidate (max)": round(max(inherited), 2)},
            {"method": "trained proxy, 4 epochs (B0)", "candidates": 1,
             "CPU-s per candidate (mean)": round(proxy_cpu, 1),
             "CPU-s per candidate (max)": round(proxy_cpu, 1)}]
    report("scoring_cost",
           f"Cost of scoring one B0-space candidate on {Path(args.data).name}, "
           f"{args.threads} thread(s) (CPU-seconds; candidates "
           f"{min(count(t).flops for t in targets) / 1e6:.0f}-"
           f"{max(count(t).flops for t in targets) / 1e6:.0f} MFLOPs, fvcore FLOPs at 224 px)",
           rows, extra={"ratio_trained_over_inherited": round(
               proxy_cpu / statistics.mean(inherited), 1),
               "command": "benchmarks/scoring_cost.py " + " ".join(sys.argv[1:])})


if __name__ == "__main__":
    main()
