"""Where and how a study's trials run, as one frozen dataclass."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from nas._checks import check_int, check_real
from nas._errors import ConfigError

SAMPLERS = ("tpe", "gp", "evolution", "random", "nsga2")
PRUNERS = ("none", "median", "hyperband")
RECOVERING_STORAGES = ("journal file", "sqlite", "postgresql")
STORAGE_HELP = ("Optuna storage: a journal file path, sqlite:///FILE, "
                "postgresql://USER:PASSWORD@HOST/DB, mysql://..., redis://... or grpc://HOST:PORT "
                "(default: studies/<study>/journal.log, which needs no server and serves several "
                "local workers). Crash recovery (a killed worker's trial failed and re-run once) "
                "is tested on the journal file, SQLite and PostgreSQL only; Redis and gRPC are not "
                "covered, so a killed worker's trial may stay RUNNING there")


@dataclass(frozen=True, kw_only=True)
class StudySettings:
    """Where and how trials run.

    Attributes:
        name: study name (None = derived from the options).
        storage: Optuna storage URL or journal file path (None = studies/<name>/journal.log).
        sampler: ``tpe``, ``random`` or ``nsga2`` (None = tpe, or nsga2 for two objectives).
        pruner: ``none``, ``median`` or ``hyperband``.
        seed: study seed; trial seeds derive from (seed, trial number).
        trials: the study's total of finished (complete or pruned) trials; re-runs top up.
        timeout: seconds after which no new trial starts (None = no limit).
        workers: local worker processes.
        max_failures: stop after this many consecutive failed trials.
        root: directory holding studies/ (the working directory by default).
    """

    name: str | None = None
    storage: str | None = None
    sampler: str | None = None
    pruner: str = "none"
    seed: int = 0
    trials: int = 20
    timeout: float | None = None
    workers: int = 1
    max_failures: int = 5
    root: str = "."

    def __post_init__(self) -> None:
        if self.name is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,119}",
                                                      self.name):
            raise ConfigError(f"study name must be 1-120 letters, digits, '.', '_', ':' or '-', "
                              f"starting with a letter or digit, but got {self.name!r}")
        if self.sampler is not None and self.sampler not in SAMPLERS:
            raise ConfigError(f"sampler must be one of {', '.join(SAMPLERS)}, "
                              f"but got {self.sampler!r}")
        if self.pruner not in PRUNERS:
            raise ConfigError(f"pruner must be one of {', '.join(PRUNERS)}, "
                              f"but got {self.pruner!r}")
        check_int("seed", self.seed, minimum=0)
        check_int("trials", self.trials, minimum=1)
        if self.timeout is not None:
            check_real("timeout", self.timeout, minimum=1e-9)
        check_int("workers", self.workers, minimum=1)
        check_int("max failures", self.max_failures, minimum=1)

    def studies_directory(self) -> str:
        return os.path.join(self.root, "studies")
