"""Option groups shared by ``nas search``, ``nas scale`` and ``nas train``."""

from __future__ import annotations

import argparse

from nas.cli._common import (
    finite_float,
    fraction,
    non_negative_int,
    positive_float,
    positive_int,
    train_size,
)
from nas.data import DATA_HELP
from nas.scoring import ProxySettings
from nas.study import PRUNERS, SAMPLERS, STORAGE_HELP, StudySettings
from nas.train import OPTIMIZERS, SCHEDULES, TrainConfig

_DEFAULT_TRAIN = TrainConfig()


def add_space_option(group) -> None:
    from nas.space import space_names

    group.add_argument("--space", default="efficientnet_b0", metavar="NAME|FILE",
                       help=f"search space: {', '.join(space_names())}, or a YAML file")


def add_data_options(parser: argparse.ArgumentParser, *, resolution_help: str,
                     from_supernet: bool = False) -> None:
    """The data and proxy-geometry options. With ``from_supernet`` (``nas search``) they are
    left unset (None) when not given, so that ``--supernet`` can fill them from its file; their
    help then states the usual default."""
    group = parser.add_argument_group("data")
    defaults = ProxySettings()

    def default(value, text: str) -> dict:
        if not from_supernet:
            return {"default": value, "help": text}
        shown = "all" if value is None else value
        return {"default": None,
                "help": f"{text} (default: {shown}, or the supernet's with --supernet)"}

    if from_supernet:  # DATA_HELP names digits as the default already
        group.add_argument("--data", default=None, metavar="SPEC",
                           help=f"{DATA_HELP}; with --supernet, the supernet's by default")
    else:
        group.add_argument("--data", default=defaults.data, metavar="SPEC", help=DATA_HELP)
    group.add_argument("--proxy-resolution", type=positive_int, metavar="PX",
                       **default(defaults.resolution, resolution_help))
    group.add_argument("--proxy-width", type=positive_float, metavar="M", **default(
        defaults.width, "proxy width multiplier (channels x M, rounded to multiples of 8)"))
    group.add_argument("--proxy-strides-removed", type=non_negative_int, metavar="N", **default(
        defaults.strides_removed,
        "train the proxy with its first N stride-2 stages at stride 1 (a stride-adapted proxy: "
        "each removed stride doubles every later feature map, like doubling the resolution, at "
        "about that cost)"))
    group.add_argument("--train-size", type=train_size, default=None, metavar="N",
                       help="train on a stratified subset of N images, e.g. 8000 or 8k "
                            "(default: all)")
    group.add_argument("--validation-fraction", type=positive_float, metavar="F", **default(
        defaults.validation_fraction,
        "share of the training images held out for validation (never trained on)"))


PROXY_OPTIONS = {"data": "data", "resolution": "proxy_resolution", "width": "proxy_width",
                 "strides_removed": "proxy_strides_removed", "train_size": "train_size",
                 "validation_fraction": "validation_fraction"}
"""ProxySettings field -> argparse destination of the data and proxy-geometry options."""


def given_proxy_options(args: argparse.Namespace) -> set[str]:
    """The ProxySettings fields the user set on the command line (those not None)."""
    return {field for field, name in PROXY_OPTIONS.items() if getattr(args, name) is not None}


