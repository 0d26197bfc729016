"""``nas rank-check``: rank fidelity of the cheap proxy (and zero-cost scores) against a stronger
reference protocol, with seed noise and cost per architecture."""

from __future__ import annotations

import argparse
import dataclasses

from nas.cli._common import (
    HelpFormatter, add_json_flag, examples, non_negative_int, parse_flops, positive_float,
    positive_int,
    print_json, print_table, quiet_optuna, train_size,
)
from nas.cli._options import add_data_options, add_space_option, add_study_options
from nas.cli._options import add_train_options
from nas.cli._options import proxy_settings, study_settings
from nas.cost import FLOP_UNIT
from nas.scoring import ZERO_COST_PROXIES, ProxySettings

DESCRIPTION = f"""\
Measure how well the search's cheap signals rank architectures on your space and data.

Draws N architectures from the space, spread evenly over their target FLOPs ({FLOP_UNIT}).
Each is trained with the cheap protocol under test (the proxy options below, as `nas search`
uses them) and with a reference protocol; by default the reference trains 3x the epochs on all
training images at the smallest resolution where every searched kernel choice changes the
function (see the warnings of `nas search`). A subset is trained again with a second seed, which
gives the seed noise of each protocol and a noise ceiling. For every cheap signal (proxy
accuracy after each epoch, zero-cost scores at initialisation, params, FLOPs) it reports
Spearman rho and Kendall tau against the reference accuracy with 95 % bootstrap intervals,
and each protocol's CPU-seconds per architecture. With --supernet, the accuracy each
architecture reaches with weights inherited from that supernet is one more signal. A learned
predictor (ridge regression over architecture features, FLOPs, params and those scores) is
scored out of sample: each architecture is predicted by a model fitted on the others.

With --truth table:FILE (a tabular benchmark of the space, e.g. NAS-Bench-Macro for
--space nasbench_macro) the table is the reference instead: nothing is trained for it, and
every signal is judged against the table's mean accuracy over N architectures spread over the
whole space and N more spread inside the FLOP band T +- 10 % (--flops T; default the median
FLOPs of the first N), beside FLOPs, params and the table's seed-against-seed ceiling.
--no-proxy-training then scores only the signals that need no training.

Every training is a trial of an Optuna study: re-running the same command resumes it.
"""


EXAMPLES = examples("nas rank-check --samples 16 --zero-cost synflow,grad_norm",
                    "nas rank-check --space nasbench_macro --truth "
                    "table:nas-bench-macro_cifar10.json --flops 52M --no-proxy-training "
                    "--samples 40",
                    "nas rank-check --data npz:cifar10_jpeg_10k.npz --workers 2")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("rank-check", help="rank fidelity of the proxy vs a reference",
                                   description=DESCRIPTION, formatter_class=HelpFormatter,
                                   epilog=EXAMPLES)
    group = parser.add_argument_group("architectures")
    add_space_option(group)
    group.add_argument("--samples", type=positive_int, default=16, metavar="N",
                       help="architectures, spread evenly over target FLOPs (at least 4)")
    group.add_argument("--repeats", type=positive_int, default=None, metavar="K",
                       help="architectures trained again with a second seed (default: N / 4, "
                            "at least 2)")
    group.add_argument("--zero-cost", default=",".join(ZERO_COST_PROXIES), metavar="NAMES",
                       help="zero-cost proxies to score, comma-separated, or none")
    group.add_argument("--bootstrap", type=positive_int, default=1000, metavar="N",
                       help="bootstrap resamples for the confidence intervals")
    group.add_argument("--supernet", default=None, metavar="FILE",
                       help="also score every architecture with the weights it inherits from "
                            "this supernet (written by nas supernet for --space): signal "
                            "'supernet'")
    group.add_argument("--truth", default=None, metavar="table:FILE",
                       help="judge every signal against this tabular benchmark of the space "
                            "(NAS-Bench-Macro's JSON or a CSV of architecture,accuracy rows) "
                            "instead of a trained reference protocol")
    group.add_argument("--flops", type=parse_flops, default=None, metavar="T",
                       help="with --truth: the budget whose band T +- 10 %% is reported "
                            "(fvcore FLOPs at the space's target: one fused multiply-add = "
                            "one FLOP; default: the median of the sampled architectures)")
    group.add_argument("--no-proxy-training", dest="train_proxy", action="store_false",
                       help="with --truth: train no proxy; score only zero-cost, supernet, "
                            "predictor, FLOPs and params")
    add_data_options(parser, resolution_help="resolution of the cheap proxy in pixels")
    add_train_options(parser, epochs=ProxySettings().train.epochs)
    reference = parser.add_argument_group("reference protocol")
    reference.add_argument("--reference-resolution", type=positive_int, default=None,
                           metavar="PX", help="default: the smallest resolution at which every "
                           "kernel choice of the space is visible (at least the proxy's)")
    reference.add_argument("--reference-epochs", type=positive_int, default=None,
                           help="default: 3 x --epochs")
    reference.add_argument("--reference-train-size", type=train_size, default=None,
                           metavar="N", help="default: all training images")
    reference.add_argument("--reference-width", type=positive_float, default=None, metavar="M",
                           help="default: the proxy's --proxy-width")
    reference.add_argument("--reference-strides-removed", type=non_negative_int, default=None,
                           metavar="N", help="default: the proxy's --proxy-strides-removed")
    add_study_options(parser, trials=None)
    add_json_flag(parser)
    parser.set_defaults(run=run)


