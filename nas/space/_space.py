"""Search spaces: parsing a space file, and turning Optuna parameters into architectures (see
:mod:`nas.space` for the file format)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nas._errors import ConfigError
from nas._files import read_text
from nas.arch import Arch, Stage, decode, parse_document, round_channels
from nas._checks import check_int
from nas.space._layers import LayerStageSpace, is_layer_stage, parse_layer_stage

def _spaces_directory() -> Path:
    """The built-in spaces: ``nas/search_spaces`` in an installed package (the wheel maps the
    project's top-level ``search_spaces/`` there), else ``search_spaces/`` beside the package in
    a source checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "search_spaces"
    return installed if installed.is_dir() else package.parent / "search_spaces"


SPACES_DIRECTORY = _spaces_directory()
CHOICE_FIELDS = ("block_type", "kernel_size", "expand_ratio", "se_ratio", "repeats_delta",
                 "width_multiplier")
PARAMETER_FIELDS = ("block_type", "kernel_size", "expand_ratio", "se_ratio", "repeats",
                    "out_channels")
ORDINAL_FIELDS = ("kernel_size", "expand_ratio", "se_ratio", "repeats", "out_channels")
"""Fields whose choices are ordered: sampled as the index of the sorted values."""
PARAMETER_ENCODING = "ordinal-index"
"""How :meth:`Space.sample` encodes choices (part of a search study's identity)."""
_NETWORK_FIELDS = ("stem_channels", "head_channels", "dropout", "drop_path_rate", "activation",
                   "stem_stride")
_TOP_KEYS = ("name", "description", "target", "network", "choices", "stages")


@dataclass(frozen=True)
class StageSpace:
    """The options of one stage; ``base`` fixes stride and skip and is the baseline choice."""

    base: Stage
    options: dict[str, tuple]
    """Values per parameter field (``block_type``, ``kernel_size``, ``expand_ratio``,
    ``se_ratio``, ``repeats``, ``out_channels``), sorted, without duplicates."""

    def stage(self, values: dict[str, Any]) -> Stage:
        block_type = values["block_type"]
        if block_type == "ir" and values["expand_ratio"] == 1:
            block_type = "ds"
        return dataclasses.replace(
            self.base, block_type=block_type, kernel_size=values["kernel_size"],
            expand_ratio=values["expand_ratio"], se_ratio=values["se_ratio"],
            repeats=values["repeats"], out_channels=values["out_channels"])

    def parameters(self, number: int) -> dict[str, tuple]:
        """Optuna parameter name -> choices, for stage ``number`` (1-based)."""
        return {f"stage{number}.{field}": options for field, options in self.options.items()
                if len(options) > 1}

    def baseline_params(self, number: int) -> dict[str, Any]:
        values = self.baseline_values()
        return {name: values[name.partition(".")[2]] for name in self.parameters(number)}

    def build(self, number: int, params: dict[str, Any], in_channels: int, *,
              space: str) -> list[Stage]:
        """The stage for ``params`` (every searched field of stage ``number``)."""
        values = {}
        for field, options in self.options.items():
            name = f"stage{number}.{field}"
            if len(options) == 1:
                values[field] = options[0]
                continue
            if name not in params:
                raise ConfigError(f"{space}: parameter {name} must be given (one of "
                                  f"{list(options)}), but it is missing")
            value = params[name]
            if value not in options:
                raise ConfigError(f"{space}: parameter {name} must be one of "
                                  f"{list(options)}, but got {value!r}")
            values[field] = value
        return [self.stage(values)]

    @property
    def stride(self) -> int:
        return self.base.stride

    @property
    def max_layers(self) -> int:
        return max(self.options["repeats"])

    @property
    def kernel_sizes(self) -> tuple[int, ...]:
        return tuple(sorted(self.options["kernel_size"]))

    def baseline_values(self) -> dict[str, Any]:
        base = self.base
        return {"block_type": "ir" if base.block_type == "ds" else base.block_type,
                "kernel_size": base.kernel_size, "expand_ratio": _number(base.expand_ratio),
                "se_ratio": _number(base.se_ratio), "repeats": base.repeats,
                "out_channels": base.out_channels}


@dataclass(frozen=True)
class Space:
    """A loaded, validated search space."""

    name: str
    description: str
    target_resolution: int
    target_num_classes: int
    network: dict[str, Any]
    stages: tuple[StageSpace | LayerStageSpace, ...]
    fingerprint: str
    """sha256 of the space's normalised content (changes when any choice changes)."""

    def parameters(self) -> dict[str, tuple]:
        """Optuna parameter name -> choices, for every choice with more than one option."""
        return {name: options for number, stage in enumerate(self.stages, start=1)
                for name, options in stage.parameters(number).items()}

    @property
    def layer_wise(self) -> bool:
        """Whether any stage chooses its layers from menus (:class:`LayerStageSpace`)."""
        return any(isinstance(stage, LayerStageSpace) for stage in self.stages)

    @property
    def size(self) -> int:
        """Number of distinct parameter combinations."""
        return math.prod(len(options) for options in self.parameters().values())

    def arch(self, params: dict[str, Any]) -> Arch:
        """The architecture (at the target resolution and classes) for Optuna ``params``, which
        must give every parameter of :meth:`parameters`."""
        stages: list[Stage] = []
        channels = self.network.get("stem_channels", 32)
        for number, stage in enumerate(self.stages, start=1):
            if isinstance(stage, LayerStageSpace):
                built = stage.stages(stage.entries(number, params, space=self.name), channels)
            else:
                built = stage.build(number, params, channels, space=self.name)
            stages += built
            channels = built[-1].out_channels if built else channels
        if not stages:
            raise ConfigError(f"{self.name}: a network must keep at least one layer, but "
                              f"every layer of {params!r} is skipped")
        return Arch(stages=tuple(stages), resolution=self.target_resolution,
                    num_classes=self.target_num_classes, **self.network)

    def sample(self, trial) -> Arch:
        """Ask an Optuna trial for every parameter (ordered choices as the index of the sorted
        values, ``block_type`` as a category) and return the architecture."""
        values = {}
        for name, options in self.parameters().items():
            if _is_ordinal(name):
                values[name] = options[trial.suggest_int(name, 0, len(options) - 1)]
            else:
                values[name] = trial.suggest_categorical(name, list(options))
        return self.arch(values)

    def values(self, trial_params: dict[str, Any]) -> dict[str, Any]:
        """Optuna parameters as :meth:`sample` draws them -> real choice values (the inverse
        of :meth:`trial_params`)."""
        options = self.parameters()
        values = {}
        for name, value in trial_params.items():
            if name not in options:
                raise ConfigError(f"{self.name}: parameter must be one of the space's, "
                                  f"but got {name!r}")
            if _is_ordinal(name):
                if not (isinstance(value, int) and 0 <= value < len(options[name])):
                    raise ConfigError(f"{self.name}: parameter {name} must be an index in "
                                      f"0..{len(options[name]) - 1}, but got {value!r}")
                value = options[name][value]
            values[name] = value
        return values

    def trial_params(self, values: dict[str, Any]) -> dict[str, Any]:
        """Real choice values (as :meth:`arch` takes them) -> the Optuna parameters that
        :meth:`sample` would draw for them (indices for ordered choices)."""
        self.arch(values)  # every parameter present and valid
        options = self.parameters()
        return {name: options[name].index(value) if _is_ordinal(name) else value
                for name, value in values.items() if name in options}

    def random_params(self, rng) -> dict[str, Any]:
        """One uniformly random value per parameter, drawn with ``rng`` (a numpy Generator)
        in :meth:`parameters` order."""
        return {name: options[int(rng.integers(len(options)))]
                for name, options in self.parameters().items()}

    def baseline_params(self) -> dict[str, Any]:
        """Parameters of the declared baseline (every stage at its base)."""
        return {name: value for number, stage in enumerate(self.stages, start=1)
                for name, value in stage.baseline_params(number).items()}

    def baseline(self) -> Arch:
        return self.arch(self.baseline_params())


def _is_ordinal(name: str) -> bool:
    return name.partition(".")[2] in ORDINAL_FIELDS


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _options(where: str, field: str, values: object) -> tuple:
    if not isinstance(values, list) or not values:
        raise ConfigError(f"{where}: {field} must be a non-empty list of choices, "
                          f"but got {values!r}")
    if field == "block_type":
        for value in values:
            if value not in ("ir", "er", "cn"):
                raise ConfigError(f"{where}: block_type choices must be ir (MBConv) or er "
                                  f"(fused-MBConv), or cn (plain conv) alone, but got {value!r}")
        if "cn" in values and set(values) != {"cn"}:
            raise ConfigError(f"{where}: block_type choices may hold cn (plain conv) only "
                              f"alone, since it has no expand_ratio or se_ratio to share with ir "
                              f"and er (make it a separate stage with a cn base), but got "
                              f"{values!r}")
        return tuple(sorted(set(values)))
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
                value):
            raise ConfigError(f"{where}: {field} choices must be numbers, but got {value!r}")
    if field in ("kernel_size", "repeats_delta") and any(v != int(v) for v in values):
        raise ConfigError(f"{where}: {field} choices must be integers, but got {values!r}")
    if field == "width_multiplier" and any(v <= 0 for v in values):
        raise ConfigError(f"{where}: width_multiplier choices must be > 0, but got {values!r}")
    return tuple(sorted({_number(v) for v in values}))