def add_train_options(parser: argparse.ArgumentParser, *, epochs: int) -> None:
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=positive_int, default=epochs, help="training epochs")
    group.add_argument("--batch-size", type=positive_int, default=_DEFAULT_TRAIN.batch_size,
                       help="images per step")
    group.add_argument("--optimizer", choices=OPTIMIZERS, default=_DEFAULT_TRAIN.optimizer,
                       help="sgd (Nesterov momentum), rmsprop (torch's, decay 0.9, eps 1e-3) or "
                            "rmsprop_tf (TensorFlow's, as EfficientNet was trained)")
    group.add_argument("--lr", type=positive_float, default=_DEFAULT_TRAIN.learning_rate,
                       help="peak learning rate")
    group.add_argument("--momentum", type=fraction, default=_DEFAULT_TRAIN.momentum,
                       help="optimizer momentum")
    group.add_argument("--weight-decay", type=finite_float, default=_DEFAULT_TRAIN.weight_decay,
                       help="L2 penalty on conv/linear weights")
    group.add_argument("--schedule", choices=SCHEDULES, default=_DEFAULT_TRAIN.schedule,
                       help="learning-rate schedule: cosine (with warm-up) or onecycle")
    group.add_argument("--warmup-epochs", type=finite_float,
                       default=_DEFAULT_TRAIN.warmup_epochs,
                       help="linear warm-up in epochs (cosine; at most a fifth of training)")
    group.add_argument("--label-smoothing", type=fraction,
                       default=_DEFAULT_TRAIN.label_smoothing, help="label smoothing")
    group.add_argument("--no-augment", action="store_true",
                       help="no random translation / flips")
    group.add_argument("--flip", action=argparse.BooleanOptionalAction, default=None,
                       help="horizontal flips when augmenting (default: on for colour photos "
                            "only, off for grayscale images and digits)")
    group.add_argument("--no-channels-last", action="store_true",
                       help="train in NCHW instead of channels_last")
    group.add_argument("--device", default="cpu", metavar="DEVICE",
                       help="cpu, cuda or cuda:N")
    group.add_argument("--threads", type=positive_int, default=None,
                       help="torch threads per worker (default: cores / workers)")
    group.add_argument("--amp", action=argparse.BooleanOptionalAction, default=False,
                       help="mixed precision (bfloat16 on CPU, float16 on CUDA)")


def add_study_options(parser: argparse.ArgumentParser, *, trials: int | None) -> None:
    group = parser.add_argument_group("study")
    group.add_argument("--study", default=None, metavar="NAME",
                       help="study name (default: derived from the options)")
    group.add_argument("--storage", default=None, metavar="URL",
                       help=STORAGE_HELP)
    group.add_argument("--seed", type=non_negative_int, default=0,
                       help="study seed; each trial's seed derives from (seed, trial number)")
    if trials is not None:
        group.add_argument("--trials", type=positive_int, default=trials,
                           help="the study's total of finished trials; a re-run tops it up")
    group.add_argument("--timeout", type=positive_float, default=None, metavar="SECONDS",
                       help="start no new trial after this many seconds")
    group.add_argument("--workers", type=positive_int, default=1,
                       help="worker processes on this machine")
    group.add_argument("--max-failures", type=positive_int, default=5, metavar="K",
                       help="stop after K consecutive failed trials")


def add_sampler_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sampling")
    group.add_argument("--sampler", choices=SAMPLERS, default=None,
                       help="tpe (default; multivariate), gp (Gaussian process; it learns "
                            "nothing from over-budget candidates, which are skipped untrained, "
                            "so under a tight --flops it keeps proposing them), evolution "
                            "(regularized evolution: mutate one choice of a tournament winner), "
                            "random, or nsga2 (default with --objective multi)")
    group.add_argument("--pruner", choices=PRUNERS, default="none",
                       help="stop weak trials early using the per-epoch reward, never before "
                            "the first epoch trained wholly after the learning-rate warm-up")


def train_config(args: argparse.Namespace, **overrides) -> TrainConfig:
    return TrainConfig(**{
        "epochs": args.epochs, "batch_size": args.batch_size, "optimizer": args.optimizer,
        "learning_rate": args.lr, "momentum": args.momentum, "weight_decay": args.weight_decay,
        "schedule": args.schedule, "warmup_epochs": args.warmup_epochs,
        "label_smoothing": args.label_smoothing, "augment": not args.no_augment,
        "flip": args.flip,
        "channels_last": not args.no_channels_last, "device": args.device,
        "threads": args.threads, "amp": args.amp, "seed": getattr(args, "seed", 0),
        **overrides})


def proxy_settings(args: argparse.Namespace) -> ProxySettings:
    """The proxy settings of the options; an option left unset takes ProxySettings' default."""
    defaults = ProxySettings()
    values = {field: getattr(args, name) if getattr(args, name) is not None
              else getattr(defaults, field) for field, name in PROXY_OPTIONS.items()}
    return ProxySettings(**values, train=train_config(args))


def study_settings(args: argparse.Namespace, **overrides) -> StudySettings:
    return StudySettings(**{
        "name": args.study, "storage": args.storage, "sampler": getattr(args, "sampler", None),
        "pruner": getattr(args, "pruner", "none"), "seed": args.seed,
        "trials": getattr(args, "trials", 1), "timeout": args.timeout, "workers": args.workers,
        "max_failures": args.max_failures, **overrides})
