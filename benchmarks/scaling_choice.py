"""Compound scaling on CIFAR-10k: the chosen (α, β, γ) against depth-, width- and
resolution-only scaling, at their actual FLOPs.

Runs ``nas scale`` (``run_scale``) on EfficientNet-B0 with the default proxy protocol on a
stratified ``--train-size`` subset of the shared CIFAR-10 subset: every grid point at step
``--step`` with |α·β²·γ² − 2| ≤ 0.1, the base, and the three single-dimension baselines (each
×2 nominal FLOPs), then ``--confirm`` points again with a second seed for the seed noise. The
table lists every point with its actual FLOPs ratio after rounding (fvcore FLOPs: one fused
multiply-add = one FLOP, at the target resolution), its accuracy (mean over seeds where
confirmed) and whether it is within noise of the best compound point. The EfficientNet paper's
claim is that compound scaling beats single-dimension scaling at equal FLOPs.

Usage: .venv/bin/python benchmarks/scaling_choice.py [--step 0.1] [--train-size 4000]
       [--workers 2]
Writes benchmarks/results/scaling_choice.json (the study under
benchmarks/results/scaling_studies/).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, report  # noqa: E402

from nas.scaling import ScaleOptions, run_scale  # noqa: E402
from nas.scoring import ProxySettings  # noqa: E402
from nas.space import load_space  # noqa: E402
from nas.study import StudySettings  # noqa: E402

SHARED_CIFAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10_jpeg_10k.npz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--step", default="0.1")
    parser.add_argument("--train-size", type=int, default=4000)
    parser.add_argument("--confirm", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", default=f"npz:{SHARED_CIFAR}")
    args = parser.parse_args()
    defaults = ProxySettings()
    proxy = ProxySettings(data=args.data, resolution=defaults.resolution, width=defaults.width,
                          strides_removed=defaults.strides_removed, train_size=args.train_size,
                          train=defaults.train)
    options = ScaleOptions(
        base=load_space("efficientnet_b0").baseline(), base_name="b0", step=args.step,
        confirm=args.confirm, proxy=proxy,
        study=StudySettings(name=f"scaling-b0-step{args.step}-t{args.train_size}",
                            root=str(RESULTS / "scaling_studies"), workers=args.workers))
    run = run_scale(options, progress=False)
    summary = run.summary
    rows = [{"kind": row["kind"], "alpha": row["alpha"], "beta": row["beta"],
             "gamma": row["gamma"], "FLOPs ratio": row["flops_ratio"],
             "accuracy %": round(100 * row["accuracy"], 2), "seeds": row["seeds"],
             "within noise": row["within_noise"]} for row in summary["ranking"]]
    report("scaling_choice", f"Compound scaling of B0 on {args.data} (train size "
           f"{args.train_size}, step {args.step}); FLOPs ratio = actual scaled FLOPs / B0 FLOPs "
           f"(fvcore, one fused multiply-add = one FLOP, at the target resolution)", rows,
           extra={"chosen": summary["chosen"], "seed_std": summary["seed_std"],
                  "noise_margin": summary["noise_margin"]})
    print(json.dumps({"chosen": summary["chosen"], "seed_std": summary["seed_std"],
                      "noise_margin": summary["noise_margin"]}, indent=2))


if __name__ == "__main__":
    main()