def _stage_space(where: str, entry: object, defaults: dict[str, tuple]) -> StageSpace:
    if not isinstance(entry, dict) or "base" not in entry:
        raise ConfigError(f"{where}: must be a mapping with a base block string, "
                          f"but got {entry!r}")
    unknown = sorted(set(entry) - {"base", *CHOICE_FIELDS})
    if unknown:
        raise ConfigError(f"{where}: keys must be among base, {', '.join(CHOICE_FIELDS)}, "
                          f"but got {', '.join(map(str, unknown))}")
    try:
        base = decode(entry["base"])
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None
    choices = dict(defaults)
    for field in CHOICE_FIELDS:
        if field in entry:
            choices[field] = _options(where, field, entry[field])
    if choices["block_type"] == ("cn",):  # no expansion, no squeeze-excite
        for field, fixed, missing in (("expand_ratio", 1, "expansion"),
                                      ("se_ratio", 0, "squeeze-excite")):
            if field in entry and choices[field] != (fixed,):
                raise ConfigError(f"{where}: {field} choices must be [{fixed}] for a cn stage "
                                  f"(a plain conv has no {missing}), but got {entry[field]!r}")
            choices[field] = (fixed,)
    options = {
        "block_type": choices["block_type"],
        "kernel_size": choices["kernel_size"],
        "expand_ratio": choices["expand_ratio"],
        "se_ratio": choices["se_ratio"],
        "repeats": tuple(sorted({max(1, base.repeats + int(d)) for d in
                                 choices["repeats_delta"]})),
        "out_channels": tuple(sorted({round_channels(base.out_channels, m) for m in
                                      choices["width_multiplier"]})),
    }
    space = StageSpace(base=base, options=options)
    for value in options["block_type"]:  # every combination must be a valid stage
        for field in ("kernel_size", "expand_ratio", "se_ratio"):
            for choice in options[field]:
                try:
                    space.stage({**space.baseline_values(), "block_type": value, field: choice})
                except ConfigError as error:
                    raise ConfigError(f"{where}: {field} choice {choice!r}: {error}") from None
    baseline = space.baseline_values()
    for field, value in baseline.items():
        if value not in options[field]:
            raise ConfigError(f"{where}: the base's {field} {value!r} must be one of the "
                              f"choices {list(options[field])} (the baseline must be a member)")
    return space


