"""``nas export TARGET --format yaml|json|timm`` and ``nas export --study NAME``."""

from __future__ import annotations

import argparse

from nas._errors import ConfigError
from nas._files import atomic_write
from nas.cli._common import HelpFormatter, examples, print_json
from nas.cli._targets import TARGET_HELP, resolve_target, study_arch
from nas.exporting import EXPORT_FORMATS, export

DESCRIPTION = """\
Export an architecture as our config (yaml, json) or as timm's EfficientNet arguments (timm).

The timm document holds arch_def (lists of timm block strings with channels and repeats already
scaled), stem_size, num_features, num_classes, act_layer, drop_rate and drop_path_rate; timm's
EfficientNet builder with multipliers 1.0 builds the same network (same params and FLOPs).
A study's trial is exported at the search space's target resolution and class count.
"""


EXAMPLES = examples("nas export efficientnet-b0 --format timm -o b0.timm.json",
                    "nas export study:demo-search --format yaml")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("export", help="export as yaml, json or timm arch_def",
                                   description=DESCRIPTION, formatter_class=HelpFormatter,
                                   epilog=EXAMPLES)
    parser.add_argument("target", metavar="TARGET", nargs="?", default=None,
                        help=TARGET_HELP + "; omit it when --study is given")
    parser.add_argument("--study", default=None, metavar="NAME",
                        help="export a trial of this study instead of TARGET")
    parser.add_argument("--trial", default="best", metavar="N|best",
                        help="with --study: the trial number, or best")
    parser.add_argument("--storage", default=None, metavar="URL",
                        help="with --study: the study's Optuna storage "
                             "(default: studies/<study>/journal.log)")
    parser.add_argument("--format", choices=EXPORT_FORMATS, default="yaml",
                        help="output format")
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="write to FILE (atomically) instead of standard output")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON document (format, output file, the exported "
                             "document) instead of the exported text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if (args.target is None) == (args.study is None):
        raise ConfigError("must give either TARGET or --study NAME, but got "
                          + ("both" if args.target else "neither"))
    if args.study is not None:
        arch = study_arch(args.study, trial=args.trial, storage=args.storage)
    else:
        arch = resolve_target(args.target, storage=args.storage)
    text = export(arch, args.format)
    if args.output:
        atomic_write(args.output, text)
    if args.json:
        import yaml

        document = yaml.safe_load(text)  # yaml, json and timm's JSON all read back as YAML
        print_json({"format": args.format, "output": args.output, "document": document})
    elif not args.output:
        print(text, end="")
    return 0
