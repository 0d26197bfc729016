"""``nas report --study NAME``: figures and a report.md for a search, scale or rank-check
study (the library writes them; this module parses and prints)."""

from __future__ import annotations

import argparse

from nas.cli._common import HelpFormatter, add_json_flag, examples, print_json
from nas.cost import FLOP_UNIT
from nas.study import STORAGE_HELP

DESCRIPTION = f"""\
Write PNG figures and a report.md for a study, while it runs or after; reading changes nothing.

A search gets validation accuracy against FLOPs (target, infeasible region, Pareto front,
baseline, winner, seed-noise band), the reward over trial number with the running best,
Optuna's fANOVA parameter importances and the best architecture stage by stage. A scaling study
gets its (alpha, beta, gamma) points coloured by accuracy and accuracy against the actual FLOPs
ratio. A rank check gets every cheap signal against the reference accuracy with Kendall tau and
Spearman rho. report.md holds the trial counts, the top table (the one `nas search` prints), the
best trial, every figure and the study's manifest. Running and waiting trials are counted, never
drawn. FLOPs: {FLOP_UNIT}.
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="PNG figures and report.md for a study", description=DESCRIPTION,
        formatter_class=HelpFormatter,
        epilog=examples("nas report --study demo-search",
                        "nas report --study b0-400m --storage postgresql://user@host/db "
                        "--out reports/b0"))
    parser.add_argument("--study", required=True, metavar="NAME", help="study name")
    parser.add_argument("--storage", default=None, metavar="URL", help=STORAGE_HELP)
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="directory for the figures and report.md "
                             "(default: studies/<study>/report)")
    add_json_flag(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nas.report import write_report

    report = write_report(args.study, storage=args.storage, out=args.out)
    if args.json:
        print_json({"study": args.study, "kind": report.kind, "out": str(report.out),
                    "figures": [str(path) for path in report.figures],
                    "markdown": str(report.markdown)})
        return 0
    print(f"Report of {report.kind} study {args.study!r} written to {report.out}/:")
    width = max(len(path.name) for path in [*report.figures, report.markdown])
    for path in [*report.figures, report.markdown]:
        print(f"  {path.name.ljust(width)}  {path.stat().st_size / 1024:7.1f} KiB")
    return 0
