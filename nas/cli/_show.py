"""``nas show --study NAME``: the top trials of a search, scaling or rank-check study."""

from __future__ import annotations

import argparse

from nas.cli._common import HelpFormatter, add_json_flag, examples, positive_int, print_json
from nas.cli._common import print_table
from nas.cost import FLOP_UNIT
from nas.study import STORAGE_HELP

DESCRIPTION = f"""\
Show a study's top trials, best first, while it runs or after: for a search, the table
`nas search` prints (or its Pareto front) and the best trial's blocks; for a scaling study,
its points ranked by accuracy and the chosen one; for a rank check, the cheap signals by
Kendall tau against the reference. Running trials are counted, never ranked. Reading takes
no lock and writes nothing.

FLOPs: {FLOP_UNIT}, at the target resolution; MFLOPs = millions of FLOPs.
"""

EXAMPLES = examples("nas show --study efficientnet_b0-digits-400M-soft --top 5",
                    "nas show --study b0-400m --storage postgresql://user@host/db --json")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("show", help="the top trials of a study",
                                   description=DESCRIPTION, formatter_class=HelpFormatter,
                                   epilog=EXAMPLES)
    parser.add_argument("--study", required=True, metavar="NAME", help="study name")
    parser.add_argument("--storage", default=None, metavar="URL", help=STORAGE_HELP)
    parser.add_argument("--top", type=positive_int, default=10, metavar="K",
                        help="how many trials to list")
    add_json_flag(parser)
    parser.set_defaults(run=run)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, list):
        return ", ".join(_cell(item) for item in value)
    return str(value)


def print_document(document: dict, storage: str) -> None:
    import pandas

    counts = document["trials"]
    print(f"Study {document['name']!r} ({document['kind']}) in {storage}: "
          f"{counts['complete']} complete, {counts['pruned']} pruned, {counts['skipped']} "
          f"skipped, {counts['failed']} failed, {counts['running']} running, "
          f"{counts['waiting']} waiting.")
    print(f"FLOPs: {FLOP_UNIT}, counted at the target resolution; "
          f"MFLOPs = millions of FLOPs.\n")
    if document["rows"]:
        frame = pandas.DataFrame([[_cell(value) for value in row] for row in document["rows"]],
                                 columns=document["columns"])
        print_table(frame, title=document["title"],
                    left=tuple(c for c in ("kind", "signal") if c in document["columns"]))
    best = document["best"]
    if best is None:
        if document["kind"] != "other":
            print("\nNo complete trial yet.")
        return
    if document["kind"] == "search":
        print(f"\nBest: trial {best['number']}: {best['flops']:,} FLOPs, {best['params']:,} "
              f"parameters, validation accuracy {best['accuracy']:.4f}"
              + (f", reward {best['reward']:.4f}" if best["reward"] is not None else ""))
        for text in best["blocks"]:
            print(f"  {text}")
    elif document["kind"] == "scale":
        print(f"\nChosen: trial {best['trial']}: alpha={best['alpha']:g}, beta={best['beta']:g}, "
              f"gamma={best['gamma']:g} (accuracy {best['accuracy']:.4f}, FLOPs x "
              f"{best['flops_ratio']:.3f})")
    else:
        print(f"\nBest signal: {best['signal']} (Kendall tau {_cell(best['kendall'])}, "
              f"Spearman rho {_cell(best['spearman'])}, {best['n']} architectures)")


def run(args: argparse.Namespace) -> int:
    from nas.report import top_trials
    from nas.study import describe_storage, load_existing_study

    study = load_existing_study(storage_url=args.storage, root=".", name=args.study)
    document = top_trials(study, top=args.top)
    storage = describe_storage(args.storage, ".", args.study)
    if args.json:
        print_json({"storage": storage, **document})
    else:
        print_document(document, storage)
    return 0
