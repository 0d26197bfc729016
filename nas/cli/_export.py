"""``nas export TARGET --format yaml|json|timm``."""

from __future__ import annotations

import argparse

from nas._files import atomic_write
from nas.cli._common import HelpFormatter
from nas.cli._targets import TARGET_HELP, resolve_target
from nas.export import EXPORT_FORMATS, export

DESCRIPTION = """\
Export an architecture as our config (yaml, json) or as timm's EfficientNet arguments (timm).

The timm document holds arch_def (lists of timm block strings with channels and repeats already
scaled), stem_size, num_features, num_classes, act_layer, drop_rate and drop_path_rate; timm's
EfficientNet builder with multipliers 1.0 builds the same network (same params and FLOPs).
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("export", help="export as yaml, json or timm arch_def",
                                   description=DESCRIPTION, formatter_class=HelpFormatter)
    parser.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    parser.add_argument("--format", choices=EXPORT_FORMATS, default="yaml",
                        help="output format")
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="write to FILE (atomically) instead of standard output")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    text = export(resolve_target(args.target), args.format)
    if args.output:
        atomic_write(args.output, text)
    else:
        print(text, end="")
    return 0
