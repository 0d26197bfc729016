"""Shared fixtures and helpers: random architectures, fvcore ground truth, running the CLI."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
import torch

from nas.arch import Arch, Stage

ROOT = Path(__file__).resolve().parents[1]


def _shared() -> Path:
    """The workplace's shared folder (reference figures, real data): $NAS_SHARED, else
    ../shared beside the checkout, else /work/shared."""
    candidates = [os.environ.get("NAS_SHARED"), ROOT.parent / "shared", "/work/shared"]
    for candidate in filter(None, candidates):
        if (Path(candidate) / "reference").is_dir():
            return Path(candidate)
    return ROOT.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def decode_cache(tmp_path_factory):
    """Folders decode into a cache of this test session (NAS_CACHE_DIR, inherited by the CLI
    subprocesses), never into the user's ~/.cache/nas."""
    directory = tmp_path_factory.mktemp("decode-cache")
    previous = os.environ.get("NAS_CACHE_DIR")
    os.environ["NAS_CACHE_DIR"] = str(directory)
    yield directory
    if previous is None:
        os.environ.pop("NAS_CACHE_DIR", None)
    else:
        os.environ["NAS_CACHE_DIR"] = previous


SHARED = _shared()
CIFAR_NPZ = SHARED / "data" / "cifar10_jpeg_10k.npz"