def parse_space(document: object, *, source: str) -> Space:
    """Validate a parsed space document."""
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: must be a mapping, but got {type(document).__name__}")
    unknown = sorted(str(key) for key in document if key not in _TOP_KEYS)
    if unknown:
        raise ConfigError(f"{source}: keys must be among {', '.join(_TOP_KEYS)}, "
                          f"but got {', '.join(unknown)}")
    missing = [key for key in ("name", "target", "network", "stages")
               if key not in document]
    if missing:
        raise ConfigError(f"{source}: must give {', '.join(missing)}")
    name = document["name"]
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{source}: name must be a non-empty string, but got {name!r}")
    target = document["target"]
    if not isinstance(target, dict) or set(target) != {"resolution", "num_classes"}:
        raise ConfigError(f"{source}: target must be a mapping of resolution and num_classes, "
                          f"but got {target!r}")
    try:
        check_int("target.resolution", target["resolution"], minimum=1)
        check_int("target.num_classes", target["num_classes"], minimum=1)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None
    network = document["network"]
    if not isinstance(network, dict) or set(network) - set(_NETWORK_FIELDS):
        raise ConfigError(f"{source}: network must be a mapping of {', '.join(_NETWORK_FIELDS)}, "
                          f"but got {network!r}")
    stages = document["stages"]
    if not isinstance(stages, list) or not stages:
        raise ConfigError(f"{source}: stages must be a non-empty list, but got {stages!r}")
    defaults = {}
    if "choices" in document or not all(is_layer_stage(entry) for entry in stages):
        choices = document.get("choices")
        if not isinstance(choices, dict) or set(choices) != set(CHOICE_FIELDS):
            raise ConfigError(
                f"{source}: choices must give exactly {', '.join(CHOICE_FIELDS)} (a space "
                f"whose stages are all layer-wise may leave it out), but got "
                f"{sorted(choices) if isinstance(choices, dict) else choices!r}")
        defaults = {field: _options(f"{source}: choices", field, choices[field])
                    for field in CHOICE_FIELDS}
    stage_spaces = tuple(
        parse_layer_stage(f"{source}: stage {index}", entry) if is_layer_stage(entry)
        else _stage_space(f"{source}: stage {index}", entry, defaults)
        for index, entry in enumerate(stages, start=1))
    space = Space(name=name, description=str(document.get("description", "")).strip(),
                  target_resolution=target["resolution"], target_num_classes=target["num_classes"],
                  network=dict(network), stages=stage_spaces, fingerprint="")
    try:
        space.baseline()  # validates the network fields
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None
    _check_some_layer_kept(space, source)
    canonical = json.dumps({key: document[key] for key in _TOP_KEYS if key in document
                            and key != "description"}, sort_keys=True)
    return dataclasses.replace(space, fingerprint=hashlib.sha256(canonical.encode()).hexdigest())


