"""ONNX files of our networks, checked by onnxruntime (the ``deploy`` extra: onnx, onnxscript,
onnxruntime; ``pip install -e '.[deploy]'`` in a checkout, see :data:`DEPLOY_INSTALL`).

A file holds one self-contained graph (weights inside, no external-data files): input
``images``, float32 (batch, 3, R, R); output ``logits``, float32 (batch, num_classes). The
batch dimension is fixed, or dynamic (named ``batch``). Files come from the dynamo-based
exporter (``torch.onnx.export(..., dynamo=True)``) in eval mode, so batch norm uses its running
statistics and dropout is off.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
from torch import nn

from nas._checks import check_int
from nas._errors import ConfigError
from nas._files import atomic_write

DEPLOY_PACKAGES = ("onnx", "onnxscript", "onnxruntime")
INPUT_NAME = "images"
OUTPUT_NAME = "logits"

# The exporter logs one warning per torchvision operator it cannot register when torchvision is
# missing; our networks use none of them.
_REGISTRATION_LOGGER = "torch.onnx._internal.exporter._registration"


DEPLOY_INSTALL = ("from a checkout run pip install -e '.[deploy]' (make does), from a wheel "
                  "pip install 'nas-<version>-py3-none-any.whl[deploy]', or pip install onnx "
                  "onnxscript onnxruntime (not 'nas[deploy]': PyPI's 'nas' is another project)")
"""How to install the deploy extra of this project (it is not on PyPI under its name)."""


def require_deploy(feature: str = "ONNX export") -> None:
    """Raise a one-line ConfigError unless onnx, onnxscript and onnxruntime all import."""
    for name in DEPLOY_PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError as error:
            if error.name == name:
                problem = f"{name} is not installed"
            else:
                first = (str(error).strip().splitlines() or [type(error).__name__])[0]
                problem = f"{name} cannot be imported ({first})"
            raise ConfigError(f"{feature} needs the deploy extra ({', '.join(DEPLOY_PACKAGES)}),"
                              f" but {problem}: {DEPLOY_INSTALL}") from None


@contextlib.contextmanager
def _eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """``model`` in eval mode; every submodule's own train/eval flag is restored afterwards."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training


