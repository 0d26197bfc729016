"""Small file helpers: readable errors on read, atomic writes (nothing is ever half-written)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nas._errors import ConfigError


def read_text(path: str | os.PathLike, *, what: str = "file") -> str:
    """Read a UTF-8 text file, turning OS errors into one-line ConfigErrors."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} {str(path)!r} must exist, but it was not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {str(path)!r} must be a file, but it is a directory") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{what} {str(path)!r} must be UTF-8 text, but it is binary") from None
    except OSError as error:
        raise ConfigError(f"{what} {str(path)!r} must be readable, "
                          f"but got {error.strerror or error}") from None


def atomic_write(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
