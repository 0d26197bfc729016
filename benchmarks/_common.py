"""Shared by the benchmark scripts: print a table, write JSON under benchmarks/results/."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import pandas
import torch

RESULTS = Path(__file__).resolve().parent / "results"
REPOSITORY = RESULTS.parents[1]


def portable(value):
    """``value`` (JSON-like) with every path under the repository's parent folder written
    relative to the repository (``/x/main/benchmarks/a`` -> ``benchmarks/a``,
    ``npz:/x/shared/data/b.npz`` -> ``npz:../shared/data/b.npz``): results read the same
    from every checkout and name no machine's folders."""
    if isinstance(value, dict):
        return {key: portable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [portable(item) for item in value]
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        return (value.replace(f"{REPOSITORY}/", "")
                .replace(f"{REPOSITORY.parent}/", "../"))
    return value


def write_json(path: Path, document, *, indent: int = 1) -> None:
    """Write ``portable(document)`` atomically: a temporary file unique to this process (two
    shards may write the same result), then renamed over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(portable(document), indent=indent, default=str))
    temporary.replace(path)


def report(name: str, title: str, rows: list[dict], extra: dict | None = None, *,
           directory: Path | None = None) -> Path:
    """Print ``rows`` as a table under ``title`` and write them (with machine facts) as JSON to
    ``<directory>/<name>.json`` (``directory`` defaults to benchmarks/results/)."""
    print(title)
    print(pandas.DataFrame(rows).to_string(index=False))
    path = (RESULTS if directory is None else Path(directory)) / f"{name}.json"
    document = {"title": title, "rows": rows, **(extra or {}),
                "machine": {"python": platform.python_version(), "torch": torch.__version__,
                            "processor": platform.processor() or platform.machine()}}
    write_json(path, document, indent=2)
    print(f"written to {portable(path)}")
    return path
