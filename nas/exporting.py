"""Export an architecture as our YAML/JSON config or as a timm EfficientNet ``arch_def``.

The timm form is a JSON object of timm ``EfficientNet`` arguments, with channels and repeats
already scaled (timm's multipliers stay at 1.0)::

    {"arch_def": [["ds_r1_k3_s1_e1_c16_se0.25"], ...], "stem_size": 32, "num_features": 1280,
     "num_classes": 1000, "act_layer": "swish", "drop_rate": 0.2, "drop_path_rate": 0.2,
     "output_stride": 32, "pad_type": "", "bn_eps": 0.001, "input_size": [3, 224, 224]}

``output_stride`` is the network's total stride where that exceeds 32 (stem 2 × the stage
strides), else timm's default 32: with less, timm would turn the later strides into dilation.
``pad_type`` ``''`` is our padding, symmetric ``kernel_size // 2``; TensorFlow's ``'same'``
(timm's ``tf_`` models) gives the same shapes, parameters and FLOPs but different outputs.
``bn_eps`` is our batch-norm epsilon, :data:`nas.model.BATCH_NORM_EPS` = 1e-3 (timm's default
is 1e-5; ``timm.create_model`` takes it as ``bn_eps``, the class through ``norm_layer``).
``input_size`` is ``[3, R, R]`` for the config's resolution R. timm's class builds the same
network from it::

    from functools import partial
    from torch import nn
    from timm.models._efficientnet_builder import decode_arch_def
    from timm.models.efficientnet import EfficientNet
    spec = json.load(open("b0.timm.json"))
    model = EfficientNet(block_args=decode_arch_def(spec["arch_def"]),
                         stem_size=spec["stem_size"], num_features=spec["num_features"],
                         num_classes=spec["num_classes"], act_layer=spec["act_layer"],
                         drop_rate=spec["drop_rate"], drop_path_rate=spec["drop_path_rate"],
                         output_stride=spec["output_stride"], pad_type=spec["pad_type"],
                         norm_layer=partial(nn.BatchNorm2d, eps=spec["bn_eps"]))

timm rounds the stem's and every block's channels to a multiple of 8 and derives expanded /
squeeze channels its own way, so an architecture whose counts timm would change is refused with
an error rather than exported as a different network. An ``ir`` stage without expansion is
written ``ds`` (the same network; timm's ``ir`` always has its 1×1 expansion). Every such
document reads back (``nas.arch.load``/``from_timm``) as the architecture it came from, that
``ir`` written as ``ds``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from nas._errors import ConfigError
from nas._files import staged
from nas.arch import (
    BATCH_NORM_EPS,
    TIMM_OUTPUT_STRIDE,
    TIMM_PAD_TYPE,
    Arch,
    check_timm_channels,
    dumps,
    encode,
    has_pointwise_expansion,
    iter_blocks,
    timm_make_divisible,
    total_stride,
)

EXPORT_FORMATS = ("yaml", "json", "timm")


def _check_timm_compatible(arch: Arch) -> None:
    if arch.stem_stride != 2:
        raise ConfigError(f"timm export: stem_stride must be 2 (timm's EfficientNet has a "
                          f"stride-2 stem and no option for another), but got "
                          f"{arch.stem_stride}; export as yaml, json or onnx instead")
    for index, stage in enumerate(arch.stages, start=1):
        if stage.block_type == "pj":
            raise ConfigError(f"timm export: stage {index}: block type must be one timm has "
                              f"(ds, ir, er, cn), but got pj (the linear projection a skipped "
                              f"layer becomes where it changes stride or width: timm's "
                              f"ConvBnAct always has an activation); export as yaml, json or "
                              f"onnx instead")
    if timm_make_divisible(arch.stem_channels) != arch.stem_channels:
        raise ConfigError(f"timm export: stem_channels must be a multiple of 8 (timm rounds it), "
                          f"but got {arch.stem_channels}")
    for block in iter_blocks(arch):
        out_channels = block.stage.out_channels
        if timm_make_divisible(out_channels) != out_channels:
            raise ConfigError(f"timm export: stage {block.stage_index + 1}: out_channels must be "
                              f"a multiple of 8 (timm rounds it), but got {out_channels}")
    check_timm_channels(arch, context="timm export")


def timm_block_string(stage) -> str:
    """Our canonical string in timm's dialect: an ``ir`` block without expansion is ``ds``."""
    if stage.block_type == "ir" and not has_pointwise_expansion(stage):
        stage = dataclasses.replace(stage, block_type="ds")
    return encode(stage)


