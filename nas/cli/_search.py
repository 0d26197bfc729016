"""``nas search``: FLOP-constrained architecture search."""

from __future__ import annotations

import argparse


from nas.cli._common import (
    HelpFormatter, add_json_flag, duration, examples, finite_float, non_negative_int,
    parse_flops, positive_int, quiet_optuna,
)
from nas.cli._options import (
    add_data_options,
    add_space_option,
    add_sampler_options,
    add_study_options,
    add_train_options,
    given_proxy_options,
    proxy_settings,
    study_settings,
)
from nas._errors import ConfigError
from nas.cost import FLOP_UNIT, LATENCY_DEVICES, RUNTIMES, LatencySettings
from nas.scoring import CALIBRATION_IMAGES, EVALUATORS_HELP, ZERO_COST_PROXIES, ProxySettings
from nas.search import DEFAULT_CANDIDATES, REWARD_MODES

DESCRIPTION = f"""\
Search a space of MBConv architectures under a FLOP budget.

Each trial samples an architecture, counts its FLOPs at the space's target resolution and class
count (analytically, {FLOP_UNIT}), trains a proxy on the data for a few epochs, and scores it
with the reward ACC x (FLOPs/T)^w: soft (w = -0.07 on both sides of T) or hard (w = 0 under T,
-1 over). In every mode, candidates over T x (1 + slack) are infeasible: they are recorded but
never trained, since they cannot win.

With --latency T instead of --flops, the cost is latency on this machine (MnasNet's own target):
each candidate's latency is predicted from a per-block lookup table timed once per device, the
reward is ACC x (LAT/T)^w with the same soft and hard modes, and every trained candidate is also
measured end to end (trials record both). FLOPs stay the default: they are exact and noise-free,
while latency on a shared machine is not.

Trials live in an Optuna study: re-running the same command resumes it, topping it up to
--trials finished trials. The best architecture is written to studies/<study>/best.yaml.
"""


