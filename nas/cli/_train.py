"""``nas train TARGET``: train one architecture fully, with checkpoints and resume."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nas._errors import ConfigError
from nas.cli._common import (
    HelpFormatter, add_json_flag, examples, fraction, non_negative_int, open_fraction,
    positive_int, print_json, quiet_optuna, train_size,
)
from nas.cli._options import add_train_options, train_config
from nas.search import TARGET_HELP, resolve_target
from nas.cost import FLOP_UNIT
from nas.data import DATA_HELP
from nas.train import POLICIES, RECIPES

DESCRIPTION = f"""\
Train an architecture (preset, config file, study trial or family member) on a data set, with
per-epoch validation and a checkpoint (state_dict plus the config) after every epoch in --out.
--resume continues an interrupted run from its last checkpoint. The classifier is rebuilt for
the data's classes. The result (accuracies per epoch, final validation and test accuracy, the
exact config, params and FLOPs) is written to <out>/result.json. {FLOP_UNIT}.
"""


def crop_fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.5 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number in [0.5, 1], but got {text!r}")
    return value


def at_least_8(text: str) -> int:
    value = positive_int(text)
    if value < 8:
        raise argparse.ArgumentTypeError(f"must be an integer >= 8 pixels, but got {text!r}")
    return value


def parse_progressive(text: str) -> tuple[int, int]:
    parts = text.split(":")
    try:
        start, end = (int(part) for part in parts)
    except ValueError:
        start = end = 0
    if len(parts) != 2 or not 8 <= start <= end:
        raise argparse.ArgumentTypeError(f"must be START:END pixels with 8 <= START <= END, "
                                         f"such as 16:32, but got {text!r}")
    return start, end


EXAMPLES = examples("nas train studies/demo-search/best.yaml --epochs 30 --data digits",
                    "nas train efficientnet-b0 --resolution 32 --epochs 10 --device cuda --amp")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train one architecture fully",
                                   description=DESCRIPTION, formatter_class=HelpFormatter,
                                   epilog=EXAMPLES)
    parser.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    group = parser.add_argument_group("run")
    group.add_argument("--data", default="digits", metavar="SPEC", help=DATA_HELP)
    group.add_argument("--resolution", type=at_least_8, default=None, metavar="PX",
                       help="training resolution (default: the config's resolution; 32 on "
                            "the 8x8 digits)")
    group.add_argument("--progressive", type=parse_progressive, default=None,
                       metavar="START:END",
                       help="grow the resolution linearly from START to END pixels over the "
                            "epochs, and dropout from half to its full value (EfficientNetV2)")
    group.add_argument("--out", metavar="DIR", default=None,
                       help="checkpoint and result directory (default: studies/train-<name>)")
    group.add_argument("--resume", action="store_true",
                       help="continue from <out>/checkpoint.pt after an interruption")
    group.add_argument("--init", metavar="CHECKPOINT", default=None,
                       help="start from these weights (a nas checkpoint or a state dict); the "
                            "classifier is re-initialised if the class count differs")
    group.add_argument("--freeze-features", action="store_true",
                       help="train only the classifier (use with --init)")
    group.add_argument("--train-size", type=train_size, default=None, metavar="N",
                       help="train on a stratified subset of N images, e.g. 8000 or 8k")
    group.add_argument("--validation-fraction", type=open_fraction, default=0.2,
                       metavar="F",
                       help="share of the training pool held out for per-epoch validation "
                            "(never trained on); the rest is trained on. Without its own test "
                            "split (or a val/ folder) a source first loses 20%% to the test "
                            "hold-out, so 0.2 trains on 64%% of the images and 0.05 on 76%%")
    group.add_argument("--loader-workers", type=non_negative_int, default=None, metavar="N",
                       help="processes reading training batches ahead of each step (default: "
                            "0 for data in memory or on CPU; on CUDA with a folder, one per "
                            "core up to 8)")
    group.add_argument("--strict", action="store_true",
                       help="stop at the first unreadable image of a folder (by default "
                            "unreadable images are left out and counted in result.json)")
    group.add_argument("--seed", type=non_negative_int, default=0,
                       help="seed of weights, batches and the validation split")
    group.add_argument("--storage", default=None, metavar="URL",
                       help="storage of a study:NAME target (default: its local journal)")
    add_train_options(parser, epochs=10)
    recipe = parser.add_argument_group("recipe (each part also alone; options given override "
                                       "the recipe's)")
    recipe.add_argument("--recipe", choices=RECIPES, default=None,
                        help="a named option set: efficientnet = --optimizer rmsprop_tf, --lr "
                             "0.016 x batch/256, --momentum 0.9, --weight-decay 1e-5, "
                             "--label-smoothing 0.1, --ema-decay 0.9999, --policy randaugment, "
                             "--random-resized-crop, --eval-crop 0.875, --drop-path-rate 0.2, "
                             "--amp (the schedule stays warm-up + cosine)")
    recipe.add_argument("--ema-decay", type=fraction, default=None, metavar="D",
                        help="evaluate and save an exponential moving average of the weights "
                             "with this decay (e.g. 0.9999)")
    recipe.add_argument("--policy", choices=POLICIES, default="none",
                        help="batch augmentation policy after crop and flip (kornia, on the "
                             "device)")
    recipe.add_argument("--random-resized-crop", action=argparse.BooleanOptionalAction,
                        default=False,
                        help="train on random-resized crops (scale 0.08-1) instead of shifts")
    recipe.add_argument("--eval-crop", type=crop_fraction, default=1.0, metavar="F",
                        help="store images at R/F pixels and evaluate their central R (0.875: "
                             "256 -> 224); 1 = no crop")
    recipe.add_argument("--drop-path-rate", type=fraction, default=None, metavar="P",
                        help="stochastic depth: replaces the config's drop_path_rate")
    add_json_flag(parser)
    parser.set_defaults(run=run)


RECIPE_FLAGS = {"optimizer": "--optimizer", "learning_rate": "--lr", "momentum": "--momentum",
                "weight_decay": "--weight-decay", "label_smoothing": "--label-smoothing",
                "ema_decay": "--ema-decay", "policy": "--policy",
                "random_resized_crop": "--random-resized-crop", "eval_crop": "--eval-crop",
                "amp": "--amp"}


def given(args: argparse.Namespace, flag: str) -> bool:
    """Whether the command line named ``flag`` (or its --no- form)."""
    negative = "--no-" + flag[2:]
    return any(token in (flag, negative) or token.startswith(flag + "=")
               for token in getattr(args, "argv", ()))


def recipe_options(args: argparse.Namespace):
    """The training config and stochastic-depth rate: the options, with ``--recipe``'s values
    for every part not given on the command line."""
    from nas.train import RECIPE_DROP_PATH_RATE, apply_recipe, world_from_environment

    config = train_config(args, ema_decay=args.ema_decay, policy=args.policy,
                          random_resized_crop=args.random_resized_crop,
                          eval_crop=args.eval_crop)
    drop_path_rate = args.drop_path_rate
    if args.recipe is None:
        return config, drop_path_rate
    kept = {field for field, flag in RECIPE_FLAGS.items() if given(args, flag)}
    if drop_path_rate is None:
        drop_path_rate = RECIPE_DROP_PATH_RATE
    return (apply_recipe(config, args.recipe, given=kept,
                         world_size=world_from_environment().size), drop_path_rate)


def run(args: argparse.Namespace) -> int:
    from nas._progress import progress_bar

    from nas.study import Terminated, terminate_on_sigterm
    from nas.train import FullTrainOptions, TrainingError, train_full, world_from_environment

    quiet_optuna()
    if args.freeze_features and not args.init:
        raise ConfigError("--freeze-features must come with --init CHECKPOINT (frozen random "
                          "features would never learn), but got no --init")
    arch = resolve_target(args.target, storage=args.storage)
    config, drop_path_rate = recipe_options(args)
    name = os.path.splitext(os.path.basename(args.target.replace(":", "-")))[0]
    options = FullTrainOptions(
        arch=arch, name=name, data=args.data, resolution=args.resolution,
        progressive=args.progressive, train=config, drop_path_rate=drop_path_rate,
        out=args.out or os.path.join("studies", f"train-{name}"), resume=args.resume,
        init=args.init, freeze_features=args.freeze_features, train_size=args.train_size,
        validation_fraction=args.validation_fraction, strict=args.strict,
        loader_workers=args.loader_workers)
    bars = []
    main = world_from_environment().main  # under torchrun, rank 0 alone reports

    def on_epoch(entry, resolution: int) -> None:
        if not main:
            return
        if not bars:  # created at the first epoch, so input errors print no bar
            bars.append(progress_bar(total=args.epochs, initial=entry.epoch - 1,
                                     desc=f"train {name}", unit="epoch"))
        bars[0].n = entry.epoch
        bars[0].set_postfix(accuracy=f"{entry.validation_accuracy:.4f}", px=resolution)
        bars[0].refresh()

    try:
        with terminate_on_sigterm():
            result = train_full(options, on_epoch=on_epoch)
    except KeyboardInterrupt as interrupt:
        code = 143 if isinstance(interrupt, Terminated) else 130
        if not main:
            return code
        if (Path(options.out) / "checkpoint.pt").exists():
            print(f"\nnas train: interrupted; the last finished epoch is saved in "
                  f"{options.out}; re-run with --resume to continue", file=sys.stderr)
        else:
            print("\nnas train: interrupted before the first epoch finished; nothing was "
                  "saved", file=sys.stderr)
        return code
    except TrainingError as error:
        print(f"nas train: error: {error}", file=sys.stderr)
        return 1
    finally:
        for bar in bars:
            bar.close()
    document = result.document
    if not main:
        return 0
    if args.json:
        print_json(document)
        return 0
    print(f"{name}: {document['epochs']} epochs at {document['resolution']} px on {args.data}; "
          f"{document['params']:,} parameters, {document['flops']:,} FLOPs at that resolution "
          f"({FLOP_UNIT}).")
    print(f"validation accuracy {document['validation_accuracy']:.4f}"
          + (f", test accuracy {document['test_accuracy']:.4f}"
             if document["test_accuracy"] is not None else ""))
    if document["images"]["skipped"]:
        print(f"{document['images']['skipped']} unreadable images were left out (listed in "
              f"result.json; --strict stops at the first)")
    print(f"checkpoint: {document['checkpoint']}; result: {result.path}")
    return 0
