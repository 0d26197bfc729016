"""The ``--data`` grammar (kept free of heavy imports: the command line parses it at start-up)."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from nas._errors import DataError

DATA_HELP = ("digits (scikit-learn's bundled handwritten digits, the default), npz:FILE (Keras "
             "layout: x_train, y_train[, x_test, y_test]), cifar10:DIR / cifar100:DIR (python "
             "pickle batches), folder:DIR (one sub-folder of images per class)")
_KINDS = ("npz", "cifar10", "cifar100", "folder")


@dataclass(frozen=True)
class DataSpec:
    """A parsed ``--data`` value: ``kind`` and, except for digits, a ``path``."""

    kind: str
    path: str | None = None

    def __str__(self) -> str:
        return self.kind if self.path is None else f"{self.kind}:{self.path}"


def parse_data_spec(text: str) -> DataSpec:
    """``digits``, ``npz:FILE``, ``cifar10:DIR``, ``cifar100:DIR`` or ``folder:DIR``."""
    if text == "digits":
        return DataSpec("digits")
    kind, separator, path = text.partition(":")
    if not separator or kind not in _KINDS or not path:
        raise DataError(f"data must be one of digits, npz:FILE, cifar10:DIR, cifar100:DIR, "
                        f"folder:DIR, but got {text!r}")
    return DataSpec(kind, path)


def data_fingerprint(spec: DataSpec | str) -> str:
    """What identifies a data set across machines and paths: ``digits``, or the kind, the file
    or folder name and a hash of the content (a file's bytes; a folder's file names and sizes)."""
    spec = parse_data_spec(spec) if isinstance(spec, str) else spec
    if spec.path is None:
        return spec.kind
    path = Path(spec.path)
    digest = hashlib.sha256()
    if path.is_file():
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    elif path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(f"{item.relative_to(path)}\0{item.stat().st_size}\n".encode())
    return f"{spec.kind}:{path.resolve().name}:{digest.hexdigest()[:16]}"


def data_slug(data: str) -> str:
    """A short, name-safe form of a data spec: ``npz:/x/cifar.npz`` -> ``npz-cifar``."""
    kind, _, path = data.partition(":")
    if not path:
        return kind
    stem = os.path.splitext(os.path.basename(os.path.normpath(path)))[0]
    return f"{kind}-{re.sub(r'[^A-Za-z0-9._-]', '_', stem)}"
