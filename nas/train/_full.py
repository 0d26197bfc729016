"""Full training of one architecture (``nas train``): per-epoch validation, a checkpoint after
every epoch that ``resume`` continues from, transfer learning from a checkpoint, progressive
resizing, and a JSON result with the exact config, FLOPs, and the final accuracy on the held-out
test split (see :func:`nas.data.load_data`), reported apart from the validation accuracy."""

from __future__ import annotations

import dataclasses
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from nas._errors import ConfigError
from nas._files import atomic_write
from nas.arch import Arch, from_dict, to_dict
from nas.cost import FLOP_UNIT, count
from nas.data import ImageData, load_data
from nas.model import build_model
from nas.train._config import TrainConfig
from nas.train._distributed import World, from_main, joined_world, world_from_environment
from nas.train._trainer import EpochResult, Trainer, steps_per_epoch

CHECKPOINT = "checkpoint.pt"
RESULT = "result.json"
DIGITS_RESOLUTION = 32
"""Default training side in pixels on the 8×8 ``digits`` when no resolution is given."""


@dataclass(frozen=True, kw_only=True)
class FullTrainOptions:
    """What ``nas train`` takes.

    Attributes:
        arch: the architecture (its head is rebuilt for the data's classes).
        name: a short name for reports.
        data: the ``--data`` spec.
        resolution: training side in pixels (None = ``arch.resolution``, except on the 8×8
            ``digits``: :data:`DIGITS_RESOLUTION`, since upsampling them to 224 px costs ~50×
            the compute of 32 px and adds no information).
        progressive: (start, end) pixels: the resolution grows linearly over the epochs from
            start to end, and dropout from half to its full value with it (EfficientNetV2).
        out: directory for ``checkpoint.pt`` and ``result.json``.
        resume: continue from ``out/checkpoint.pt``.
        init: a checkpoint (ours, or a plain state dict) to start from; the classifier is
            re-initialised when the class count differs.
        freeze_features: train only the classifier.
        validation_fraction: share of the training pool held out for per-epoch validation
            (never trained on); the rest is trained on.
        train_size: train on a stratified subset of this many images (None = all).
        strict: an unreadable image of a folder is an error (by default it is left out and
            counted in ``result.json``'s ``images.skipped``).
        loader_workers: processes that read training batches ahead (None: 0 for data in
            memory or on CPU, else one per core up to 8; see :class:`nas.train.Trainer`).
        drop_path_rate: stochastic-depth rate replacing the architecture's (None: keep it).

    With ``train.ema_decay`` the checkpoint's ``state_dict`` (what ``--init``, ``nas export``
    and ``load_trained`` read) holds the moving average of the weights, which is also what is
    evaluated; the raw weights are kept beside it (``raw_state_dict``) for ``--resume``. With
    ``train.eval_crop`` < 1 the images are loaded at round(R / eval_crop) pixels.
    """

    arch: Arch
    name: str
    data: str = "digits"
    resolution: int | None = None
    progressive: tuple[int, int] | None = None
    train: TrainConfig = field(default_factory=TrainConfig)
    out: str = "studies/train"
    resume: bool = False
    init: str | None = None
    freeze_features: bool = False
    validation_fraction: float = 0.2
    train_size: int | None = None
    strict: bool = False
    loader_workers: int | None = None
    drop_path_rate: float | None = None

    @property
    def final_resolution(self) -> int:
        if self.progressive:
            return self.progressive[1]
        if self.resolution is None and self.data == "digits":
            return DIGITS_RESOLUTION
        return self.resolution or self.arch.resolution

    def resolution_at(self, epoch: int) -> int:
        """Training resolution of 1-based ``epoch``."""
        if not self.progressive:
            return self.final_resolution
        start, end = self.progressive
        fraction = (epoch - 1) / max(1, self.train.epochs - 1)
        return int(round(start + (end - start) * fraction))

    def dropout_at(self, epoch: int) -> float:
        if not self.progressive:
            return self.arch.dropout
        fraction = (epoch - 1) / max(1, self.train.epochs - 1)
        return self.arch.dropout * (0.5 + 0.5 * fraction)

    def protocol(self) -> dict:
        """What must match for ``resume`` to continue a run."""
        train = self.train.identity()
        for key in ("threads", "device"):
            train.pop(key)
        return {"data": self.data, "resolution": self.final_resolution,
                "progressive": list(self.progressive) if self.progressive else None,
                "validation_fraction": self.validation_fraction, "train_size": self.train_size,
                "freeze_features": self.freeze_features, **train,
                **({"drop_path_rate": self.drop_path_rate}
                   if self.drop_path_rate is not None else {})}


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint with ``weights_only=True``; any defect is a one-line ConfigError."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"checkpoint {str(path)!r} must exist, but it was not found") from None
    except OSError as error:
        raise ConfigError(f"checkpoint {str(path)!r} must be readable, "
                          f"but got {error.strerror}") from None
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ConfigError(f"checkpoint {str(path)!r} must be a torch checkpoint loadable with "
                          f"weights_only=True, but loading failed: {first}") from None