def to_timm(arch: Arch) -> dict:
    """timm ``EfficientNet`` keyword arguments (``arch_def`` still to be decoded by timm) and
    the input size; see the module docstring for each key."""
    _check_timm_compatible(arch)
    return {
        "arch_def": [[timm_block_string(stage)] for stage in arch.stages],
        "stem_size": arch.stem_channels,
        "num_features": arch.head_channels,
        "num_classes": arch.num_classes,
        "act_layer": arch.activation,
        "drop_rate": arch.dropout,
        "drop_path_rate": arch.drop_path_rate,
        "output_stride": max(TIMM_OUTPUT_STRIDE, total_stride(arch)),
        "pad_type": TIMM_PAD_TYPE,
        "bn_eps": BATCH_NORM_EPS,
        "input_size": [3, arch.resolution, arch.resolution],
    }


def export(arch: Arch, format: str) -> str:
    """Text of ``arch`` in one of :data:`EXPORT_FORMATS`."""
    if format == "timm":
        return json.dumps(to_timm(arch), indent=2) + "\n"
    if format in ("yaml", "json"):
        return dumps(arch, format)
    raise ConfigError(f"format must be one of {', '.join(EXPORT_FORMATS)}, but got {format!r}")


# ONNX: the network itself (weights included), checked by onnxruntime; needs the deploy extra.

ONNX_TOLERANCE = 1e-4  # the largest absolute difference of logits onnxruntime vs PyTorch


def _load_weights(model, state_dict: dict) -> None:
    """Load ``state_dict`` into ``model``, strictly; a mismatch is a one-line ConfigError."""
    own = model.state_dict()
    missing = [name for name in own if name not in state_dict]
    unexpected = [name for name in state_dict if name not in own]
    mismatched = [name for name in state_dict
                  if name in own and tuple(state_dict[name].shape) != tuple(own[name].shape)]
    if missing or unexpected or mismatched:
        raise ConfigError(f"weights must fit the architecture, but there are {len(missing)} "
                          f"missing, {len(unexpected)} unexpected and {len(mismatched)} "
                          f"differently shaped tensors (e.g. "
                          f"{(missing + unexpected + mismatched)[0]})")
    model.load_state_dict(state_dict)


def _opset_of(path: Path) -> int:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return next(entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx"))


def write_onnx(arch: Arch, path: str | os.PathLike, *, state_dict: dict | None = None,
               resolution: int | None = None, dynamic_batch: bool = False,
               check: bool = True) -> dict:
    """Write the network of ``arch`` as an ONNX file; return a JSON-ready description.

    The file (see :func:`nas.model.export_onnx`) takes ``images`` (batch, 3, R, R) float32 at
    ``R = resolution or arch.resolution`` and gives ``logits``; the batch is 1, or dynamic with
    ``dynamic_batch``. Weights: ``state_dict`` (loaded strictly, "trained"), else a random
    initialisation from seed 0, so the file is reproducible. With ``check``, onnxruntime must
    match PyTorch within :data:`ONNX_TOLERANCE` at batch 1 (and 4 when dynamic) before the file
    is moved into place; on any error nothing is left at ``path``.
    """
    from nas.model import build_model, check_onnx, export_onnx, require_deploy

    require_deploy()
    import onnx
    import onnxruntime
    import onnxscript
    import torch

    resolution = arch.resolution if resolution is None else resolution
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = build_model(arch)
    if state_dict is not None:
        _load_weights(model, state_dict)
    path = Path(path)
    batches = (1, 4) if dynamic_batch else (1,)
    with staged(path) as staging:
        export_onnx(model, staging, resolution=resolution, dynamic_batch=dynamic_batch)
        checks = (check_onnx(model, staging, batches=batches, tolerance=ONNX_TOLERANCE)
                  if check else [])
        opset, size = _opset_of(staging), staging.stat().st_size
    batch = "batch" if dynamic_batch else 1
    return {
        "format": "onnx",
        "path": str(path),
        "input": {"name": "images", "shape": [batch, 3, resolution, resolution],
                  "dtype": "float32"},
        "output": {"name": "logits", "shape": [batch, arch.num_classes], "dtype": "float32"},
        "resolution": resolution,
        "batch": "dynamic" if dynamic_batch else 1,
        "weights": "trained" if state_dict is not None else "random initialisation",
        "opset": opset,
        "bytes": size,
        "checked_with": "onnxruntime (CPUExecutionProvider)" if check else None,
        "tolerance": ONNX_TOLERANCE if check else None,
        "checks": checks,
        "max_abs_difference": max((c["max_abs_difference"] for c in checks), default=None),
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__,
                     "onnxscript": onnxscript.__version__,
                     "onnxruntime": onnxruntime.__version__},
    }