def fidelity_table(rows: list[dict]):
    import pandas

    def interval(values) -> str:
        return "" if None in values else f"[{values[0]:+.2f}, {values[1]:+.2f}]"

    return pandas.DataFrame([{
        "signal": row["signal"], "Spearman rho": f"{row['spearman']:+.3f}"
        if row["spearman"] is not None else "n/a", "rho 95% CI": interval(row["spearman_ci"]),
        "Kendall tau": f"{row['kendall']:+.3f}" if row["kendall"] is not None else "n/a",
        "tau 95% CI": interval(row["kendall_ci"])} for row in rows])


def describe(settings) -> str:
    removed = f", {settings.strides_removed} stride(s) removed" if settings.strides_removed \
        else ""
    return (f"{settings.resolution} px{removed}, width {settings.width:g}, "
            f"{settings.train.epochs} epochs, train size {settings.train_size or 'all'}")


def run(args: argparse.Namespace) -> int:
    from nas.cli._printing import report_exit
    from nas.cli._search import log_line
    from nas.search import RankCheckOptions, default_reference, run_rank_check
    from nas.space import load_space

    quiet_optuna()
    names = () if args.zero_cost == "none" else tuple(
        name.strip() for name in args.zero_cost.split(",") if name.strip())
    proxy = proxy_settings(args)
    changes = {"width": args.reference_width, "strides_removed": args.reference_strides_removed}
    reference = default_reference(
        dataclasses.replace(proxy, **{k: v for k, v in changes.items() if v is not None}),
        load_space(args.space))
    reference = dataclasses.replace(
        reference, resolution=args.reference_resolution or reference.resolution,
        train_size=args.reference_train_size,
        train=dataclasses.replace(reference.train,
                                  epochs=args.reference_epochs or reference.train.epochs))
    options = RankCheckOptions(space=args.space, samples=args.samples, repeats=args.repeats,
                               proxy=proxy, reference=reference, zero_cost=names,
                               bootstrap=args.bootstrap, supernet=args.supernet,
                               truth=args.truth, target_flops=args.flops,
                               train_proxy=args.train_proxy, study=study_settings(args))
    result = run_rank_check(options, log=log_line)
    report = result.summary
    if args.json:
        print_json(report)
        return report_exit(result, "rank-check")
    if args.truth is not None:
        low, high = report["band_flops"]
        print(f"\nStudy {result.name!r} ({result.storage}): {report['architectures']} "
              f"architectures judged by {args.truth}.")
        for title, rows in ((f"Against the table's mean accuracy, all "
                             f"{report['architectures']} architectures:", report["fidelity"]),
                            (f"Within the FLOP band {low / 1e6:.2f}-{high / 1e6:.2f} M "
                             f"({report['band']['architectures']} architectures; {FLOP_UNIT}):",
                             report["band"]["fidelity"])):
            if rows:
                print_table(fidelity_table(rows), left=("signal",), title=title)
        return report_exit(result, "rank-check")
    print(f"\nStudy {result.name!r} ({result.storage}): {report['architectures']} architectures "
          f"with both protocols, {report['jobs_complete']} trainings complete.")
    print(f"Proxy: {describe(proxy)}; reference: {describe(reference)}.\n")
    if report["fidelity"]:
        print_table(fidelity_table(report["fidelity"]), left=("signal",),
                    title="Rank fidelity against the reference accuracy:")
    for protocol, noise in report["noise"].items():
        std = "n/a" if noise["seed_std"] is None else f"{100 * noise['seed_std']:.2f} %"
        ceiling = "" if noise["seed_kendall"] is None else \
            f", seed-vs-seed Kendall tau {noise['seed_kendall']:+.3f} (noise ceiling)"
        seconds = noise["cpu_seconds_per_architecture"]
        print(f"{protocol}: seed-noise std {std} of accuracy over {noise['pairs']} "
              f"architectures{ceiling}; {seconds if seconds is not None else 'n/a'} "
              f"CPU-seconds per architecture")
    if report["zero_cost_cpu_seconds_per_architecture"] is not None:
        print(f"zero-cost scores: {report['zero_cost_cpu_seconds_per_architecture']} "
              f"CPU-seconds per architecture")
    return report_exit(result, "rank-check")