def state_dict_of(document: object, source: str) -> dict[str, torch.Tensor]:
    """The model weights in a checkpoint: ours (``state_dict`` key) or a plain state dict."""
    if isinstance(document, dict) and "state_dict" in document:
        document = document["state_dict"]
    if (not isinstance(document, dict) or not document
            or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                       for k, v in document.items())):
        raise ConfigError(f"checkpoint {source!r} must hold a state dict (parameter names "
                          f"mapped to tensors), but got {type(document).__name__}")
    return document


def load_trained(path: str | Path) -> tuple[Arch, dict[str, torch.Tensor]]:
    """The architecture and weights of a checkpoint written by ``nas train`` (read with
    ``weights_only=True``). A plain state dict names no architecture: a one-line ConfigError."""
    document = load_checkpoint(path)
    if not isinstance(document, dict) or "arch" not in document:
        raise ConfigError(f"checkpoint {str(path)!r} must hold its architecture ('arch', as "
                          f"nas train writes it), but it has none; a plain state dict cannot "
                          f"be rebuilt into a network without the architecture's config")
    arch = from_dict(document["arch"], source=f"checkpoint {str(path)!r}")
    return arch, state_dict_of(document, str(path))


def initialise_from(model: torch.nn.Module, path: str) -> list[str]:
    """Copy matching weights from a checkpoint; the classifier is skipped when its shape
    differs. Returns the names left at their fresh initialisation."""
    state = state_dict_of(load_checkpoint(path), path)
    own = model.state_dict()
    skipped = [name for name in own if name.startswith("classifier.")
               and (name not in state or state[name].shape != own[name].shape)]
    state = {k: v for k, v in state.items() if k not in skipped}
    missing = [name for name in own if name not in state and name not in skipped]
    unexpected = [name for name in state if name not in own and not name.startswith("classifier.")]
    mismatched = [name for name in state if name in own and state[name].shape != own[name].shape]
    if missing or unexpected or mismatched:
        problem = (f"{len(missing)} missing, {len(unexpected)} unexpected and {len(mismatched)} "
                   f"differently shaped tensors (e.g. {(missing + unexpected + mismatched)[0]})")
        raise ConfigError(f"checkpoint {path!r} must fit the architecture, but it has {problem}")
    model.load_state_dict({**own, **state})
    return skipped


@dataclass
class FullTrainResult:
    document: dict
    path: Path


