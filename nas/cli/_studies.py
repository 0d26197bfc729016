"""``nas studies``: one line per study of a store (kind, trials by state, best value, dates)."""

from __future__ import annotations

import argparse

from nas.cli._common import HelpFormatter, add_json_flag, examples, print_json, print_table
from nas.study import STORAGE_HELP

DESCRIPTION = """\
List the studies of a store: each one's kind (the nas command that made it: search, scale,
rank-check, or other), its trials by state (skipped = over the FLOP budget, recorded but never
trained; running = held by a live worker, or by a dead one not yet swept), its best value and
when its first trial started and its last one finished. Reading takes no lock and writes
nothing, so it is safe while workers run.

The best value is the best trial's reward (search), accuracy (scale, rank-check) or value,
averaged over seeds once trials were confirmed, as `nas search` picks its best; empty for
two-objective studies (see `nas show`).
"""

EXAMPLES = examples("nas studies", "nas studies --storage postgresql://user@host/db --json")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("studies", help="list the studies of a store",
                                   description=DESCRIPTION, formatter_class=HelpFormatter,
                                   epilog=EXAMPLES)
    parser.add_argument("--storage", default=None, metavar="URL",
                        help=STORAGE_HELP.split(" (default:")[0] + " (default: every "
                        "studies/<study>/journal.log under the working directory)")
    add_json_flag(parser)
    parser.set_defaults(run=run)


def _date(value) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def studies_table(summaries):
    import pandas

    return pandas.DataFrame([{
        "study": summary.name, "kind": summary.kind, "complete": summary.counts.complete,
        "pruned": summary.counts.pruned, "skipped": summary.counts.skipped,
        "failed": summary.counts.failed, "running": summary.counts.running,
        "best value": "" if summary.best_value is None else f"{summary.best_value:.4f}",
        "started": _date(summary.started), "last finished": _date(summary.finished),
    } for summary in summaries])


def run(args: argparse.Namespace) -> int:
    from nas.study import list_studies

    summaries = list_studies(args.storage)
    where = args.storage if args.storage is not None else "studies/*/journal.log"
    if args.json:
        print_json({"storage": where, "studies": [summary.to_dict() for summary in summaries]})
    elif not summaries:
        print(f"no studies in {where}")
    else:
        noun = "study" if len(summaries) == 1 else "studies"
        print_table(studies_table(summaries), left=("study", "kind"),
                    title=f"{len(summaries)} {noun} in {where}:")
    return 0
