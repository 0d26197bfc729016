"""Architecture configs as YAML / JSON documents.

The document is a mapping with every :class:`~nas.arch.Arch` field; ``stages`` is a list of
canonical block strings (see :mod:`nas.arch._grammar`)::

    stem_channels: 32
    stages:
    - ds_r1_k3_s1_e1_c16_se0.25
    - ir_r2_k3_s2_e6_c24_se0.25
    head_channels: 1280
    resolution: 224
    num_classes: 1000
    dropout: 0.2
    drop_path_rate: 0.2
    activation: swish

``stem_stride`` (1 or 2) is written only where it is not 2. Reading is strict: unknown keys,
missing keys and wrong types are errors. YAML is read only with
``yaml.safe_load``. ``load(save(arch)) == arch`` for both formats.

``load``, ``loads`` (and so ``load_target`` and every command taking an architecture) also read
timm's forms, told apart by their shape (:func:`from_document`): a mapping with ``arch_def``
(timm's ``EfficientNet`` arguments, as ``nas export --format timm`` writes them) or a plain list
of timm block strings; see :mod:`nas.arch._timm`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import yaml

from nas._errors import ConfigError
from nas._files import atomic_write, read_text
from nas.arch._config import Arch
from nas.arch._grammar import decode, encode
from nas.arch._timm import from_timm

FORMATS = ("yaml", "json")
_FIELDS = tuple(field.name for field in dataclasses.fields(Arch))
_OPTIONAL = {"stem_stride": 2}
"""Fields written only where they differ from this default (files and studies written before
the field existed read the same, and say the same)."""


def to_dict(arch: Arch) -> dict[str, Any]:
    """Plain, ordered mapping of ``arch`` (stages as canonical block strings)."""
    document = {name: getattr(arch, name) for name in _FIELDS
                if _OPTIONAL.get(name, object()) != getattr(arch, name)}
    document["stages"] = [encode(stage) for stage in arch.stages]
    return document


def from_dict(document: object, *, source: str = "config") -> Arch:
    """Build an :class:`Arch` from a mapping, naming ``source`` in every error."""
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: must be a mapping of architecture fields, "
                          f"but got {type(document).__name__}")
    unknown = sorted(str(key) for key in document if key not in _FIELDS)
    if unknown:
        raise ConfigError(f"{source}: keys must be among {', '.join(_FIELDS)}, "
                          f"but got unknown {', '.join(unknown)}")
    missing = [name for name in _FIELDS if name not in document and name not in _OPTIONAL]
    if missing:
        raise ConfigError(f"{source}: must give every field, but {', '.join(missing)} is missing")
    stages = document["stages"]
    if not isinstance(stages, list) or not stages:
        raise ConfigError(f"{source}: stages must be a non-empty list of block strings, "
                          f"but got {stages!r}")
    decoded = []
    for index, text in enumerate(stages, start=1):
        try:
            decoded.append(decode(text))
        except ConfigError as error:
            raise ConfigError(f"{source}: stage {index}: {error}") from None
    try:
        return Arch(**{**document, "stages": tuple(decoded)})
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None


def from_document(document: object, *, source: str = "config") -> Arch:
    """An :class:`Arch` from a parsed document in any form it may take: timm's (a mapping with
    ``arch_def``, or a list of timm block strings) read by :func:`~nas.arch.from_timm`, else
    ours, read strictly by :func:`from_dict`."""
    if isinstance(document, list) or (isinstance(document, dict) and "arch_def" in document):
        return from_timm(document, source=source)
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: must be a mapping of architecture fields (ours, or timm's "
                          f"with arch_def) or a list of timm block strings, "
                          f"but got {type(document).__name__}")
    return from_dict(document, source=source)


def dumps(arch: Arch, format: str = "yaml") -> str:
    """Serialise ``arch`` as YAML or JSON text."""
    document = to_dict(arch)
    if format == "yaml":
        return yaml.safe_dump(document, sort_keys=False)
    if format == "json":
        return json.dumps(document, indent=2) + "\n"
    raise ConfigError(f"format must be one of {', '.join(FORMATS)}, but got {format!r}")


def parse_document(text: str, *, format: str, source: str) -> object:
    """Parse YAML (``safe_load`` only) or JSON text; syntax errors become one-line ConfigErrors."""
    try:
        if format == "json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{source}: must be valid JSON, but parsing failed at line "
                          f"{error.lineno} column {error.colno}: {error.msg}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{source}: must be valid YAML (safe subset, no python tags), "
                          f"but parsing failed{where}: {problem}") from None


def loads(text: str, format: str = "yaml", *, source: str = "config") -> Arch:
    """Parse YAML or JSON text, ours or timm's (see :func:`from_document`), into an
    :class:`Arch`."""
    if format not in FORMATS:
        raise ConfigError(f"format must be one of {', '.join(FORMATS)}, but got {format!r}")
    return from_document(parse_document(text, format=format, source=source), source=source)


def format_of(path: str | os.PathLike) -> str:
    """``json`` for ``*.json`` files, ``yaml`` otherwise."""
    return "json" if str(path).lower().endswith(".json") else "yaml"


def load(path: str | os.PathLike) -> Arch:
    """Read an architecture from a ``.yaml``/``.yml``/``.json`` file, ours or timm's."""
    return loads(read_text(path, what="config file"), format_of(path), source=str(path))


def save(arch: Arch, path: str | os.PathLike) -> None:
    """Write ``arch`` to ``path`` (format from the suffix), atomically: a crash leaves no
    half-written file."""
    atomic_write(path, dumps(arch, format_of(path)))