def _check_some_layer_kept(space: Space, source: str) -> None:
    """Refuse a space in which every layer can be skipped (an empty network)."""
    if not space.layer_wise:
        return
    try:
        space.arch({name: "skip" if "skip" in options else options[0]
                    for name, options in space.parameters().items()})
    except ConfigError:
        raise ConfigError(f"{source}: at least one layer must be kept in every network, but "
                          f"skipping every layer that offers skip leaves none") from None


def space_names() -> list[str]:
    """Names of the spaces shipped in ``search_spaces/``."""
    return sorted(path.stem for path in SPACES_DIRECTORY.glob("*.yaml"))


def resolve_space_path(name_or_path: str) -> Path:
    """A path as given, or ``search_spaces/<name>.yaml`` (in the working directory first)."""
    if name_or_path.endswith((".yaml", ".yml")) or os.sep in name_or_path:
        return Path(name_or_path)
    for directory in (Path.cwd() / "search_spaces", SPACES_DIRECTORY):
        candidate = directory / f"{name_or_path}.yaml"
        if candidate.exists():
            return candidate
    raise ConfigError(f"search space must be a shipped name ({', '.join(space_names())}) or a "
                      f"YAML file, but got {name_or_path!r}")


def load_space(name_or_path: str) -> Space:
    """Load and validate a search space by name (``efficientnet_b0``) or path."""
    path = resolve_space_path(name_or_path)
    text = read_text(path, what="search space file")
    return parse_space(parse_document(text, format="yaml", source=str(path)), source=str(path))