class _SharedJson(Mapping):
    """A JSON file of the shared folder, read on first use; a test that needs it is skipped
    (with the reason) where the shared folder is missing, and the rest of the suite still
    runs."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._document: dict | None = None

    def _load(self) -> dict:
        if self._document is None:
            if not self._path.is_file():
                pytest.skip(f"needs the shared file {self._path} (set NAS_SHARED to the "
                            f"shared folder)")
            self._document = json.loads(self._path.read_text())
        return self._document

    def __getitem__(self, key):
        return self._load()[key]

    def __iter__(self):
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


REFERENCE = _SharedJson(SHARED / "reference" / "efficientnet_reference.json")


def cifar_npz() -> Path:
    """The shared CIFAR-10 subset; skips the calling test (with the reason) if it is missing."""
    if not CIFAR_NPZ.is_file():
        pytest.skip(f"needs the shared data file {CIFAR_NPZ} (set NAS_SHARED to the shared "
                    f"folder)")
    return CIFAR_NPZ


def random_stage(rng: random.Random, *, max_channels: int = 48) -> Stage:
    block_type = rng.choice(["ds", "ir", "ir", "er", "cn"])
    return Stage(
        block_type=block_type,
        repeats=rng.randint(1, 2),
        kernel_size=rng.choice([3, 5, 7]),
        stride=rng.choice([1, 2]),
        expand_ratio=1 if block_type in ("ds", "cn") else rng.choice([1, 3, 4, 6]),
        out_channels=rng.randrange(8, max_channels + 1, 4),
        se_ratio=0.0 if block_type == "cn" else rng.choice([0.0, 0.25]),
        skip=rng.random() < 0.8,
    )


def random_arch(rng: random.Random) -> Arch:
    """A small random architecture covering every block type and option."""
    return Arch(
        stages=tuple(random_stage(rng) for _ in range(rng.randint(1, 4))),
        stem_channels=rng.randrange(8, 33, 4),
        head_channels=rng.randrange(16, 129, 8),
        resolution=rng.randint(32, 600) if rng.random() < 0.3 else rng.randint(32, 96),
        num_classes=rng.choice([1, 2, 10, 37, 100, 1000]),
        dropout=rng.choice([0.0, 0.2, 0.5]),
        drop_path_rate=rng.choice([0.0, 0.2]),
        activation=rng.choice(["swish", "relu", "relu6", "hard_swish"]),
    )


def fvcore_flops(model: torch.nn.Module, resolution: int) -> int:
    """The definition of FLOPs in this project: fvcore on the model in eval mode, batch 1."""
    from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(model.eval(), torch.zeros(1, 3, resolution, resolution))
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    return int(analysis.total())


def run_cli(*args: str, cwd: Path | str | None = None, timeout: float = 300,
            env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m nas ARGS`` in a subprocess, as a user would."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "nas", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=environment)


def run_cli_here(*args: str, cwd: Path | str) -> subprocess.CompletedProcess:
    """Run ``nas ARGS`` in this process, in ``cwd``, as ``python -m nas`` would (the exit code
    of ``main``, or of argparse's ``SystemExit``; what it printed on stdout and stderr), without
    paying a new interpreter's imports (torch, optuna, scikit-learn: ~7 CPU-s a process). The
    process state a command may change is put back afterwards: working directory, environment,
    torch's thread count, signal handlers, warning filters and Optuna's verbosity."""
    import contextlib
    import io
    import signal
    import warnings

    import optuna

    from nas.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    previous = (os.getcwd(), dict(os.environ), torch.get_num_threads(),
                {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)},
                optuna.logging.get_verbosity())
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), \
                warnings.catch_warnings():
            try:
                code = main(list(args))
            except SystemExit as exit:  # argparse: bad usage (2), --help and --version (0)
                code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None
                                                                     else 1)
    finally:
        directory, environment, threads, handlers, verbosity = previous
        os.chdir(directory)
        os.environ.clear()
        os.environ.update(environment)
        torch.set_num_threads(threads)
        for number, handler in handlers.items():
            signal.signal(number, handler)
        optuna.logging.set_verbosity(verbosity)
    return subprocess.CompletedProcess(["nas", *args], code, stdout.getvalue(),
                                       stderr.getvalue())


@pytest.fixture
def cli(tmp_path):
    """Run the CLI in a fresh working directory: in this process (``run_cli_here``), or in a
    subprocess when the test sets the interpreter's environment (``env=``), which only a new
    interpreter reads (e.g. PYTHONWARNINGS)."""
    def run(*args: str, cwd: Path | str | None = None, env: dict | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
        if env is not None:
            return run_cli(*args, cwd=cwd or tmp_path, env=env, timeout=timeout)
        return run_cli_here(*args, cwd=cwd or tmp_path)
    return run


def tiny_search_options(root, **changes):
    """A seconds-long search on the tiny space and digits (400 training images, 16 px proxies:
    digits are 8×8 images), rooted at ``root``; its budget (5 MFLOPs × (1 + 4)) admits every
    tiny candidate, so every trial trains."""
    from nas.scoring import ProxySettings
    from nas.search import SearchOptions
    from nas.study import StudySettings
    from nas.train import TrainConfig

    study = dict(trials=3, root=str(root), seed=0)
    study.update(changes.pop("study", {}))
    train = dict(epochs=2, threads=1)
    train.update(changes.pop("train", {}))
    proxy = dict(train=TrainConfig(**train), train_size=400, resolution=16)
    proxy.update(changes.pop("proxy", {}))
    return SearchOptions(**{"space": "tiny", "target_flops": 5_000_000, "slack": 4.0,
                            "prescreen": 0, **changes,
                            "proxy": ProxySettings(**proxy), "study": StudySettings(**study)})


def _postgres_binary(name: str) -> str | None:
    import glob
    import shutil

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit()
                        else 0)
    return candidates[-1] if candidates else shutil.which(name)


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server on loopback (Debian's postgresql package, which .ci/run
    installs), in a temporary directory; yields its URL and removes it afterwards."""
    import pwd
    import shutil
    import socket

    initdb, pg_ctl = _postgres_binary("initdb"), _postgres_binary("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.fail("PostgreSQL server binaries are missing: install Debian's postgresql "
                    "package (.ci/run does)")
    import tempfile

    # not under pytest's tmp_path: that is private to this user, and the server runs as postgres
    directory = Path(tempfile.mkdtemp(prefix="nas-postgres-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(directory, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = directory / "data"
    subprocess.run([*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "postgres",
                    "--no-sync"], check=True, capture_output=True, timeout=120)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {directory} -c fsync=off"
    subprocess.run([*prefix, pg_ctl, "-D", str(data), "-o", options, "-l",
                    str(directory / "server.log"), "-w", "start"], check=True,
                   capture_output=True, timeout=120)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)


def study_at(storage: str, name: str):
    """Load a study from a journal path or an Optuna URL, as a user would."""
    import optuna

    from nas.study import make_storage

    return optuna.load_study(study_name=name, storage=make_storage(storage, root=".", name=name))


def sigint_as_at_a_terminal() -> None:
    """``preexec_fn`` for a child that a test interrupts with SIGINT: a suite started in the
    background of a non-interactive shell inherits SIGINT ignored (POSIX), and Python then
    installs no KeyboardInterrupt handler, so the child would never see the test's Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_cli(*args: str, cwd, env: dict | None = None) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "nas", *args], cwd=cwd, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=sigint_as_at_a_terminal)
