"""``nas scale``: grid-search compound-scaling coefficients (α, β, γ) by proxy training."""

from __future__ import annotations

import argparse
import os

from nas.cli._common import (
    HelpFormatter, add_json_flag, examples, non_negative_int, positive_float, print_json,
    print_table, quiet_optuna,
)
from nas.cli._options import add_data_options, add_study_options, add_train_options
from nas.cli._options import proxy_settings, study_settings
from nas.search import TARGET_HELP, resolve_target
from nas.cost import FLOP_UNIT
from nas.scoring import ProxySettings

DESCRIPTION = f"""\
Grid-search EfficientNet's compound coefficients at phi = 1: depth alpha, width beta and
resolution gamma, each in {{1, 1 + step, ..., max}}, with |alpha * beta^2 * gamma^2 - 2| <=
tolerance (decided in exact decimals). Each point scales the base (depth alpha^phi, width beta^phi,
target resolution gamma^phi) and trains its proxy at the proxy resolution x gamma^phi. The base
itself and the single-dimension baselines at the same FLOPs ratio (depth only alpha = 2, width
only beta = sqrt 2, resolution only gamma = sqrt 2) and any --point run too, so you can see
whether compound scaling beats single-dimension scaling on your data.

Points are trials of an Optuna study with GridSampler: re-running resumes and finishes only the
missing points. The chosen (alpha, beta, gamma) goes to studies/<study>/scaling.yaml, which
`nas family --scaling FILE` reads. {FLOP_UNIT}.
"""


EXAMPLES = examples("nas scale --base study:demo-search --step 0.1")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("scale", help="grid-search compound scaling coefficients",
                                   description=DESCRIPTION, formatter_class=HelpFormatter,
                                   epilog=EXAMPLES)
    group = parser.add_argument_group("grid")
    group.add_argument("--base", required=True, metavar="TARGET", help=TARGET_HELP)
    group.add_argument("--phi", type=positive_float, default=1.0, metavar="PHI", help="compound coefficient")
    group.add_argument("--step", default="0.05", metavar="STEP", help="grid step of alpha, beta and gamma")
    group.add_argument("--max-coefficient", default="2.0", metavar="MAX",
                       help="largest alpha, beta or gamma")
    group.add_argument("--tolerance", default="0.1", metavar="TOL",
                       help="keep points with |alpha * beta^2 * gamma^2 - 2| <= tolerance")
    group.add_argument("--point", action="append", default=[], metavar="A,B,G",
                       help="also evaluate this (alpha, beta, gamma); repeatable")
    group.add_argument("--confirm", type=non_negative_int, default=3, metavar="K",
                       help="after the grid, train the K most accurate compound points again "
                            "with another seed: their differences measure seed noise, points "
                            "within 2 x sqrt(2) x that std of the best tie, and ties go to the "
                            "point growing the most of depth, width and resolution, then to "
                            "the actual FLOPs ratio closest to 2 (0: no noise estimate, exact ties only)")
    add_data_options(parser, resolution_help="proxy resolution of the unscaled base in pixels "
                                             "(each point trains at this x gamma^phi)")
    add_train_options(parser, epochs=ProxySettings().train.epochs)
    add_study_options(parser, trials=None)
    add_json_flag(parser)
    parser.set_defaults(run=run)


def base_name(target: str) -> str:
    if target.startswith("study:"):
        return target[len("study:"):].replace(":", "-trial")
    return os.path.splitext(os.path.basename(target))[0]


def ranking_table(rows: list[dict]):
    import pandas

    return pandas.DataFrame([{
        "rank": row["rank"], "kind": row["kind"], "alpha": f"{row['alpha']:g}",
        "beta": f"{row['beta']:g}", "gamma": f"{row['gamma']:g}",
        "a*b^2*g^2": f"{row['product']:.3f}",
        "FLOPs ratio": f"{row['flops_ratio']:.3f}", "proxy px": row["proxy_resolution"],
        "accuracy": f"{row['accuracy']:.4f}", "seeds": row["seeds"],
        "within noise": "yes" if row["within_noise"] else "", "MFLOPs": f"{row['flops'] / 1e6:,.1f}",
        "M params": f"{row['params'] / 1e6:.2f}"} for row in rows])


def run(args: argparse.Namespace) -> int:
    from nas.cli._printing import report_exit
    from nas.cli._search import log_line
    from nas.scaling import ScaleOptions, run_scale

    quiet_optuna()
    base = resolve_target(args.base, storage=args.storage)
    options = ScaleOptions(base=base, base_name=base_name(args.base), phi=args.phi,
                           step=args.step, max_coefficient=args.max_coefficient,
                           tolerance=args.tolerance, points=tuple(args.point),
                           confirm=args.confirm,
                           proxy=proxy_settings(args), study=study_settings(args))
    grid, points = options.grid(), options.all_points()
    if not args.json:
        print(f"Grid: {len(grid)} points (alpha, beta, gamma) in [1, {args.max_coefficient}] at "
              f"step {args.step} with |alpha*beta^2*gamma^2 - 2| <= {args.tolerance}; "
              f"{len(points)} trials with the base, baselines and extra points, then "
              f"up to {args.confirm} confirmation(s) with a second seed.", flush=True)
    result = run_scale(options, log=log_line)
    summary = result.summary
    if args.json:
        print_json(summary)
    else:
        print(f"\n{summary['points_complete']} of {len(points)} points complete in study "
              f"{result.name!r} ({result.storage}). FLOPs ratio = scaled FLOPs / base FLOPs, at "
              f"the target resolution ({FLOP_UNIT}).")
        if summary["ranking"]:
            print_table(ranking_table(summary["ranking"]), left=("kind",),
                        title="Ranked by proxy accuracy:")
        chosen = summary["chosen"]
        if summary["seed_std"] is not None:
            print(f"\nSeed noise: std {summary['seed_std']:.4f} of accuracy over "
                  f"{summary['confirmed_points']} points trained with two seeds; points within "
                  f"{summary['noise_margin']:.4f} of the best are within noise "
                  f"({chosen['tied_points'] if chosen else 0} compound points).")
        elif chosen:
            print("\nSeed noise not measured (--confirm 0): only exact ties are ties.")
        if chosen:
            print(f"\nChosen: alpha={chosen['alpha']:g}, beta={chosen['beta']:g}, "
                  f"gamma={chosen['gamma']:g} (accuracy {chosen['accuracy']:.4f}, FLOPs x "
                  f"{chosen['flops_ratio']:.3f}); written to {summary['scaling_file']}")
    return report_exit(result, "scale")