def train_full(options: FullTrainOptions, *,
               on_epoch: Callable[[EpochResult, int], None] | None = None) -> FullTrainResult:
    """Train, checkpointing after every epoch; return the result written to ``result.json``.

    Started by ``torchrun`` (``WORLD_SIZE`` > 1), every process runs this: they train one model
    with DistributedDataParallel, and rank 0 alone evaluates and writes the checkpoints and
    the result (see :mod:`nas.train._distributed`); every process returns the same result."""
    world = world_from_environment()
    out = Path(options.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {str(out)!r} must be a directory, but it is a file")
    checkpoint_path = out / CHECKPOINT
    if checkpoint_path.exists() and not options.resume:
        raise ConfigError(f"{checkpoint_path} already exists: pass --resume to continue that "
                          f"run, or choose another --out")
    if options.resume and not checkpoint_path.exists():
        raise ConfigError(f"--resume needs {checkpoint_path}, but it does not exist")
    cache: dict[int, ImageData] = {}

    def data_at(resolution: int) -> ImageData:
        """The data at ``resolution``; only the final resolution's carries the test split."""
        if resolution not in cache:
            for stale in [r for r in cache if r != options.final_resolution]:
                del cache[stale]  # progressive runs keep only the final and current sizes
            stored = int(round(resolution / options.train.eval_crop))
            cache[resolution] = load_data(options.data, resolution=stored,
                                          seed=options.train.seed,
                                          validation_fraction=options.validation_fraction,
                                          train_size=options.train_size,
                                          test=resolution == options.final_resolution,
                                          strict=options.strict)
        return cache[resolution]

    with joined_world(world, options.train.device) as device:
        return _train(options, world, dataclasses.replace(options.train, device=device),
                      data_at, checkpoint_path, on_epoch)


def _train(options: FullTrainOptions, world: World, config: TrainConfig, data_at,
           checkpoint_path: Path, on_epoch) -> FullTrainResult:
    final = data_at(options.final_resolution)
    arch = dataclasses.replace(options.arch, num_classes=final.num_classes,
                               resolution=options.final_resolution)
    if options.drop_path_rate is not None:
        arch = dataclasses.replace(arch, drop_path_rate=options.drop_path_rate)
    torch.manual_seed(options.train.seed)
    model = build_model(arch)
    if options.init:
        initialise_from(model, options.init)
    if options.freeze_features:
        model.freeze_features()
    trainer = Trainer(model, config, steps_per_epoch=steps_per_epoch(
        final, config.batch_size, world.size), loader_workers=options.loader_workers,
        world=world)
    history: list[dict] = []
    start_epoch, elapsed = 1, 0.0
    if options.resume:
        saved = load_checkpoint(checkpoint_path)
        if saved.get("arch") != to_dict(arch) or saved.get("protocol") != options.protocol():
            raise ConfigError(f"{checkpoint_path} was written for another architecture or "
                              f"training protocol; resume with the original options")
        model.load_state_dict(saved.get("raw_state_dict", saved["state_dict"]))
        trainer.load_state_dict(saved["trainer"])
        torch.set_rng_state(saved["torch_rng"])
        if saved.get("cuda_rng") and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(saved["cuda_rng"])
        history, start_epoch, elapsed = saved["history"], saved["epoch"] + 1, saved["seconds"]
    begin = time.perf_counter() - elapsed
    for epoch in range(start_epoch, options.train.epochs + 1):
        epoch_start = time.perf_counter()
        model.dropout.p = options.dropout_at(epoch)
        loss = trainer.train_epoch(data_at(options.resolution_at(epoch)))
        accuracy = from_main(world, trainer.evaluate(final) if world.main else None)
        entry = EpochResult(epoch, loss, accuracy, time.perf_counter() - epoch_start)
        history.append({"epoch": epoch, "train_loss": loss, "validation_accuracy": accuracy,
                        "resolution": options.resolution_at(epoch),
                        "dropout": options.dropout_at(epoch), "seconds": entry.seconds})
        if world.main:
            buffer = io.BytesIO()
            raw = {"raw_state_dict": model.state_dict()} if trainer.ema is not None else {}
            torch.save({"state_dict": trainer.evaluated_model.state_dict(), **raw,
                        "arch": to_dict(arch),
                        "protocol": options.protocol(), "trainer": trainer.state_dict(),
                        "torch_rng": torch.get_rng_state(),
                        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available()
                        else [], "epoch": epoch, "history": history,
                        "seconds": time.perf_counter() - begin}, buffer)
            atomic_write(checkpoint_path, buffer.getvalue())
        if on_epoch is not None:
            on_epoch(entry, options.resolution_at(epoch))
    path = checkpoint_path.parent / RESULT
    if not world.main:
        return FullTrainResult(from_main(world, None), path)
    cost = count(arch)
    document = {
        "name": options.name, "arch": to_dict(arch), "flop_unit": FLOP_UNIT,
        "flops": cost.flops, "params": cost.params, "resolution": arch.resolution,
        "target_flops": count(options.arch).flops, "target_resolution": options.arch.resolution,
        "validation_accuracy": history[-1]["validation_accuracy"] if history else None,
        "test_accuracy": trainer.evaluate(final, "test"),
        "images": {"train": len(final.train[1]), "validation": len(final.validation[1]),
                   "test": len(final.test[1]) if final.test is not None else 0,
                   "skipped": len(final.skipped)},
        "skipped_files": list(final.skipped[:100]),
        "epochs": options.train.epochs, "history": history, "protocol": options.protocol(),
        "evaluated_weights": "exponential moving average" if trainer.ema is not None else "raw",
        "init": options.init, "seconds": round(time.perf_counter() - begin, 3),
        "world_size": world.size, "device": config.device,
        "checkpoint": str(checkpoint_path),
    }
    atomic_write(path, json.dumps(document, indent=2) + "\n")
    return FullTrainResult(from_main(world, document), path)
