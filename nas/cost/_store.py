"""A small JSON key -> record store shared by processes: reads are lock-free (files are replaced
atomically), updates re-read the file under an exclusive ``flock`` so concurrent workers never
lose each other's entries."""

from __future__ import annotations

import json
import os
from pathlib import Path

from nas._errors import ConfigError
from nas._files import atomic_write, file_lock, read_text


class JsonStore:
    """Records (JSON-ready dicts) by string key, in one JSON file."""

    def __init__(self, path: str | os.PathLike, *, what: str) -> None:
        self.path = Path(path)
        self.what = what

    def read(self) -> dict[str, dict]:
        """Every record (empty when the file does not exist yet)."""
        if not self.path.exists():
            return {}
        text = read_text(self.path, what=self.what)
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{self.what} {str(self.path)!r} must be valid JSON, but parsing "
                              f"failed at line {error.lineno}: {error.msg}; delete it to start "
                              f"a new one") from None
        if not isinstance(document, dict):
            raise ConfigError(f"{self.what} {str(self.path)!r} must hold a JSON object, "
                              f"but got {type(document).__name__}")
        return document

    def get(self, key: str) -> dict | None:
        return self.read().get(key)

    def locked(self):
        """Exclusive lock on ``<file>.lock`` (held across read-measure-write)."""
        return file_lock(self.path.with_name(self.path.name + ".lock"), what=self.what)

    def update(self, records: dict[str, dict]) -> None:
        """Add or replace ``records``; call it inside :meth:`locked` (or use :meth:`put`)."""
        if not records:
            return
        merged = {**self.read(), **records}
        atomic_write(self.path, json.dumps(merged, indent=1, sort_keys=True) + "\n")

    def put(self, records: dict[str, dict]) -> None:
        """Add or replace ``records`` under the lock."""
        with self.locked():
            self.update(records)
