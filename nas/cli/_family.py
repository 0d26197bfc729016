"""``nas family``: turn an architecture and (alpha, beta, gamma) into members B0...Bn."""

from __future__ import annotations

import argparse
import os

from nas._errors import ConfigError
from nas.cli._common import (
    HelpFormatter, add_json_flag, examples, positive_float, print_json, print_table,
)
from nas.search import TARGET_HELP, resolve_target
from nas.cost import FLOP_UNIT

DESCRIPTION = f"""\
Write one config per phi, named <base>-b<phi>: depth coefficient alpha^phi (repeats rounded up),
width coefficient beta^phi (channels rounded to multiples of 8, never below 90 %), and resolution
base resolution x gamma^phi rounded to the nearest multiple of 8. The table shows each member's
coefficients, last-stage channels, total repeats, resolution, params and FLOPs, FLOPs / B0, and
FLOPs / (B0 x 2^phi): the drift that rounding introduces. {FLOP_UNIT}.

--preset efficientnet uses the published hand-rounded table (width, depth, resolution, dropout)
instead, and reproduces efficientnet-b0 ... efficientnet-b7 exactly from efficientnet-b0.
"""


EXAMPLES = examples("nas family --scaling studies/demo-scale/scaling.yaml --phis 0-7 --plot",
                    "nas family --base efficientnet-b0 --preset efficientnet")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("family", help="make a B0...Bn family from one architecture",
                                   description=DESCRIPTION, formatter_class=HelpFormatter,
                                   epilog=EXAMPLES)
    parser.add_argument("--base", metavar="TARGET", default=None, help=TARGET_HELP)
    parser.add_argument("--alpha", type=positive_float, default=None, help="depth coefficient")
    parser.add_argument("--beta", type=positive_float, default=None, help="width coefficient")
    parser.add_argument("--gamma", type=positive_float, default=None,
                        help="resolution coefficient")
    parser.add_argument("--scaling", metavar="FILE", default=None,
                        help="take the base and (alpha, beta, gamma) from a scaling.yaml written "
                             "by nas scale")
    parser.add_argument("--preset", choices=("efficientnet",), default=None,
                        help="use the published EfficientNet table instead of alpha^phi ...")
    parser.add_argument("--phis", default="0-7", help="members: a range (0-7) or a list (0,2,4)")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="directory for the configs (default: studies/<base>-family)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace member configs in --out that hold other architectures "
                             "(by default such a directory is refused, nothing written)")
    parser.add_argument("--storage", default=None, metavar="URL",
                        help="storage of a study:NAME base (default: its local journal)")
    parser.add_argument("--plot", action="store_true",
                        help="also write family.png (FLOPs and params against phi, beside the "
                             "ideal 2^phi) into the --out directory")
    add_json_flag(parser)
    parser.set_defaults(run=run)


def family_table(rows: list[dict]):
    import pandas

    return pandas.DataFrame([{
        "phi": row["phi"], "name": row["name"], "width": f"{row['width_coefficient']:.3f}",
        "depth": f"{row['depth_coefficient']:.3f}",
        "resolution x": f"{row['resolution_coefficient']:.3f}",
        "last ch": row["last_stage_channels"], "repeats": row["total_repeats"],
        "px": row["resolution"], "params": f"{row['params']:,}", "FLOPs": f"{row['flops']:,}",
        "/ B0": f"{row['flops_over_b0']:.3f}",
        "/ (B0 2^phi)": f"{row['flops_over_b0_per_2_to_phi']:.3f}"} for row in rows])


def _inputs(args):
    from nas.cli._scale import base_name
    from nas.scaling import read_scaling

    if args.scaling:
        if args.base or args.alpha or args.beta or args.gamma:
            raise ConfigError("--scaling must be used alone, but got it with --base or "
                              "--alpha/--beta/--gamma")
        base, name, alpha, beta, gamma = read_scaling(args.scaling)
        return base, name, alpha, beta, gamma
    if args.base is None:
        raise ConfigError("must give --base TARGET (or --scaling FILE), but got neither")
    coefficients = (args.alpha, args.beta, args.gamma)
    if args.preset is None and None in coefficients:
        raise ConfigError("must give --alpha, --beta and --gamma (or --preset efficientnet), "
                          "but some are missing")
    return (resolve_target(args.base, storage=args.storage), base_name(args.base),
            *coefficients)


def run(args: argparse.Namespace) -> int:
    from nas.cost import count
    from nas.scaling import compound_family, compound_member, member_rows, parse_phis
    from nas.scaling import published_family, write_family

    phis = parse_phis(args.phis)
    base, name, alpha, beta, gamma = _inputs(args)
    if name.endswith("-b0"):
        name = name[:-3]
    if args.preset == "efficientnet":
        members = published_family(base, phis=phis, name=name)
        base_flops = count(published_family(base, phis=[0], name=name)[0].arch).flops
    else:
        members = compound_family(base, alpha=alpha, beta=beta, gamma=gamma, phis=phis,
                                  name=name)
        base_flops = count(compound_member(base, phi=0, alpha=alpha, beta=beta, gamma=gamma,
                                           name=name).arch).flops
    out = args.out or os.path.join("studies", f"{name}-family")
    paths = [str(path) for path in write_family(members, out, overwrite=args.overwrite)]
    rows = member_rows(members, base_flops=base_flops)
    for row, path in zip(rows, paths):
        row["config"] = path
    plot = None
    if args.plot:
        from nas.report import plot_family

        plot = str(plot_family(members, os.path.join(out, "family.png"), base_flops=base_flops))
    if args.json:
        print_json({"base": name, "alpha": alpha, "beta": beta, "gamma": gamma,
                    "preset": args.preset, "flop_unit": FLOP_UNIT, "members": rows,
                    "plot": plot})
        return 0
    how = ("published EfficientNet table" if args.preset else
           f"alpha={alpha:g}, beta={beta:g}, gamma={gamma:g}")
    print_table(family_table(rows), left=("name",),
                title=f"Family of {name} ({how}); {FLOP_UNIT}; resolution rounded to 8 px:")
    print(f"\n{len(paths)} configs written to {out}/")
    if plot is not None:
        print(f"Plot written to {plot}")
    return 0
