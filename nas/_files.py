"""Small file helpers: readable errors on read, atomic writes (nothing is ever half-written)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
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


def _umask() -> int:
    """The process's umask (read from /proc on Linux, else set and restored at once)."""
    try:
        with open("/proc/self/status", encoding="ascii") as stream:
            for line in stream:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def staged(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary file beside ``path`` that replaces it (``os.replace``) when the block
    succeeds and is removed when it fails, so ``path`` never holds a half-written or unchecked
    file. It has the mode a plain ``open(path, "w")`` would give (``0666 & ~umask``, e.g.
    0644), not a temporary file's 0600. An unwritable path is a ConfigError."""
    path = Path(path)
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "it is a directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            os.fchmod(handle, 0o666 & ~_umask())
        finally:
            os.close(handle)
    except OSError as error:
        raise ConfigError(f"{str(path)!r} must be a writable file path, but got "
                          f"{error.strerror or error}") from None
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` via a synced temporary file (:func:`staged`); return the
    path."""
    with staged(path) as temporary, open(temporary, "wb") as stream:
        stream.write(data.encode("utf-8") if isinstance(data, str) else data)
        stream.flush()
        os.fsync(stream.fileno())  # a power cut leaves the old file or the new one
    return Path(path)


@contextlib.contextmanager
def file_lock(path: str | os.PathLike, *, what: str = "lock file") -> Iterator[None]:
    """An exclusive lock on ``path`` (created if missing) between local processes, held for the
    block: ``filelock``'s, which uses ``flock`` on POSIX and ``msvcrt`` locking on Windows."""
    from filelock import FileLock

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(path)
        lock.acquire()
    except OSError as error:
        raise ConfigError(f"{what} {str(path)!r} must be in a writable directory, but got "
                          f"{error.strerror or error}") from None
    try:
        yield
    finally:
        lock.release()
