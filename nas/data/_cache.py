"""The decode cache: each image of a folder is decoded once per resolution into a uint8 file
that every later load, worker process and command reads instead of the image.

Where: ``$NAS_CACHE_DIR``, else ``$XDG_CACHE_HOME/nas``, else ``~/.cache/nas``; one set of
files per (folder part, resolution, listing), named by a key over the folder's absolute path,
the part (``pool`` or ``val``), the resolution and the listing's digest (file names, sizes and
modification times), so a changed folder gets a new cache and never reads stale images. Delete
the directory to clear it (nothing else refers to it).

Files of one cache (``<key>.*``):

- ``images``: N rows of R×R×3 uint8 (row i = file i of the listing), created sparse, so only
  decoded rows take disk space;
- ``state``: N bytes, 0 = not decoded yet, 1 = decoded, 2 = unreadable; replaced atomically
  after each decoded chunk, and only after that chunk's rows are written, so a killed decode
  loses at most one chunk and never marks a row it did not write;
- ``json``: what the cache holds (folder, part, resolution, counts, the unreadable files);
- ``lock``: held while decoding, so concurrent processes decode each row once.

:class:`DiskImages` reads rows of the file with ``pread`` as a batch asks for them: the images
are never all in memory (the operating system's page cache keeps what fits).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
from pathlib import Path

import numpy
import torch

from nas._errors import DataError
from nas._files import atomic_write, file_lock
from nas.data._folder import UNREADABLE, FolderPart, decode_image

CACHE_VERSION = 1
"""Part of every key: raised when decoding changes, so old caches are not read."""
CHUNK = 256
"""Images decoded per task (at most; fewer when that leaves a thread idle); the state file is
replaced after each."""
MISSING, DECODED, UNREADABLE_STATE = 0, 1, 2


def cache_root() -> Path:
    """``$NAS_CACHE_DIR``, else ``$XDG_CACHE_HOME/nas``, else ``~/.cache/nas``."""
    if os.environ.get("NAS_CACHE_DIR"):
        return Path(os.environ["NAS_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nas"


def _decode_chunk(task: tuple[str, str, int, list[tuple[int, str]]]) -> list[tuple[int, str]]:
    """Decode ``(row, relative path)`` images of ``root`` into rows of the images file; return
    ``(row, error)`` for each unreadable one. Runs in a worker thread: Pillow's decoders and
    resampling release the GIL, so threads decode in parallel without starting processes
    (which would re-run a user's unguarded script under ``spawn``)."""
    images_path, root, resolution, items = task
    failed = []
    descriptor = os.open(images_path, os.O_WRONLY)
    try:
        row_bytes = resolution * resolution * 3
        for row, relative in items:
            try:
                pixels = decode_image(os.path.join(root, relative), resolution)
            except UNREADABLE as error:
                failed.append((row, f"{type(error).__name__}: {str(error)[:200]}"))
                continue
            data = numpy.ascontiguousarray(pixels).tobytes()
            written = 0
            while written < row_bytes:
                written += os.pwrite(descriptor, data[written:], row * row_bytes + written)
    finally:
        os.close(descriptor)
    return failed


class DecodeCache:
    """The cache of one folder part at one resolution (see the module)."""

    def __init__(self, part: FolderPart, *, name: str, resolution: int,
                 root: Path | None = None) -> None:
        self.part, self.name, self.resolution = part, name, resolution
        key = hashlib.sha256(json.dumps(
            [CACHE_VERSION, str(part.root.resolve()), name, resolution, part.digest]
        ).encode()).hexdigest()[:24]
        directory = root or cache_root()
        self.images_path = directory / f"{key}.images"
        self.state_path = directory / f"{key}.state"
        self.manifest_path = directory / f"{key}.json"
        self.lock_path = directory / f"{key}.lock"
        self.row_bytes = resolution * resolution * 3

    def state(self) -> numpy.ndarray:
        """uint8 (N,): per row, 0 = not decoded, 1 = decoded, 2 = unreadable."""
        if not self.state_path.exists():
            return numpy.zeros(len(self.part), dtype=numpy.uint8)
        state = numpy.frombuffer(self.state_path.read_bytes(), dtype=numpy.uint8)
        if len(state) != len(self.part):
            return numpy.zeros(len(self.part), dtype=numpy.uint8)
        return state.copy()

    def ensure(self, rows: numpy.ndarray, *, strict: bool = False, workers: int | None = None,
               progress: bool = True) -> numpy.ndarray:
        """Decode every row of ``rows`` not decoded yet (under the cache's lock, in ``workers``
        threads, default: every core); return the state of ``rows`` after it. With
        ``strict`` the first unreadable image is a DataError naming it (and nothing is marked
        for it)."""
        from nas._progress import progress_bar

        rows = numpy.asarray(rows, dtype=numpy.int64)
        state = self.state()
        if not (state[rows] == MISSING).any() and not (strict and (state[rows] ==
                                                                   UNREADABLE_STATE).any()):
            return state[rows]
        try:
            self.images_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DataError(f"the decode cache {str(self.images_path.parent)!r} must be a "
                            f"writable directory (set NAS_CACHE_DIR), but got "
                            f"{error.strerror or error}") from None
        with file_lock(self.lock_path, what="decode cache lock"):
            state = self.state()  # another process may have decoded them meanwhile
            if strict:
                self._refuse_unreadable(state, rows)
            todo = numpy.unique(rows[state[rows] == MISSING])
            if len(todo):
                self._decode(todo, state, strict=strict, workers=workers, progress=progress,
                             bar=progress_bar)
        return state[rows]

    def _refuse_unreadable(self, state: numpy.ndarray, rows: numpy.ndarray) -> None:
        bad = rows[state[rows] == UNREADABLE_STATE]
        if len(bad):
            path = self.part.root / self.part.files[int(bad[0])]
            raise DataError(f"folder: image {str(path)!r} must be readable by Pillow, but it is "
                            f"not (--strict)")

    def _decode(self, todo, state, *, strict, workers, progress, bar) -> None:
        with open(self.images_path, "ab") as handle:  # created sparse at its full size
            if handle.tell() < len(self.part) * self.row_bytes:
                handle.truncate(len(self.part) * self.row_bytes)
        tasks = [(str(self.images_path), str(self.part.root), self.resolution,
                  [(int(row), self.part.files[row]) for row in chunk])
                 for chunk in numpy.array_split(todo, self._chunks(len(todo), workers))]
        workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
        errors: dict[int, str] = {}
        with bar(total=len(todo), desc=f"decode {self.part.root.name} at {self.resolution} px",
                 unit="img", disable=not progress or len(todo) < 1000) as shown:
            if workers == 1:
                results = map(_decode_chunk, tasks)
                executor = None
            else:
                executor = concurrent.futures.ThreadPoolExecutor(workers)
                results = executor.map(_decode_chunk, tasks)
            try:
                for task, failed in zip(tasks, results):
                    if strict and failed:
                        row, error = failed[0]
                        path = self.part.root / self.part.files[row]
                        raise DataError(f"folder: image {str(path)!r} must be readable by "
                                        f"Pillow, but got {error.split(':')[0]} (--strict)")
                    rows = [row for row, _ in task[3]]
                    state[rows] = DECODED
                    for row, error in failed:
                        state[row] = UNREADABLE_STATE
                        errors[row] = error
                    atomic_write(self.state_path, state.tobytes())
                    shown.update(len(rows))
            finally:
                if executor is not None:
                    executor.shutdown(cancel_futures=True)
        self._write_manifest(state, errors)

    @staticmethod
    def _chunks(count: int, workers: int | None) -> int:
        threads = workers or os.cpu_count() or 1
        return max(1, min(count, max(-(-count // CHUNK), threads)))

    def _write_manifest(self, state: numpy.ndarray, errors: dict[int, str]) -> None:
        previous = {}
        if self.manifest_path.exists():
            try:
                previous = json.loads(self.manifest_path.read_text()).get("unreadable", {})
            except (OSError, ValueError):
                previous = {}
        unreadable = {**previous, **{self.part.files[row]: error for row, error in errors.items()}}
        atomic_write(self.manifest_path, json.dumps({
            "folder": str(self.part.root.resolve()), "part": self.name,
            "resolution": self.resolution, "images": len(self.part),
            "decoded": int((state == DECODED).sum()),
            "unreadable_count": int((state == UNREADABLE_STATE).sum()),
            "unreadable": unreadable, "row_layout": "uint8 (R, R, 3) per image, in file order",
        }, indent=1) + "\n")

    def images(self, rows: numpy.ndarray) -> "DiskImages":
        """The decoded ``rows`` as uint8 images (len(rows), 3, R, R) read from the file."""
        return DiskImages(self.images_path, self.resolution, rows)

    def unreadable_files(self, rows: numpy.ndarray) -> list[str]:
        """The listing's relative paths of the unreadable images among ``rows``."""
        state = self.state()
        return [self.part.files[int(row)] for row in rows if state[row] == UNREADABLE_STATE]


class DiskImages:
    """uint8 images (N, 3, R, R) kept on disk: rows ``rows`` of a cache's images file, read with
    ``pread`` when indexed (an int, a slice, or an integer tensor / array of positions), so
    only the batch asked for is in memory. Behaves as the in-memory tensors do where the
    training loop, evaluation and scoring index them; pickles by path (loader workers reopen
    the file)."""

    def __init__(self, path: str | os.PathLike, resolution: int, rows) -> None:
        self.path = str(path)
        self.resolution = resolution
        self.rows = numpy.asarray(rows, dtype=numpy.int64)
        self.row_bytes = resolution * resolution * 3
        self._descriptor: tuple[int, int] | None = None  # (pid, fd)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (len(self.rows), 3, self.resolution, self.resolution)

    def __len__(self) -> int:
        return len(self.rows)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_descriptor": None}

    def _file(self) -> int:
        if self._descriptor is None or self._descriptor[0] != os.getpid():
            self._descriptor = (os.getpid(), os.open(self.path, os.O_RDONLY))
        return self._descriptor[1]

    def __del__(self) -> None:
        if self._descriptor is not None and self._descriptor[0] == os.getpid():
            try:
                os.close(self._descriptor[1])
            except OSError:
                pass

    def read(self, positions) -> torch.Tensor:
        """uint8 (B, 3, R, R) for the images at ``positions`` (indices into this set)."""
        positions = numpy.asarray(positions, dtype=numpy.int64).reshape(-1)
        if len(positions) and (positions.min() < -len(self) or positions.max() >= len(self)):
            raise IndexError(f"image index out of range for {len(self)} images")
        rows = self.rows[positions]
        out = numpy.empty((len(rows), self.resolution, self.resolution, 3), dtype=numpy.uint8)
        flat = out.reshape(len(rows), self.row_bytes)
        descriptor = self._file()
        for slot in numpy.argsort(rows, kind="stable"):  # in file order
            offset = int(rows[slot]) * self.row_bytes
            data = os.pread(descriptor, self.row_bytes, offset)
            if len(data) != self.row_bytes:
                raise DataError(f"the decode cache file {self.path!r} must hold row "
                                f"{int(rows[slot])}, but it is truncated; delete it to rebuild")
            flat[slot] = numpy.frombuffer(data, dtype=numpy.uint8)
        # NCHW-contiguous, as in-memory images are: augmentation on a channels-last-strided
        # batch is ~3x slower
        return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()

    def __getitem__(self, index) -> torch.Tensor:
        if isinstance(index, slice):
            return self.read(numpy.arange(len(self))[index])
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        if isinstance(index, (int, numpy.integer)):
            return self.read([int(index)])[0]
        return self.read(index)
