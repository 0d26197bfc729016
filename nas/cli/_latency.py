"""``nas latency TARGET`` (measured latency) and ``nas latency --validate N`` (the per-block
table's prediction error)."""

from __future__ import annotations

import argparse

from nas._errors import ConfigError
from nas.cli._common import (
    HelpFormatter, add_json_flag, examples, positive_float, positive_int, print_json,
    print_table,
)
from nas.search import TARGET_HELP, resolve_target

DESCRIPTION = """\
Measure an architecture's latency on this machine: milliseconds per forward pass of one batch
(wall clock), in eval mode, with random weights.

Untimed warm-up runs come first; timed runs continue until the 95 % confidence interval of the
median is within +-2 % of it (or --max-seconds of timed work); the median, the 90th percentile,
the interval and the number of runs are reported. Threads are pinned (--threads, default 1: the
least noisy on a shared machine); CUDA is synchronised before every clock read.

Results are stored with the device, runtime and software versions in
studies/latency/measurements.json and reused for the same (architecture, device, runtime,
resolution, batch, threads, versions); --refresh measures again.

--validate N instead measures N random networks of --space end to end and compares them with
the per-block lookup table's prediction (the sum of each stem, block and head timed alone, kept
in studies/latency/blocks.json): the share within +-10 % and the RMSE in %.
"""

EXAMPLES = examples("nas latency efficientnet-b0",
                    "nas latency efficientnet-b0 --runtime onnxruntime --threads 2 --json",
                    "nas latency --validate 20")


def add_parser(subparsers) -> None:
    from nas.cost import LATENCY_DEVICES, RUNTIMES

    parser = subparsers.add_parser("latency", help="measured latency (ms), or validate the "
                                                   "per-block latency table",
                                   description=DESCRIPTION, formatter_class=HelpFormatter,
                                   epilog=EXAMPLES)
    parser.add_argument("target", metavar="TARGET", nargs="?", default=None,
                        help=TARGET_HELP + "; omit it with --validate")
    parser.add_argument("--runtime", choices=RUNTIMES, default="torch",
                        help="torch (eager) or onnxruntime (needs the deploy extra, see nas export --help)")
    parser.add_argument("--device", choices=LATENCY_DEVICES, default="cpu", help="where to run")
    parser.add_argument("--batch", type=positive_int, default=1, help="images per forward pass")
    parser.add_argument("--threads", type=positive_int, default=1,
                        help="intra-op threads, pinned for the measurement")
    parser.add_argument("--resolution", type=positive_int, default=None, metavar="PX",
                        help="input side in pixels (default: the config's resolution)")
    parser.add_argument("--max-seconds", type=positive_float, default=15.0, metavar="S",
                        help="bound on timed work per network, in seconds")
    parser.add_argument("--refresh", action="store_true",
                        help="measure again even if a stored result exists")
    parser.add_argument("--validate", type=positive_int, default=None, metavar="N",
                        help="measure N random networks of --space and report the per-block "
                             "table's prediction error instead of measuring TARGET")
    parser.add_argument("--space", default="efficientnet_b0", metavar="NAME|FILE",
                        help="with --validate: the search space to draw networks from")
    parser.add_argument("--seed", type=int, default=0, help="with --validate: the draw's seed")
    add_json_flag(parser)
    parser.set_defaults(run=run)


def _settings(args: argparse.Namespace):
    from nas.cost import LatencySettings

    return LatencySettings(runtime=args.runtime, device=args.device, batch=args.batch,
                           threads=args.threads, max_seconds=args.max_seconds)


def run(args: argparse.Namespace) -> int:
    if (args.target is None) == (args.validate is None):
        raise ConfigError("must give either TARGET or --validate N, but got "
                          + ("both" if args.target else "neither"))
    if args.validate is not None:
        return _validate(args)
    from nas.cost import LATENCY_UNIT, default_cache, measure_latency

    arch = resolve_target(args.target)
    result = measure_latency(arch, _settings(args), resolution=args.resolution,
                             cache=default_cache(), refresh=args.refresh)
    if args.json:
        print_json({"target": args.target, **result.to_dict()})
        return 0
    import pandas

    low, high = result.interval_ms
    rows = [("median", f"{result.median_ms:.3f} ms"), ("p90", f"{result.p90_ms:.3f} ms"),
            ("95 % interval of the median", f"{low:.3f} - {high:.3f} ms"),
            ("runs", f"{result.runs}" + ("" if result.converged else
                                         " (stopped by --max-seconds before +-2 %)")),
            ("runtime", result.runtime), ("device", f"{result.device}: {result.device_name}"),
            ("threads", result.threads), ("batch", result.batch),
            ("resolution", f"{result.resolution} px"),
            ("versions", ", ".join(f"{name} {version}"
                                   for name, version in result.versions.items())),
            ("measured", result.measured_at + (" (stored result)" if result.cached else ""))]
    print_table(pandas.DataFrame(rows, columns=["measure", "value"]), left=("measure", "value"),
                title=f"{args.target}: latency in {LATENCY_UNIT}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from nas._progress import progress_bar
    from nas.search import validate_latency

    if args.resolution is not None:
        raise ConfigError("--resolution must not be given with --validate (networks are "
                          "measured at the space's target resolution), but got "
                          f"{args.resolution}")
    with progress_bar(total=args.validate, desc="validate", unit="network",
                      disable=args.json) as bar:
        validation = validate_latency(space=args.space, count=args.validate,
                                      settings=_settings(args), seed=args.seed,
                                      on_network=lambda row: bar.update())
    if args.json:
        print_json({"space": args.space, **_settings(args).context(),
                    **validation.to_dict()})
        return 0
    import pandas

    frame = pandas.DataFrame([{
        "network": index, "blocks": " ".join(row["blocks"]),
        "predicted ms": f"{row['predicted_ms']:.3f}", "measured ms": f"{row['measured_ms']:.3f}",
        "error %": f"{row['error_percent']:+.1f}"} for index, row in enumerate(validation.rows)])
    print_table(frame.drop(columns="blocks"), title=(
        f"per-block latency table vs end-to-end measurement: {len(frame)} networks of "
        f"{args.space}, {args.runtime} on {args.device}, {args.threads} thread(s), batch "
        f"{args.batch} (milliseconds per forward pass)"))
    print(f"\nWithin +-10 %: {validation.within_share:.0%} of networks (target >= 90 %); "
          f"RMSE {validation.rmse_percent:.1f} %; mean error {validation.bias_percent:+.1f} %")
    return 0
