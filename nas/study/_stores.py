"""Optuna storages and studies: the local journal default, RDB / Redis / gRPC URLs, the study
lock, identity checks (a study name is never reused for different settings) and the manifest.

Crash recovery (a killed worker's trial failed and its parameters re-run once) is tested on the
journal file, SQLite and PostgreSQL (``nas.study.RECOVERING_STORAGES``). Redis and gRPC URLs are
accepted, but no test covers recovery there, so nothing claims it.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import time
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

from nas._errors import StudyError
from nas._files import file_lock
from nas.cost import FLOP_UNIT
from nas.study._sweeper import requeue_stale

JOURNAL_NAME = "journal.log"
HEARTBEAT_SECONDS = 20
GRACE_SECONDS = 60
IDENTITY_KEY = "nas.identity"
MANIFEST_KEY = "nas.manifest"


def study_directory(root: str, name: str) -> Path:
    """``<root>/studies/<name>``: the default journal, best.yaml, scaling.yaml."""
    return Path(root) / "studies" / name


def describe_storage(url: str | None, root: str, name: str) -> str:
    """The storage as a user would pass it to ``--storage`` or the ``optuna`` CLI."""
    if url is None:
        return str(study_directory(root, name) / JOURNAL_NAME)
    return url


def storage_kind(url: str | None) -> str:
    """``journal`` (a local file), ``sqlite``, ``rdb`` (other SQLAlchemy URLs), ``redis`` or
    ``grpc``."""
    if is_journal(url):
        return "journal"
    scheme = url.split("://", 1)[0].lower()
    if scheme.startswith("sqlite"):
        return "sqlite"
    if scheme.startswith("redis"):
        return "redis"
    return "grpc" if scheme == "grpc" else "rdb"


def is_journal(url: str | None) -> bool:
    return url is None or "://" not in url


def _sqlite_path(url: str) -> Path | None:
    """The database file of a ``sqlite:///FILE`` URL (None for an in-memory database)."""
    path = url.split("://", 1)[1][1:].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def lock_path(url: str | None, root: str, name: str) -> Path | None:
    """The file that serialises local processes on one study: beside its journal or SQLite
    file; None for server storages (they are shared across hosts, where no file lock helps)."""
    path = journal_path(url, root, name)
    if path is None and storage_kind(url) == "sqlite":
        path = _sqlite_path(url)
    return None if path is None else path.with_name(path.name + ".nas-lock")


def journal_path(url: str | None, root: str, name: str) -> Path | None:
    """The journal file behind a local storage, else None."""
    if url is None:
        return study_directory(root, name) / JOURNAL_NAME
    return Path(url) if "://" not in url else None


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _check_journal(path: Path) -> None:
    """Refuse (before writing anything) a file that is not an Optuna journal."""
    try:
        with path.open("rb") as stream:
            first = stream.readline(1 << 16)
    except FileNotFoundError:
        return
    except OSError as error:
        raise StudyError(f"storage {str(path)!r} must be readable, but got "
                         f"{_one_line(error)}") from None
    if not first:
        return
    try:
        record = json.loads(first)
    except ValueError:
        record = None
    if not isinstance(record, dict) or "op_code" not in record:
        raise StudyError(f"storage {str(path)!r} must be an Optuna journal file, but its first "
                         f"line is not a journal record")


