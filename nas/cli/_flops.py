"""``nas flops TARGET``: per-stage FLOPs and parameters of a preset or config file."""

from __future__ import annotations

import argparse

from nas.cli._common import (
    HelpFormatter, add_json_flag, examples, positive_int, print_json, print_table,
)
from nas.search import TARGET_HELP, resolve_target
from nas.cost import FLOP_UNIT, count

DESCRIPTION = f"""\
Count FLOPs and parameters of an architecture analytically (no model is built).

FLOPs: {FLOP_UNIT}; convolutions, linear layers, batch norm and adaptive pooling count,
exactly as fvcore.nn.FlopCountAnalysis on the built model in eval mode, batch 1.
"""


EXAMPLES = examples("nas flops efficientnet-b0",
                    "nas flops studies/demo-search/best.yaml --json")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("flops", help="FLOPs and parameters, per stage",
                                   description=DESCRIPTION, formatter_class=HelpFormatter,
                                   epilog=EXAMPLES)
    parser.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    parser.add_argument("--resolution", type=positive_int, default=None, metavar="PX",
                        help="input side in pixels (default: the config's resolution)")
    parser.add_argument("--classes", type=positive_int, default=None, metavar="N",
                        help="classifier outputs (default: the config's num_classes)")
    add_json_flag(parser)
    parser.set_defaults(run=run)


def cost_table(cost):
    import pandas

    rows = [{
        "part": stage.name,
        "block": stage.block_string,
        "channels out": stage.out_channels,
        "repeats": stage.repeats,
        "size out (px)": stage.out_size,
        "params": f"{stage.params:,}",
        "FLOPs": f"{stage.flops:,}",
        "% FLOPs": f"{100 * stage.flops / cost.flops:.1f}",
    } for stage in cost.stages]
    rows.append({"part": "total", "block": "", "channels out": "", "repeats": "",
                 "size out (px)": "", "params": f"{cost.params:,}", "FLOPs": f"{cost.flops:,}",
                 "% FLOPs": "100.0"})
    return pandas.DataFrame(rows)


def run(args: argparse.Namespace) -> int:
    arch = resolve_target(args.target)
    cost = count(arch, resolution=args.resolution, num_classes=args.classes)
    if args.json:
        print_json({"target": args.target, **cost.to_dict()})
        return 0
    print_table(cost_table(cost), left=("part", "block"), title=(
        f"{args.target}: {cost.resolution}x{cost.resolution} px input, {cost.num_classes} classes; "
        f"{FLOP_UNIT}"))
    print(f"\nTotal: {cost.flops:,} FLOPs ({cost.flops / 1e6:,.1f} M), "
          f"{cost.params:,} parameters ({cost.params / 1e6:.2f} M)")
    return 0