def _device_of(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


class _DropTorchvisionNotices(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("torchvision is not installed")


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """Silence, for the duration of one export, what the exporter says that is no news to a
    user: "torchvision is not installed" log records, and the deprecation warning torch's own
    pytree code raises when the exporter copies an exported program."""
    logger = logging.getLogger(_REGISTRATION_LOGGER)
    notices = _DropTorchvisionNotices()
    logger.addFilter(notices)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is "
                                    r"deprecated", category=FutureWarning)
            yield
    finally:
        logger.removeFilter(notices)


def export_onnx(model: nn.Module, path: str | os.PathLike, *, resolution: int, batch: int = 1,
                dynamic_batch: bool = False, channels: int = 3) -> Path:
    """Write ``model`` (in eval mode) as an ONNX file at ``path``, atomically; return the path.

    Input ``images`` (batch, 3, resolution, resolution) float32, output ``logits``. With
    ``dynamic_batch`` the batch dimension is dynamic (``batch`` is then only the size of the
    example input). ``channels`` is 3 for a network; a single block (timed alone for the
    latency table) takes its own input channels. The weights are stored in the one file (at
    most 2 GB). Prints nothing; the model's train/eval state is restored afterwards.
    """
    require_deploy()
    resolution = check_int("resolution", resolution, minimum=1)
    batch = check_int("batch", batch, minimum=1)
    channels = check_int("channels", channels, minimum=1)
    example = torch.zeros(batch, channels, resolution, resolution, device=_device_of(model))
    dynamic_shapes = ({0: torch.export.Dim("batch")},) if dynamic_batch else None
    with _eval_mode(model), _quiet_exporter():
        program = torch.onnx.export(model, (example,), None, dynamo=True, verbose=False,
                                    input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                                    dynamic_shapes=dynamic_shapes)
    try:  # serialised in one piece: weights inside, never an external-data file
        data = program.model_proto.SerializeToString()
    except ValueError as error:  # protobuf refuses messages over 2 GB
        raise ConfigError(f"an ONNX file must hold at most 2 GB of weights, but this model's "
                          f"do not fit ({error})") from None
    return atomic_write(path, data)


def onnx_session(path: str | os.PathLike, *, threads: int, device: str = "cpu"):
    """An onnxruntime ``InferenceSession`` for ``path``: ``threads`` intra-op threads, one
    inter-op thread, sequential execution, all graph optimisations; ``device`` ``cpu``, or
    ``cuda``/``cuda:N`` (onnxruntime's CUDAExecutionProvider, which onnxruntime-gpu offers)."""
    require_deploy("onnxruntime inference")
    import onnxruntime

    threads = check_int("threads", threads, minimum=1)
    providers: list = ["CPUExecutionProvider"]
    if device != "cpu":
        kind, _, index = device.partition(":")
        if kind != "cuda" or not (index == "" or (index.isascii() and index.isdecimal())):
            raise ConfigError(f"device must be cpu, cuda or cuda:N, but got {device!r}")
        available = onnxruntime.get_available_providers()
        if "CUDAExecutionProvider" not in available:
            raise ConfigError(f"device {device!r} needs onnxruntime's CUDAExecutionProvider "
                              f"(pip install onnxruntime-gpu), but this onnxruntime offers only "
                              f"{', '.join(available)}")
        providers.insert(0, ("CUDAExecutionProvider", {"device_id": int(index or 0)}))
    if not Path(path).is_file():
        raise ConfigError(f"ONNX file {str(path)!r} must exist, but it was not found")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: no provider-placement notices on stderr
    try:
        session = onnxruntime.InferenceSession(str(path), sess_options=options,
                                               providers=providers)
    except Exception as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ConfigError(f"ONNX file {str(path)!r} must be a model onnxruntime can load, but "
                          f"loading failed: {first}") from None
    if device != "cpu" and session.get_providers()[0] != "CUDAExecutionProvider":
        raise ConfigError(f"device {device!r} needs onnxruntime's CUDAExecutionProvider to "
                          f"start, but it fell back to {session.get_providers()[0]}")
    return session


def check_onnx(model: nn.Module, path: str | os.PathLike, *, batches: Sequence[int] = (1,),
               tolerance: float = 1e-4, seed: int = 0) -> list[dict]:
    """Run the ONNX file in onnxruntime (CPU) and ``model`` in eval mode on the same random
    images (normal, from ``seed``), one run per batch size; return ``{"batch": b,
    "max_abs_difference": d}`` per batch (d: the largest absolute difference of the logits).
    A difference over ``tolerance`` is a ConfigError; the model's state is restored."""
    session = onnx_session(path, threads=torch.get_num_threads())
    shape = session.get_inputs()[0].shape  # [batch or "batch", 3, R, R]
    fixed_batch = shape[0] if isinstance(shape[0], int) else None
    generator = torch.Generator().manual_seed(seed)
    results = []
    with _eval_mode(model), torch.no_grad():
        for batch in batches:
            batch = check_int("batch", batch, minimum=1)
            if fixed_batch is not None and batch != fixed_batch:
                raise ConfigError(f"{str(path)!r} has a fixed batch of {fixed_batch}, so the "
                                  f"batch to check must be {fixed_batch}, but got {batch}")
            images = torch.randn(batch, *shape[1:], generator=generator)
            (logits,) = session.run([OUTPUT_NAME], {INPUT_NAME: images.numpy()})
            expected = model(images.to(_device_of(model))).float().cpu()
            difference = float((torch.from_numpy(logits) - expected).abs().max())
            if not difference <= tolerance:  # NaN fails too
                raise ConfigError(f"{str(path)!r}: onnxruntime's logits must match PyTorch's "
                                  f"within {tolerance:g}, but differ by up to {difference:.3g} "
                                  f"at batch {batch}")
            results.append({"batch": batch, "max_abs_difference": difference})
    return results