def make_storage(url: str | None, *, root: str, name: str) -> BaseStorage:
    """Open (creating if needed) the storage; unreachable servers raise StudyError."""
    path = journal_path(url, root, name)
    if path is not None:
        if path.exists() and path.is_dir():
            raise StudyError(f"storage {str(path)!r} must be a journal file, but it is a directory")
        _check_journal(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return JournalStorage(JournalFileBackend(str(path), JournalFileOpenLock(str(path))))
        except OSError as error:
            raise StudyError(f"storage {str(path)!r} must be writable, but got "
                             f"{_one_line(error)}") from None
        except Exception as error:  # e.g. a file that is not an Optuna journal
            raise StudyError(f"storage {str(path)!r} must be an Optuna journal file, but "
                             f"reading it failed: {type(error).__name__}") from None
    scheme = url.split("://", 1)[0].lower()
    try:
        if scheme.startswith("redis"):
            from optuna.storages.journal import JournalRedisBackend

            return JournalStorage(JournalRedisBackend(url))
        if scheme == "grpc":
            from optuna.storages import GrpcStorageProxy

            host, _, port = url.split("://", 1)[1].rstrip("/").rpartition(":")
            return GrpcStorageProxy(host=host or "localhost", port=int(port))
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        for attempt in range(5):  # workers starting together race to create Optuna's tables
            try:
                return RDBStorage(
                    url, engine_kwargs={"pool_pre_ping": True},
                    heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS,
                    heartbeat_stale_trial_callback=requeue_stale)
            except Exception as error:
                racing = type(error).__name__ in ("IntegrityError", "ProgrammingError") and (
                    "already exists" in str(error) or "duplicate" in str(error).lower())
                if attempt == 4 or not racing:
                    raise
                time.sleep(0.5 + random.random())
    except (ModuleNotFoundError, ImportError) as error:
        raise StudyError(f"storage {url!r} needs a database driver that is not installed "
                         f"({_one_line(error)}); for PostgreSQL: pip install 'nas[postgresql]'"
                         ) from None
    except Exception as error:  # sqlalchemy / redis / grpc errors: report, never a traceback
        raise StudyError(f"storage {url!r} must be a reachable Optuna storage, but got "
                         f"{type(error).__name__}: {_one_line(error)}") from None


@contextlib.contextmanager
def study_lock(url: str | None, root: str, name: str):
    """An exclusive lock between local processes sharing a journal or SQLite file (a no-op on
    server storages)."""
    path = lock_path(url, root, name)
    if path is None:
        yield
        return
    with file_lock(path, what="study lock"):
        yield


def manifest(*, options: dict[str, Any], threads: int, device: str) -> dict[str, Any]:
    """Versions, FLOP unit, machine and the full options of a run."""
    import fvcore
    import torch

    from nas import __version__

    try:
        fvcore_version = __import__("importlib.metadata").metadata.version("fvcore")
    except Exception:
        fvcore_version = getattr(fvcore, "__version__", "unknown")
    return {
        "nas": __version__, "torch": torch.__version__, "optuna": optuna.__version__,
        "fvcore": fvcore_version, "python": platform.python_version(),
        "flop_unit": FLOP_UNIT, "threads": threads, "device": device,
        "host": platform.node(), "options": options,
    }


def _differences(stored: dict, wanted: dict) -> list[str]:
    keys = sorted(set(stored) | set(wanted))
    return [f"{key}={json.dumps(stored.get(key))} (this run: {json.dumps(wanted.get(key))})"
            for key in keys if stored.get(key) != wanted.get(key)]


def open_study(*, storage: BaseStorage, name: str, identity: dict[str, Any],
               directions: list[str], sampler, pruner,
               manifest_document: dict[str, Any]) -> optuna.Study:
    """Create the study, or load it after checking it was made with the same identity."""
    identity = json.loads(json.dumps(identity))  # as the storage will hand it back
    try:  # load first: a refused run must not write anything, not even a failed create
        study = optuna.load_study(study_name=name, storage=storage, sampler=sampler,
                                  pruner=pruner)
    except KeyError:
        try:
            study = optuna.create_study(storage=storage, study_name=name, directions=directions,
                                        sampler=sampler, pruner=pruner, load_if_exists=True)
        except Exception as error:
            raise StudyError(f"study {name!r} could not be created: {_one_line(error)}") from None
    except Exception as error:
        raise StudyError(f"study {name!r} could not be opened: {_one_line(error)}") from None
    stored = study.user_attrs.get(IDENTITY_KEY)
    if stored is None:
        existing = [t for t in study.get_trials(deepcopy=False)]
        if existing:
            raise StudyError(f"study {name!r} already holds {len(existing)} trials that nas did "
                             f"not make; use another --study name")
        study.set_user_attr(IDENTITY_KEY, identity)
        study.set_user_attr(MANIFEST_KEY, manifest_document)
        stored = identity
    differences = _differences(stored, identity)
    if differences:
        raise StudyError(f"study {name!r} was made with other settings, so its trials would "
                         f"not be comparable: {'; '.join(differences)}; use another --study "
                         f"name or the original options")
    if [d.name.lower() for d in study.directions] != directions:
        raise StudyError(f"study {name!r} must have directions {directions}, but has "
                         f"{[d.name.lower() for d in study.directions]}")
    return study


def load_existing_study(*, storage_url: str | None, root: str, name: str) -> optuna.Study:
    """Load a study for reading (export, scaling from a study); it must exist."""
    path = journal_path(storage_url, root, name)
    if path is not None and not path.exists():
        raise StudyError(f"study {name!r} must exist, but there is no journal at {str(path)!r} "
                         f"(pass --storage if it lives elsewhere)")
    storage = make_storage(storage_url, root=root, name=name)
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        raise StudyError(f"study {name!r} must exist in storage "
                         f"{describe_storage(storage_url, root, name)!r}, but it does not"
                         ) from None


def worker_threads(workers: int, threads: int | None) -> int:
    """Torch threads per worker: as given, else usable cores ÷ workers (at least 1)."""
    if threads is not None:
        return threads
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, cores // workers)


def open_settings_study(settings, *, name: str, identity: dict[str, Any], directions: list[str],
                        sampler, pruner, manifest_document: dict[str, Any]) -> optuna.Study:
    """Open (or create) study ``name`` in the storage of ``settings`` (a StudySettings),
    refusing it if it was made with another identity. Nothing is written on refusal."""
    storage = make_storage(settings.storage, root=settings.root, name=name)
    return open_study(storage=storage, name=name, identity=identity, directions=directions,
                      sampler=sampler, pruner=pruner, manifest_document=manifest_document)