EXAMPLES = examples("nas search --flops 400M --baseline --confirm 3",
                    "nas search --flops 400M --supernet studies/supernet-efficientnet_b0-digits/"
                    "supernet.pt --trials 300",
                    "nas search --latency 12ms --baseline",
                    "nas search --space tiny --flops 5M --data folder:photos --trials 10",
                    "nas search --space nasbench_macro --flops 50M --trials 200 --evaluate "
                    "table:nas-bench-macro_cifar10.json")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("search", help="FLOP-constrained architecture search",
                                   description=DESCRIPTION, formatter_class=HelpFormatter,
                                   epilog=EXAMPLES)
    group = parser.add_argument_group("search")
    add_space_option(group)
    group.add_argument("--flops", type=parse_flops, default=None, metavar="T",
                       help="FLOP target T at the space's target resolution, e.g. 400M, 1.2G, "
                            "400000000 or 400e6 (fvcore FLOPs: one fused multiply-add = one "
                            "FLOP; default: 400M)")
    group.add_argument("--latency", type=duration, default=None, metavar="T",
                       help="instead of --flops: a latency target T on this machine, e.g. 12ms, "
                            "0.012s or 1500us (milliseconds per forward pass at the space's "
                            "target resolution), with MnasNet's reward ACC x (LAT/T)^w; LAT is "
                            "predicted from a per-block table measured once per device "
                            "(studies/latency/blocks.json) and each trained candidate is also "
                            "measured end to end")
    group.add_argument("--latency-runtime", choices=RUNTIMES, default="torch",
                       help="with --latency: the runtime latency is measured in")
    group.add_argument("--latency-device", choices=LATENCY_DEVICES, default="cpu",
                       help="with --latency: the device latency is measured on")
    group.add_argument("--latency-threads", type=positive_int, default=1, metavar="N",
                       help="with --latency: intra-op threads, pinned while measuring")
    group.add_argument("--latency-batch", type=positive_int, default=1, metavar="N",
                       help="with --latency: images per forward pass")
    group.add_argument("--reward", choices=REWARD_MODES, default="soft",
                       help="soft (w = -0.07) or hard (w = 0 under T, -1 over)")
    group.add_argument("--w", type=finite_float, default=None,
                       help="override the reward exponent w (in hard mode: over T)")
    group.add_argument("--slack", type=finite_float, default=0.1,
                       help="over-budget tolerance: candidates above T x (1 + slack) are "
                            "infeasible and never trained")
    group.add_argument("--objective", choices=("single", "multi"), default="single",
                       help="single: the reward; multi: (accuracy up, FLOPs down; with "
                            "--latency, predicted latency down) with NSGA-II, reporting the "
                            "Pareto front")
    group.add_argument("--baseline", action="store_true",
                       help="enqueue the space's baseline (EfficientNet-B0) as the first trial")
    group.add_argument("--confirm", type=non_negative_int, default=0, metavar="K",
                       help="after the trials, train the K best again with another seed: the "
                            "winner is the best mean reward over seeds among them, and the "
                            "table marks trials within noise of it (within 2 x sqrt(2) x the "
                            "seed std); 0: single seed, no noise estimate")
    group.add_argument("--prescreen", type=non_negative_int, default=None, metavar="K",
                       help="before the first trial, score K random feasible candidates with a "
                            "zero-cost proxy at initialisation and queue the best K/10 (at most "
                            "half of --trials) as the first trials; 0 = off (default: "
                            f"{DEFAULT_CANDIDATES} for a new study whose candidates are "
                            "trained, the best pipeline judged by NAS-Bench-Macro; 0 with "
                            "--supernet or --evaluate table:FILE)")
    group.add_argument("--proxy", choices=ZERO_COST_PROXIES, default="naswot",
                       help="the zero-cost proxy of --prescreen (default naswot: it ranks "
                            "NAS-Bench-Macro's networks of equal FLOPs at Kendall tau 0.64, "
                            "zico at 0.10)")
    group.add_argument("--supernet", default=None, metavar="FILE",
                       help="score each candidate with the weights it inherits from this "
                            "supernet (written by nas supernet; its space must be --space) "
                            "instead of training its proxy: seconds per candidate. The data, "
                            "proxy geometry and split are the file's (options given must agree "
                            "with it); the training options do not apply")
    group.add_argument("--evaluate", default="train", metavar="HOW",
                       help=f"how a candidate's accuracy is found: {EVALUATORS_HELP}. A table "
                            f"answers in milliseconds with the published training that the "
                            f"trial's seed picks (its mean is recorded too); samplers, reward, "
                            f"budget, --confirm and --workers behave as with training")
    group.add_argument("--strict", action="store_true",
                       help="stop at the first unreadable image of a folder (by default "
                            "unreadable images are left out and counted in the summary)")
    group.add_argument("--calibration-images", type=positive_int, default=CALIBRATION_IMAGES,
                       metavar="N",
                       help="with --supernet: training images that recalibrate each "
                            f"candidate's batch-norm statistics (default {CALIBRATION_IMAGES})")
    add_data_options(parser, resolution_help="proxy training resolution in pixels",
                     from_supernet=True)
    add_train_options(parser, epochs=ProxySettings().train.epochs)
    add_study_options(parser, trials=20)
    add_sampler_options(parser)
    add_json_flag(parser)
    parser.set_defaults(run=run)


def log_line(text: str) -> None:
    from nas._progress import write_line

    write_line(text)


def run(args: argparse.Namespace) -> int:
    from nas.cli._printing import finish
    from nas.search import SearchOptions, adopt_supernet_protocol, run_search

    quiet_optuna()
    if args.flops is not None and args.latency is not None:
        raise ConfigError(f"must give one target, --flops or --latency, but got both "
                          f"(--flops {args.flops}, --latency {args.latency:g}ms)")
    latency = LatencySettings(runtime=args.latency_runtime, device=args.latency_device,
                              threads=args.latency_threads, batch=args.latency_batch)
    proxy = proxy_settings(args)
    if args.supernet is not None:
        proxy = adopt_supernet_protocol(proxy, args.supernet, given=given_proxy_options(args))
    options = SearchOptions(space=args.space, target_flops=args.flops or 400_000_000,
                            target_latency_ms=args.latency, latency=latency, reward=args.reward,
                            w=args.w, slack=args.slack, objective=args.objective,
                            baseline=args.baseline, prescreen=args.prescreen,
                            confirm=args.confirm,
                            prescreen_proxy=args.proxy, proxy=proxy,
                            supernet=args.supernet,
                            calibration_images=args.calibration_images,
                            strict=args.strict, evaluate=args.evaluate,
                            study=study_settings(args))
    return finish(run_search(options, progress=True, log=log_line), as_json=args.json)
