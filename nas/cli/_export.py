"""``nas export TARGET --format yaml|json|timm|onnx`` and ``nas export --study NAME``."""

from __future__ import annotations

import argparse

from nas._errors import ConfigError
from nas._files import atomic_write
from nas.cli._common import HelpFormatter, examples, positive_int, print_json
from nas.search import (
    TARGET_HELP,
    load_weighted_target,
    resolve_target,
    study_arch,
    study_target,
)
from nas.exporting import EXPORT_FORMATS, export, write_onnx

DESCRIPTION = """\
Export an architecture as our config (yaml, json) or as timm's EfficientNet arguments (timm).

The timm document holds arch_def (lists of timm block strings with channels and repeats already
scaled), stem_size, num_features, num_classes, act_layer, drop_rate and drop_path_rate; timm's
EfficientNet builder with multipliers 1.0 builds the same network (same params and FLOPs).
It also states what timm must be told to build exactly our network: output_stride (the total
stride, stem 2 x stage strides, where above timm's default 32, which would dilate instead),
pad_type '' (symmetric k//2 padding; TensorFlow's 'same' gives the same shapes, params and
FLOPs but different outputs), bn_eps 0.001 (our batch norm's epsilon; timm's default is 1e-5)
and input_size [3, R, R] (the config's resolution). Every command taking an architecture
reads the document back as the same architecture (an ir stage without expansion as ds).
A study's trial is exported at the search space's target resolution and class count.
"""

ONNX_DESCRIPTION = """
--format onnx writes the network itself, weights included, as one ONNX file: input images
(batch, 3, R, R) float32, output logits; R is --resolution or the architecture's resolution,
the batch is 1, or dynamic with --dynamic-batch. The weights are the checkpoint's when TARGET
is a .pt/.pth file of nas train, else a random initialisation (seed 0). The file is moved into
place only once onnxruntime matches PyTorch within 1e-4 on random images (batch 1, and 4 with
--dynamic-batch). ONNX is binary: without -o it is written to <name>.onnx in the current
directory (name: the preset, the config or checkpoint file's stem, or <study>-trial<N>).
Needs the deploy extra (onnx, onnxscript, onnxruntime): from a checkout, pip install -e
'.[deploy]' (make installs it); from a wheel, pip install 'nas-<version>-py3-none-any.whl[deploy]'.
Not pip install 'nas[deploy]': PyPI's 'nas' is an unrelated project.

--supernet FILE exports TARGET's subnet of that supernet instead (the network the supernet
scores for it: its proxy resolution, width and removed strides), with the weights it inherits,
batch norm recalibrated on 256 training images: --format onnx writes it with those weights,
--format pt writes a checkpoint in nas train's format, which nas export, nas latency and
nas train take as an architecture and nas train --init as starting weights; yaml, json and
timm give the subnet's architecture.
"""

FORMATS = (*EXPORT_FORMATS, "onnx", "pt")

