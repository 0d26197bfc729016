"""Shared by the benchmark scripts: print a table, write JSON under benchmarks/results/."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import pandas
import torch

RESULTS = Path(__file__).resolve().parent / "results"


def report(name: str, title: str, rows: list[dict], extra: dict | None = None, *,
           directory: Path | None = None) -> Path:
    """Print ``rows`` as a table under ``title`` and write them (with machine facts) as JSON to
    ``<directory>/<name>.json`` (``directory`` defaults to benchmarks/results/)."""
    print(title)
    print(pandas.DataFrame(rows).to_string(index=False))
    directory = RESULTS if directory is None else Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    document = {"title": title, "rows": rows, **(extra or {}),
                "machine": {"python": platform.python_version(), "torch": torch.__version__,
                            "processor": platform.processor() or platform.machine()}}
    path.write_text(json.dumps(document, indent=2))
    print(f"written to {path}")
    return path
