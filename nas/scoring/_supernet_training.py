"""``nas supernet``: train one weight-sharing supernet over a whole space, and its file.

Every step trains several subnets on one batch and one optimiser step applies their summed
gradients. Which subnets is ``sampling``:

- ``sandwich`` (BigNAS / AttentiveNAS on MobileNet spaces, the default): the largest subnet
  learns from the labels (cross-entropy with the protocol's label smoothing), then the smallest
  and ``random_subnets`` uniformly random subnets learn from the largest subnet's predictions
  (*in-place distillation*: cross-entropy against its softmax, detached), or from the labels
  with ``distillation=False``;
- ``uniform`` (SPOS): ``random_subnets`` uniformly random subnets, from the labels;
- ``fair`` (FairNAS's strict fairness): as many subnets as the longest list of options, every
  parameter taking each of its options once per step (in a random order; a parameter with
  fewer options repeats a random one), from the labels.

Two more rules shape those subnets (:mod:`nas.scoring._supernet_sampling`): progressive
shrinking (``shrinking_epochs``) starts every subnet but the largest near the largest, and
``skip_positions`` says where a layer-wise space's random subnets skip their layers.

The optimiser, schedule, batch size, augmentation, device, threads and precision are the proxy
protocol's (:class:`nas.scoring.ProxySettings` ``.train``, as ``nas search`` trains a proxy);
``epochs`` there is the supernet's. The random subnets of epoch e are drawn from a generator
seeded with (seed, e), so a resumed run draws what the uninterrupted one would have.

After every epoch the file ``studies/<name>/supernet.pt`` is replaced atomically; it holds the
weights, the trainer state (optimiser, schedule, generator), the history, the space (its YAML
text and fingerprint), the data spec and its fingerprint, the split seed and the protocol. A
killed run loses at most the epoch in progress; ``resume=True`` continues it. Checkpoints load
with ``torch.load(..., weights_only=True)``.

Started by ``torchrun --nproc-per-node N -m nas supernet …`` (gloo on CPU, NCCL on CUDA), the N
processes train one supernet: every step each takes its share of a batch of ``batch × N``
images (``--batch-size`` is per process, as in ``nas train``), all draw the same subnets, and
their gradients are averaged before the step (a sandwich step runs several subnets, which
DistributedDataParallel's one forward pass per step does not fit). Rank 0 alone validates,
writes the file and logs; the file records ``world_size``, and a resume must use the same.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy
import torch
import torch.nn.functional as F

from nas import __version__
from nas._checks import check_choice, check_int, check_real
from nas._errors import ConfigError
from nas._files import atomic_write, read_text
from nas._progress import progress_bar
from nas.data import augment, data_slug
from nas.scoring._data import get_data
from nas.scoring._inherited import evaluate_accuracy, recalibrate_batch_norm
from nas.scoring._options import SKIP_POSITIONS, SUPERNET_SAMPLINGS, ProxySettings
from nas.scoring._layer_supernet import LayerSupernet
from nas.scoring._supernet import Geometry, Supernet
from nas.scoring._supernet_sampling import Extremes, step_subnets
from nas.space import LayerStageSpace, Space, load_space, parse_space, resolve_space_path
from nas.study import derived_seed, study_directory
from nas.train import (TrainConfig, Trainer, World, average_gradients, flips, from_main,
                       joined_world, mean_across, resolve_device, steps_per_epoch,
                       world_from_environment)

FILE_FORMAT = "nas-supernet"
FILE_VERSION = 1
SUPERNET_FILE = "supernet.pt"


def _default_proxy() -> ProxySettings:
    return ProxySettings(train=TrainConfig(epochs=20))


_LEFT_OUT = {"sampling": "sandwich", "distillation": True, "shrinking_epochs": 0.0,
             "skip_positions": "first"}
"""The identity's settings absent at these defaults (files written before they existed)."""


