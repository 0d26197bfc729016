"""Analytic FLOP counting (nas.cost.count) vs fvcore on the built model, EfficientNet-B0, 224 px.

Both give the same number (checked here); the point is the time. Prints a table and writes
benchmarks/results/count_flops.json. Usage: .venv/bin/python benchmarks/count_flops.py [--repeats N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from fvcore.nn import FlopCountAnalysis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402

from nas.arch import preset  # noqa: E402
from nas.cost import FLOP_UNIT, count  # noqa: E402
from nas.model import build_model  # noqa: E402


def fvcore_count(arch) -> int:
    model = build_model(arch).eval()  # building is part of what fvcore needs
    analysis = FlopCountAnalysis(model, torch.zeros(1, 3, arch.resolution, arch.resolution))
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    return int(analysis.total())


def best_seconds(function, repeats: int) -> tuple[float, int]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    arch = preset("efficientnet-b0")
    analytic_seconds, analytic_flops = best_seconds(lambda: count(arch).flops, args.repeats * 20)
    fvcore_seconds, fvcore_flops = best_seconds(lambda: fvcore_count(arch), args.repeats)
    if analytic_flops != fvcore_flops:
        raise SystemExit(f"counts differ: analytic {analytic_flops} vs fvcore {fvcore_flops}")
    rows = [
        {"method": "nas.cost.count (analytic)", "FLOPs": analytic_flops,
         "seconds (best)": analytic_seconds},
        {"method": "fvcore FlopCountAnalysis (build + trace)", "FLOPs": fvcore_flops,
         "seconds (best)": fvcore_seconds},
    ]
    ratio = fvcore_seconds / analytic_seconds
    report("count_flops", f"EfficientNet-B0 at 224 px; {FLOP_UNIT}; {args.threads} torch threads",
           rows, {"speedup": ratio, "flop_unit": FLOP_UNIT})
    print(f"analytic is {ratio:,.0f}x faster than fvcore")


if __name__ == "__main__":
    main()
