"""Latency on this machine: the per-block table's prediction error over random networks of a
space (``nas latency --validate``'s protocol; nn-Meter's anchor is 99 % within ±10 % on a mobile
CPU, our target here is ≥ 90 %), and EfficientNet-B0 end to end in torch and onnxruntime,
measured side by side in one run.

Each network is measured fresh (a private table and cache under a temporary directory), so the
figures are of this run only. The noise floor comes with them: every network is measured end to
end a second time (new builds, a few minutes later) and the share of those repeats within ±10 %
of the first is reported — no predictor can agree with a measurement better than the
measurement agrees with itself. Run it alone: a second heavy process on a 2-core machine is noise.
Prints tables and writes benchmarks/results/latency.json.

Usage: .venv/bin/python benchmarks/latency.py [--networks 20] [--space efficientnet_b0]
       [--threads 1] [--device cpu] [--no-onnxruntime]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402

from nas.arch import preset  # noqa: E402
from nas.cost import LatencySettings, device_name, measure_latency  # noqa: E402
from nas.search import sample_architectures, validate_latency  # noqa: E402
from nas.space import load_space  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--networks", type=int, default=20)
    parser.add_argument("--space", default="efficientnet_b0")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-onnxruntime", action="store_true")
    args = parser.parse_args()
    settings = LatencySettings(threads=args.threads, device=args.device)
    with tempfile.TemporaryDirectory(prefix="nas-latency-benchmark-") as root:
        validation = validate_latency(space=args.space, count=args.networks, settings=settings,
                                      seed=args.seed, root=root)
        repeats = [measure_latency(arch, settings).median_ms
                   for arch in sample_architectures(load_space(args.space), args.networks,
                                                    seed=args.seed)]
        runtimes = ["torch"] + ([] if args.no_onnxruntime else ["onnxruntime"])
        b0 = [measure_latency(preset("efficientnet-b0"), LatencySettings(
            threads=args.threads, device=args.device, runtime=runtime)) for runtime in runtimes]
    context = (f"{args.device} ({device_name(args.device)}), {args.threads} thread(s), batch 1; "
               f"milliseconds per forward pass")
    rows = [{"network": index, "first blocks": " ".join(row["blocks"][:3]),
             "predicted ms": row["predicted_ms"], "measured ms": row["measured_ms"],
             "error %": row["error_percent"], "repeat ms": round(again, 4),
             "repeat vs measured %": round((again - row["measured_ms"]) / row["measured_ms"]
                                           * 100, 3)}
            for index, (row, again) in enumerate(zip(validation.rows, repeats))]
    drift = [abs(row["repeat vs measured %"]) for row in rows]
    floor = sum(value <= 10 for value in drift) / len(drift)
    floor_rmse = (sum(value * value for value in drift) / len(drift)) ** 0.5
    summary = (f"table within ±10 % of the measurement: {validation.within_share:.0%} (target "
               f"≥ 90 %); RMSE {validation.rmse_percent:.1f} %; mean error "
               f"{validation.bias_percent:+.1f} %\nnoise floor: a repeated measurement within "
               f"±10 % of the first: {floor:.0%}; RMSE {floor_rmse:.1f} %")
    report("latency", f"per-block table vs end to end, {len(rows)} networks of {args.space} at "
           f"its target resolution, torch on {context}\n{summary}", rows, extra={
               "validation": validation.to_dict(),
               "repeat_within_10_percent": floor, "repeat_rmse_percent": floor_rmse,
               "efficientnet_b0": [result.to_dict() for result in b0]})
    print(f"\n{summary}\nEfficientNet-B0 at 224 px, {context}:")
    for result in b0:
        print(f"  {result.runtime:12s} median {result.median_ms:8.3f} ms  p90 "
              f"{result.p90_ms:8.3f} ms  runs {result.runs}")
    if len(b0) == 2:
        print(f"  torch / onnxruntime median ratio: {b0[0].median_ms / b0[1].median_ms:.2f}")


if __name__ == "__main__":
    main()