@dataclass(frozen=True, kw_only=True)
class SupernetOptions:
    """Everything ``nas supernet`` takes.

    Attributes:
        space: search space name or YAML path.
        proxy: data, proxy geometry (resolution, width, strides removed) and training protocol;
            ``proxy.train.epochs`` is the number of supernet epochs (default 20).
        sampling: which subnets a step trains: ``sandwich``, ``uniform`` or ``fair`` (see
            the module's docstring).
        random_subnets: random subnets per step: besides the largest and the smallest under
            ``sandwich``, all of them under ``uniform`` (at least 1); unused under ``fair``.
        distillation: under ``sandwich``, the smallest and the random subnets learn from the
            largest subnet's predictions (True) or from the labels (False).
        shrinking_epochs: progressive shrinking's length, in epochs (fractions allowed; 0: off):
            at training time t (epochs) each parameter of every subnet but the largest takes
            the largest subnet's value with probability max(0, 1 − t / shrinking_epochs).
        skip_positions: ``first`` or ``sampled`` (layer-wise spaces only; see
            :data:`nas.scoring.SKIP_POSITIONS`).
        seed: splits the data (as a search's study seed does), seeds the weights, batch order,
            augmentation and the random subnets.
        name: the study directory's name (default ``supernet-<space>-<data>``).
        root: directory holding ``studies/``.
        resume: continue the file's training; without it an existing file is refused.
    """

    space: str = "efficientnet_b0"
    proxy: ProxySettings = field(default_factory=_default_proxy)
    sampling: str = "sandwich"
    random_subnets: int = 2
    distillation: bool = True
    shrinking_epochs: float = 0.0
    skip_positions: str = "first"
    seed: int = 0
    name: str | None = None
    root: str = "."
    resume: bool = False

    def __post_init__(self) -> None:
        check_choice("sampling", self.sampling, SUPERNET_SAMPLINGS)
        check_int("random subnets", self.random_subnets,
                  minimum=1 if self.sampling == "uniform" else 0)
        check_real("shrinking epochs", self.shrinking_epochs, minimum=0)
        check_choice("skip positions", self.skip_positions, SKIP_POSITIONS)
        check_int("seed", self.seed, minimum=0)

    def study_name(self, space: Space) -> str:
        return self.name or f"supernet-{space.name}-{data_slug(self.proxy.data)}"

    def path(self, space: Space) -> Path:
        return study_directory(self.root, self.study_name(space)) / SUPERNET_FILE

    def identity(self, space: Space) -> dict:
        """What a file is trained for: a resume under other settings is refused."""
        return {"space": space.name, "space_fingerprint": space.fingerprint,
                "proxy": self.proxy.identity(), "random_subnets": self.random_subnets,
                "seed": self.seed, "amp": self.proxy.train.amp,
                # absent at their defaults, so files written before they existed still resume
                **{key: getattr(self, key) for key, default in _LEFT_OUT.items()
                   if getattr(self, key) != default}}


@dataclass
class SupernetFile:
    """A loaded supernet file."""

    path: Path
    supernet: Supernet
    proxy: ProxySettings
    """The protocol it was trained with (its data, geometry and split)."""
    seed: int
    """The split seed: scores use this split, whose validation images it never trained on."""
    epochs: int
    epochs_done: int
    history: list[dict]
    identity: dict
    fingerprint: str
    """sha256 of the file (a search's study records which supernet scored it)."""
    trainer_state: dict | None = None
    world_size: int = 1
    """Processes that trained it (torchrun); a resume must use as many."""

    @property
    def complete(self) -> bool:
        return self.epochs_done >= self.epochs

    def require_complete(self) -> None:
        """Raise :class:`ConfigError` unless every epoch of the file is trained."""
        if not self.complete:
            raise ConfigError(f"the supernet must be trained to the end, but {self.path} has "
                              f"{self.epochs_done} of {self.epochs} epochs (continue it with "
                              f"nas supernet --resume)")

    def describe(self) -> dict:
        return {"file": str(self.path), "space": self.supernet.space.name,
                "data": self.proxy.data, "epochs": self.epochs, "epochs_done": self.epochs_done,
                "geometry": dataclasses.asdict(self.supernet.geometry),
                "params": sum(p.numel() for p in self.supernet.parameters()),
                **{key: self.identity.get(key, value) for key, value in _LEFT_OUT.items()},
                "history": self.history, "world_size": self.world_size,
                "fingerprint": self.fingerprint}


def make_supernet(space: Space, geometry: Geometry) -> Supernet | LayerSupernet:
    """The supernet of ``space``: elastic stages (:class:`Supernet`) for per-stage spaces, one
    weight set per menu entry per layer (:class:`LayerSupernet`) for layer-wise ones."""
    if space.layer_wise:
        return LayerSupernet(space, geometry)
    return Supernet(space, geometry)


def _proxy_from_dict(document: dict) -> ProxySettings:
    return ProxySettings(**{**document, "train": TrainConfig(**document["train"])})


