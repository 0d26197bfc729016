"""``nas supernet``: train one weight-sharing supernet over a whole search space."""

from __future__ import annotations

import argparse

from nas.cli._common import (
    HelpFormatter, add_json_flag, examples, non_negative_float, non_negative_int, print_json,
    print_table,
)
from nas.cli._options import add_data_options, add_space_option, add_train_options
from nas.cli._options import proxy_settings
from nas.scoring import SKIP_POSITIONS, SUPERNET_SAMPLINGS

DESCRIPTION = """\
Train one weight-sharing supernet that contains every candidate of a search space, so that
`nas search --supernet FILE` scores a candidate in seconds, with inherited weights, instead of
training its proxy.

Each candidate's proxy network (the proxy resolution, width and removed strides below, as
`nas search` uses them) is a subnet: it uses the leading channels, the centre of the largest
kernel and the first layers of each stage; MBConv, depthwise-separable (expand ratio 1) and
fused-MBConv blocks have weights of their own. Every step trains several subnets on one
batch (--sampling): sandwich (the default) trains the largest subnet on the labels and the
smallest and --random-subnets random subnets on the largest one's predictions (in-place
distillation; --no-distillation: on the labels); uniform trains --random-subnets random
subnets (SPOS); fair trains one subnet per option, every choice taking each of its options
once per step (FairNAS). --shrinking-epochs E starts every subnet but the largest at the
largest (progressive shrinking): each choice keeps the largest's value with a probability
falling from 1 to 0 over the first E epochs. On a layer-wise space, --skip-positions sampled
trains a random subnet's skipped layers where they were drawn instead of after the stage's
chosen layers (where a candidate has them when it is scored).

The file studies/<study>/supernet.pt is replaced after every epoch: a killed run loses at most
the epoch in progress, and the same command with --resume continues it.

Several processes or GPUs: torchrun --standalone --nproc-per-node N -m nas supernet ... trains
one supernet (gloo on CPU, NCCL on CUDA): --batch-size is per process, every process draws the
same subnets, their gradients are averaged, and rank 0 alone writes the file and reports. A
resume needs as many processes as the file records (world_size).
"""

EXAMPLES = examples("nas supernet --space tiny --data digits --epochs 3",
                    "nas supernet --data npz:cifar10_jpeg_10k.npz --epochs 30 --threads 2",
                    "nas supernet --data npz:cifar10_jpeg_10k.npz --epochs 30 --resume")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("supernet", help="train a weight-sharing supernet of a space",
                                   description=DESCRIPTION, formatter_class=HelpFormatter,
                                   epilog=EXAMPLES)
    group = parser.add_argument_group("supernet")
    add_space_option(group)
    group.add_argument("--sampling", choices=SUPERNET_SAMPLINGS, default="sandwich",
                       help="which subnets a step trains (see above)")
    group.add_argument("--random-subnets", type=non_negative_int, default=2, metavar="N",
                       help="random subnets per step: besides the largest and the smallest "
                            "under sandwich, all of them under uniform (>= 1); unused by fair")
    group.add_argument("--distillation", action=argparse.BooleanOptionalAction, default=True,
                       help="under sandwich, the other subnets learn from the largest one's "
                            "predictions (else from the labels)")
    group.add_argument("--shrinking-epochs", type=non_negative_float, default=0.0, metavar="E",
                       help="progressive shrinking over the first E epochs (0: off)")
    group.add_argument("--skip-positions", choices=SKIP_POSITIONS, default="first",
                       help="layer-wise spaces: where random subnets skip their layers")
    group.add_argument("--study", default=None, metavar="NAME",
                       help="directory under studies/ for supernet.pt (default: "
                            "supernet-<space>-<data>)")
    group.add_argument("--seed", type=non_negative_int, default=0,
                       help="splits the data (as a search's --seed does) and seeds training")
    group.add_argument("--resume", action="store_true",
                       help="continue the training saved in the file")
    add_data_options(parser, resolution_help="proxy resolution in pixels (the subnets' input)")
    add_train_options(parser, epochs=20)
    add_json_flag(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import pandas

    from nas._progress import write_line
    from nas.scoring import SupernetOptions, train_supernet
    from nas.train import world_from_environment

    main = world_from_environment().main  # under torchrun, rank 0 alone reports
    options = SupernetOptions(space=args.space, proxy=proxy_settings(args),
                              sampling=args.sampling, random_subnets=args.random_subnets,
                              distillation=args.distillation,
                              shrinking_epochs=args.shrinking_epochs,
                              skip_positions=args.skip_positions, seed=args.seed,
                              name=args.study, resume=args.resume)
    try:
        file = train_supernet(options, progress=not args.json,
                              log=None if args.json else write_line)
    except KeyboardInterrupt:
        if main:
            write_line("interrupted: the file holds every finished epoch; run the same command "
                       "with --resume to continue")
        return 130
    if not main:
        return 0
    document = file.describe()
    if args.json:
        print_json(document)
        return 0
    print_table(pandas.DataFrame(document["history"]).rename(columns={
        "largest_accuracy": "largest: val. accuracy", "smallest_accuracy":
        "smallest: val. accuracy", "seconds": "seconds (wall)"}),
        title=f"supernet of space {document['space']} on {document['data']} "
              f"({document['params']:,} parameters, {document['sampling']} sampling; "
              f"loss: the first subnet's on the labels; accuracies after batch-norm "
              f"recalibration, fractions of 1)")
    geometry = file.supernet.geometry
    print(f"written to {document['file']} (subnets at {geometry.resolution} px, width "
          f"{geometry.width:g}, {geometry.strides_removed} stride(s) removed)")
    return 0
