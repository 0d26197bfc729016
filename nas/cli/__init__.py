"""The ``nas`` command line. Bad input: one line on stderr, exit code 2, no traceback."""

from __future__ import annotations

import os
import sys

from nas._errors import NasError
from nas.cli import _export, _family, _flops, _rank_check, _scale, _search, _show, _studies
from nas.cli import _latency, _report, _supernet, _train
from nas.cli._common import EXIT_BAD_INPUT, HelpFormatter, Parser

COMMANDS = (_search, _supernet, _rank_check, _scale, _family, _train, _flops, _latency, _export,
            _studies, _show, _report)

DESCRIPTION = """\
nas: search an MBConv space under a FLOP budget, then compound-scale the winner into a family.

FLOPs everywhere are fvcore's count: one fused multiply-add = one FLOP
(EfficientNet-B0 at 224 px = 399,352,864 FLOPs).
"""


def build_parser() -> Parser:
    from nas import __version__

    parser = Parser(prog="nas", description=DESCRIPTION, formatter_class=HelpFormatter)
    parser.add_argument("--version", action="version", version=f"nas {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser,
                                       required=True)
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code."""
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # which options were given
    try:
        return args.run(args)
    except NasError as error:
        print(f"nas {args.command}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