EXAMPLES = examples("nas export efficientnet-b0 --format timm -o b0.timm.json",
                    "nas export study:demo-search --format yaml",
                    "nas export efficientnet-b0 --format onnx --dynamic-batch",
                    "nas export studies/train/checkpoint.pt --format onnx -o trained.onnx",
                    "nas export study:NAME --supernet studies/SUPERNET/supernet.pt --format pt "
                    "-o subnet.pt")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("export", help="export as yaml, json, timm arch_def or onnx",
                                   description=DESCRIPTION + ONNX_DESCRIPTION,
                                   formatter_class=HelpFormatter,
                                   epilog=EXAMPLES)
    parser.add_argument("target", metavar="TARGET", nargs="?", default=None,
                        help=TARGET_HELP + "; omit it when --study is given")
    parser.add_argument("--study", default=None, metavar="NAME",
                        help="export a trial of this study instead of TARGET")
    parser.add_argument("--trial", default="best", metavar="N|best",
                        help="with --study: the trial number, or best")
    parser.add_argument("--storage", default=None, metavar="URL",
                        help="with --study: the study's Optuna storage "
                             "(default: studies/<study>/journal.log)")
    parser.add_argument("--format", choices=FORMATS, default="yaml",
                        help="output format")
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="write to FILE (atomically) instead of standard output; onnx "
                             "always writes a file (default: <name>.onnx in the current "
                             "directory)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON document (format, output file, the exported "
                             "document; for onnx the file's inputs, outputs, weights, size, "
                             "versions and onnxruntime's differences) instead of the exported "
                             "text or the one-line summary")
    parser.add_argument("--supernet", default=None, metavar="FILE",
                        help="export TARGET's subnet of this supernet (written by nas supernet) "
                             "with its inherited weights; --format pt writes it as a checkpoint "
                             "for nas train --init")
    onnx = parser.add_argument_group("onnx")
    onnx.add_argument("--resolution", type=positive_int, default=None, metavar="R",
                      help="input side in pixels (default: the architecture's resolution)")
    onnx.add_argument("--dynamic-batch", action="store_true",
                      help="a dynamic batch dimension instead of batch 1")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if (args.target is None) == (args.study is None):
        raise ConfigError("must give either TARGET or --study NAME, but got "
                          + ("both" if args.target else "neither"))
    if args.supernet is not None:
        return run_subnet(args)
    if args.format == "pt":
        raise ConfigError("--format pt must come with --supernet FILE (it writes a subnet's "
                          "inherited weights), but got no --supernet")
    if args.format == "onnx":
        return run_onnx(args)
    onnx_only = [flag for flag, given in (("--resolution", args.resolution is not None),
                                          ("--dynamic-batch", args.dynamic_batch)) if given]
    if onnx_only:
        raise ConfigError(f"{' and '.join(onnx_only)} must come with --format onnx, but got "
                          f"--format {args.format}")
    if args.study is not None:
        arch = study_arch(args.study, trial=args.trial, storage=args.storage)
    else:
        arch = resolve_target(args.target, storage=args.storage)
    text = export(arch, args.format)
    if args.output:
        atomic_write(args.output, text)
    if args.json:
        import yaml

        document = yaml.safe_load(text)  # yaml, json and timm's JSON all read back as YAML
        print_json({"format": args.format, "output": args.output, "document": document})
    elif not args.output:
        print(text, end="")
    return 0


def run_subnet(args: argparse.Namespace) -> int:
    """TARGET's subnet of a supernet, with inherited weights, in the format asked for."""
    from nas.arch import to_dict
    from nas.scoring import inherited_subnet, load_supernet, write_subnet_checkpoint

    file = load_supernet(args.supernet)
    if args.study is not None:
        target, name = study_arch(args.study, trial=args.trial, storage=args.storage), args.study
    else:  # the architecture and the name of any TARGET, read once
        loaded = load_weighted_target(args.target, storage=args.storage)
        target, name = loaded.arch, loaded.name
    if args.format == "pt":
        path = args.output or f"{name}-subnet.pt"
        arch = write_subnet_checkpoint(file, target, path)
        document = {"format": "pt", "output": path, "supernet": str(file.path),
                    "arch": to_dict(arch)}
    elif args.format == "onnx":
        from nas.model import require_deploy

        require_deploy("--format onnx")
        arch, model = inherited_subnet(file, target)
        document = write_onnx(arch, args.output or f"{name}-subnet.onnx",
                              state_dict=model.state_dict(), resolution=args.resolution,
                              dynamic_batch=args.dynamic_batch)
    else:
        arch = file.supernet.geometry.proxy(target)
        text = export(arch, args.format)
        if args.output:
            atomic_write(args.output, text)
        elif not args.json:
            print(text, end="")
        document = {"format": args.format, "output": args.output, "supernet": str(file.path)}
    if args.json:
        print_json(document)
    elif args.format in ("pt", "onnx"):
        written = document["output"] if args.format == "pt" else document["path"]
        print(f"Wrote {written}: the subnet of {args.supernet} for this architecture, with its "
              f"inherited weights")
    return 0


def run_onnx(args: argparse.Namespace) -> int:
    """Write, check and describe the ONNX file (one line, or the JSON document)."""
    from nas.model import require_deploy

    require_deploy("--format onnx")
    if args.study is not None:
        target = study_target(args.study, trial=args.trial, storage=args.storage)
    else:
        target = load_weighted_target(args.target, storage=args.storage)
    document = write_onnx(target.arch, args.output or f"{target.name}.onnx",
                          state_dict=target.state_dict, resolution=args.resolution,
                          dynamic_batch=args.dynamic_batch)
    if args.json:
        print_json(document)
        return 0
    images, logits = document["input"]["shape"], document["output"]["shape"]
    batches = " and ".join(str(check["batch"]) for check in document["checks"])
    print(f"Wrote {document['path']}: images ({', '.join(map(str, images))}) -> logits "
          f"({', '.join(map(str, logits))}), {document['weights']} weights, ONNX opset "
          f"{document['opset']}, {document['bytes'] / 1e6:.1f} MB; max abs difference vs "
          f"PyTorch {document['max_abs_difference']:.1e} (onnxruntime, batch {batches})")
    return 0
