"""Listing the studies of a store: their kind, trials by state, best value and dates.

Reading takes no study lock and writes nothing, so it is safe while workers run: a RUNNING
trial is counted as running.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import optuna
from optuna.trial import TrialState

from nas._errors import StudyError
from nas.study._confirm import best_by_seeds, seed_groups
from nas.study._counts import Counts, count_trials
from nas.study._stores import (IDENTITY_KEY, JOURNAL_NAME, describe_storage, journal_path,
                               make_storage)

STUDY_KINDS = ("search", "scale", "rank-check")


@dataclass(frozen=True)
class StudySummary:
    """One study of a store.

    Attributes:
        name: the study name.
        kind: ``search``, ``scale``, ``rank-check`` (the nas command that made it) or ``other``.
        storage: the storage as a user passes it to ``--storage``.
        directions: ``maximize`` / ``minimize`` per objective.
        counts: trials by state (``skipped``: infeasible candidates recorded untrained).
        best_value: single objective: the best value by the rule of
            :func:`nas.search.best_trial` (highest mean over seeds, feasible first, among the
            confirmed trials once there are any); None without a complete trial and for two
            objectives.
        started: when the first trial started (None: no trial yet).
        finished: when the last trial finished (None: none finished yet).
    """

    name: str
    kind: str
    storage: str
    directions: tuple[str, ...]
    counts: Counts
    best_value: float | None
    started: datetime | None
    finished: datetime | None

    def to_dict(self) -> dict:
        """JSON-ready (dates in ISO 8601, trials by state under ``trials``)."""
        return {"name": self.name, "kind": self.kind, "storage": self.storage,
                "directions": list(self.directions),
                "trials": {**asdict(self.counts), "finished": self.counts.finished},
                "best_value": self.best_value,
                "started": self.started and self.started.isoformat(timespec="seconds"),
                "finished": self.finished and self.finished.isoformat(timespec="seconds")}


def study_identity(study: optuna.Study) -> dict:
    """What the study was made with (refused if a later run differs); {} if nas did not make
    it."""
    identity = study.user_attrs.get(IDENTITY_KEY)
    return identity if isinstance(identity, dict) else {}


def study_kind(study: optuna.Study) -> str:
    """The nas command that made ``study`` (from its identity), else ``other``."""
    kind = study_identity(study).get("kind")
    return kind if kind in STUDY_KINDS else "other"


def best_value(study: optuna.Study) -> float | None:
    """See :attr:`StudySummary.best_value`."""
    if len(study.directions) != 1:
        return None
    if study.direction == optuna.study.StudyDirection.MINIMIZE:  # not a nas study
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        return min((t.value for t in complete), default=None)
    groups = seed_groups(study)
    best = best_by_seeds(study, groups)
    return None if best is None else statistics.fmean(groups[best.number])


def summarize(study: optuna.Study, storage: str) -> StudySummary:
    trials = study.get_trials(deepcopy=False)
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    ends = [t.datetime_complete for t in trials if t.datetime_complete is not None]
    return StudySummary(name=study.study_name, kind=study_kind(study), storage=storage,
                        directions=tuple(d.name.lower() for d in study.directions),
                        counts=count_trials(trials), best_value=best_value(study),
                        started=min(starts, default=None), finished=max(ends, default=None))


def _read(storage_url: str, *, root: str, label: str) -> list[StudySummary]:
    """Every study of one storage (its names read once, each study loaded once)."""
    storage = make_storage(storage_url, root=root, name="")
    try:
        names = optuna.study.get_all_study_names(storage)
        studies = [optuna.load_study(study_name=name, storage=storage) for name in names]
        return [summarize(study, label) for study in studies]
    except Exception as error:  # a server that went away mid-read, a damaged journal
        text = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise StudyError(f"storage {label!r} must be a readable Optuna storage, but reading "
                         f"it failed: {type(error).__name__}: {text}") from None


def default_journals(root: str) -> list[Path]:
    """``<root>/studies/<name>/journal.log`` of every study in the default store."""
    return sorted(path for path in (Path(root) / "studies").glob(f"*/{JOURNAL_NAME}")
                  if path.is_file())


def list_studies(storage: str | None = None, root: str = ".") -> list[StudySummary]:
    """Every study in ``storage`` (a journal path or an Optuna URL), by name; by default every
    ``studies/<name>/journal.log`` under ``root``. Unreachable storages raise StudyError."""
    if storage is None:
        summaries = []
        for path in default_journals(root):
            label = describe_storage(None, root, path.parent.name)
            summaries += _read(str(path), root=root, label=label)
        return sorted(summaries, key=lambda summary: summary.name)
    path = journal_path(storage, root, "")
    if path is not None and not path.is_file():
        raise StudyError(f"storage {storage!r} must be an existing journal file, but "
                         f"{'it is a directory' if path.is_dir() else 'there is none'}")
    return sorted(_read(storage, root=root, label=storage), key=lambda summary: summary.name)