def load_supernet(path: str | Path, *, device: str = "cpu") -> SupernetFile:
    """Read a supernet file written by :func:`train_supernet`; bad input is a ConfigError."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"supernet file must exist, but got {str(path)!r} (write one with "
                          f"nas supernet)")
    raw = path.read_bytes()
    try:
        document = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable file is the same user error
        raise ConfigError(f"supernet file must be a file written by nas supernet, but "
                          f"{str(path)!r} cannot be read ({type(error).__name__})") from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise ConfigError(f"supernet file must be a file written by nas supernet, but got "
                          f"{str(path)!r}")
    if document.get("version") != FILE_VERSION:
        raise ConfigError(f"supernet file version must be {FILE_VERSION}, but got "
                          f"{document.get('version')!r}")
    import yaml

    space = parse_space(yaml.safe_load(document["space_yaml"]), source=str(path))
    geometry = Geometry(**document["geometry"])
    supernet = make_supernet(space, geometry)
    try:
        supernet.load_state_dict(document["model"])
        proxy = _proxy_from_dict(document["proxy"])
    except (KeyError, TypeError, RuntimeError) as error:
        raise ConfigError(f"supernet file must be a complete file written by this version of "
                          f"nas supernet, but {str(path)!r} is not ({type(error).__name__})"
                          ) from None
    return SupernetFile(path=path, supernet=supernet.to(resolve_device(device)),
                        proxy=proxy, seed=document["seed"],
                        epochs=document["epochs"], epochs_done=document["epochs_done"],
                        history=document["history"], identity=document["identity"],
                        fingerprint=hashlib.sha256(raw).hexdigest(),
                        trainer_state=document.get("trainer"),
                        world_size=document.get("world_size", 1))


def _save(path: Path, supernet: Supernet, trainer: Trainer, *, options: SupernetOptions,
          space_yaml: str, epochs_done: int, history: list[dict], world_size: int) -> None:
    document = {
        "format": FILE_FORMAT, "version": FILE_VERSION, "nas_version": __version__,
        "identity": options.identity(supernet.space), "space_yaml": space_yaml,
        "geometry": dataclasses.asdict(supernet.geometry),
        "proxy": dataclasses.asdict(options.proxy), "seed": options.seed,
        "sampling": options.sampling, "random_subnets": options.random_subnets,
        "distillation": options.distillation, "epochs": options.proxy.train.epochs,
        "epochs_done": epochs_done, "history": history, "world_size": world_size,
        "model": {key: value.cpu() for key, value in supernet.state_dict().items()},
        "trainer": trainer.state_dict(),
    }
    buffer = io.BytesIO()
    torch.save(document, buffer)
    atomic_write(path, buffer.getvalue())


def _soft_cross_entropy(logits: torch.Tensor, soft_targets: torch.Tensor) -> torch.Tensor:
    return -(soft_targets * F.log_softmax(logits.float(), dim=1)).sum(1).mean()


def _train_epoch(supernet: Supernet, trainer: Trainer, data, *, epoch: int,
                 options: SupernetOptions, progress: bool, world: World = World()) -> float:
    """One epoch of steps (``options.sampling``); returns the mean loss on the labels of the
    first subnet of every step (the largest under ``sandwich``), over every process's share."""
    config = trainer.config
    supernet.train()
    extremes = Extremes.of(supernet, options)  # once, not every step
    rng = numpy.random.default_rng(derived_seed(options.seed, epoch))
    images, labels = data.train
    if world.size == 1:
        order = torch.randperm(len(labels), generator=trainer.generator)
    else:  # one order for every process, whatever each one's augmentation drew
        order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(
            derived_seed(options.seed, epoch, 2)))
    batch_size = min(config.batch_size, len(labels) // world.size)
    flip = flips(config, data)
    total = 0.0
    with progress_bar(total=trainer.steps_per_epoch, desc=f"epoch {epoch}", unit="step",
                      leave=False, disable=not progress) as bar:
        for step in range(trainer.steps_per_epoch):
            index = order[step * batch_size * world.size:(step + 1) * batch_size * world.size]
            index = index[world.rank::world.size]
            batch = images[index]
            if config.augment:
                batch = augment(batch, flip=flip, generator=trainer.generator)
            batch = data.normalise(batch.to(trainer.device)).contiguous(
                memory_format=trainer.memory_format)
            targets = labels[index].to(trainer.device)
            trainer.optimizer.zero_grad(set_to_none=True)
            soft, first = None, None
            elapsed = epoch - 1 + step / trainer.steps_per_epoch  # in epochs
            for subnet, teacher in step_subnets(supernet, options, rng, extremes,
                                                elapsed_epochs=elapsed):
                with trainer.autocast():
                    logits = supernet(batch, subnet)
                    loss = (trainer.loss_function(logits, targets) if teacher == "labels"
                            else _soft_cross_entropy(logits, soft))
                trainer.scaler.scale(loss).backward()
                if first is None:
                    first, soft = loss, logits.detach().float().softmax(1)
            average_gradients(world, supernet.parameters())
            trainer.scaler.step(trainer.optimizer)
            trainer.scaler.update()
            trainer.schedule.step()
            value = float(first.detach())
            if not math.isfinite(value):
                raise ConfigError(f"the supernet's loss must stay finite, but got {value} in "
                                  f"epoch {epoch}; lower the learning rate (--lr)")
            total += value
            bar.update()
            bar.set_postfix(loss=f"{value:.3f}")
    return mean_across(world, total / trainer.steps_per_epoch)


def _subnet_accuracy(supernet: Supernet, arch, data, *, seed: int, device: str) -> float:
    model = supernet.extract(arch)  # a copy: recalibrating it leaves the supernet as it is
    recalibrate_batch_norm(model, data, seed=seed, device=device)
    return evaluate_accuracy(model, data, device=device)


def _flatten(document: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in document.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _check_same_settings(trained: dict, given: dict, path: Path) -> None:
    """Refuse a resume under other settings, naming the first that differs."""
    trained = {**_LEFT_OUT, **_flatten(trained)}
    given = {**_LEFT_OUT, **_flatten(given)}
    for key in sorted(set(trained) | set(given)):
        if trained.get(key) != given.get(key):
            raise ConfigError(f"--resume must use the settings {str(path)!r} was trained with: "
                              f"{key} must be {trained.get(key)!r}, but got {given.get(key)!r}")


def train_supernet(options: SupernetOptions, *, progress: bool = True,
                   log=None) -> SupernetFile:
    """Train (or, with ``options.resume``, continue) the supernet of ``options.space``; write
    ``studies/<name>/supernet.pt`` after every epoch; return the finished file. History
    entries: epoch, loss of the largest subnet, validation accuracy of the largest and the
    smallest subnet after batch-norm recalibration, seconds. Under ``torchrun`` every process
    runs this and gets the same file back (see the module's docstring)."""
    world = world_from_environment()
    with joined_world(world, options.proxy.train.device) as device:
        return _train(options, world, device, progress=progress and world.main,
                      log=log if world.main else None)


def _train(options: SupernetOptions, world: World, device: str, *, progress: bool,
           log) -> SupernetFile:
    space = load_space(options.space)
    if options.skip_positions == "sampled" and not all(
            isinstance(stage, LayerStageSpace) for stage in space.stages):
        raise ConfigError(f"skip positions 'sampled' need a space whose every stage chooses "
                          f"its layers from menus, but {space.name!r} has per-stage choices")
    space_yaml = read_text(resolve_space_path(options.space), what="search space")
    path = options.path(space)
    proxy, config = options.proxy, options.proxy.train
    data = get_data(proxy, resolution=proxy.resolution, seed=options.seed)
    geometry = Geometry(resolution=data.resolution, width=proxy.width,
                        strides_removed=proxy.strides_removed, num_classes=data.num_classes)
    existing = None
    if path.exists():
        if not options.resume:
            raise ConfigError(f"the supernet file must not exist without --resume, but "
                              f"{str(path)!r} does (resume it with --resume, or choose another "
                              f"--study)")
        existing = load_supernet(path)
        _check_same_settings(existing.identity, options.identity(space), path)
        if existing.world_size != world.size:
            raise ConfigError(f"--resume must use as many processes as trained {str(path)!r}: "
                              f"{existing.world_size}, but got {world.size}")
    torch.manual_seed(options.seed)
    supernet = make_supernet(space, geometry)
    trainer = Trainer(supernet, dataclasses.replace(config, seed=options.seed, device=device),
                      steps_per_epoch=steps_per_epoch(data, config.batch_size, world.size))
    history: list[dict] = []
    if existing is not None:
        supernet.load_state_dict(existing.supernet.state_dict())
        trainer.load_state_dict(existing.trainer_state)
        history = list(existing.history)
        if log is not None:
            log(f"resuming {path}: {existing.epochs_done} of {existing.epochs} epochs done")
    for epoch in range(len(history) + 1, config.epochs + 1):
        torch.manual_seed(derived_seed(options.seed, epoch, 1))  # dropout: same after a resume
        start = time.perf_counter()
        loss = _train_epoch(supernet, trainer, data, epoch=epoch, options=options,
                            progress=progress, world=world)
        entry = None
        if world.main:
            entry = {"epoch": epoch, "loss": round(loss, 5), "seconds": 0.0}
            for name, arch in (("largest", supernet.largest()),
                               ("smallest", supernet.smallest())):
                entry[f"{name}_accuracy"] = round(_subnet_accuracy(
                    supernet, arch, data, seed=options.seed, device=device), 5)
            entry["seconds"] = round(time.perf_counter() - start, 2)
            _save(path, supernet, trainer, options=options, space_yaml=space_yaml,
                  epochs_done=epoch, history=[*history, entry], world_size=world.size)
        history.append(from_main(world, entry))  # after rank 0 has written the epoch
        if log is not None:
            log(f"epoch {epoch}/{config.epochs}: loss {entry['loss']:.4f}, largest "
                f"{entry['largest_accuracy']:.4f}, smallest {entry['smallest_accuracy']:.4f} "
                f"(validation accuracy), {entry['seconds']:.1f} s")
    return load_supernet(path, device=device)
