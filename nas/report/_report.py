"""``nas report``: PNG figures and a report.md for a search, scale or rank-check study, read
without changing it (it may still be running: unfinished trials are counted, not drawn)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from nas._errors import StudyError
from nas._files import atomic_write

REPORT_FILE = "report.md"
REPORT_DIRECTORY = "report"


@dataclass(frozen=True)
class Report:
    """What :func:`write_report` wrote.

    Attributes:
        out: the report directory.
        kind: ``search``, ``scale`` or ``rank-check``.
        figures: the PNG files, in the order report.md shows them.
        markdown: the report.md file.
    """

    out: Path
    kind: str
    figures: tuple[Path, ...]
    markdown: Path


def write_report(name: str, *, storage: str | None = None, root: str = ".",
                 out: str | Path | None = None) -> Report:
    """Read study ``name`` (from ``storage``, default ``<root>/studies/<name>/journal.log``)
    and write its figures (PNG, 120 dpi) and ``report.md`` into ``out`` (default
    ``<root>/studies/<name>/report/``), each file atomically. Raises StudyError for an unknown
    study, one nas did not make, or one without a complete trial."""
    from nas.study import count_trials, describe_storage, load_existing_study, study_directory
    from nas.study import study_kind

    study = load_existing_study(storage_url=storage, root=root, name=name)
    kind = study_kind(study)
    if kind == "other":
        raise StudyError(f"study {name!r} must be a nas search, scale or rank-check study, but "
                         f"it holds no nas identity of those kinds")
    counts = count_trials(study.get_trials(deepcopy=False))
    if not counts.complete:
        raise StudyError(f"study {name!r} must have a complete trial to report on, but has "
                         f"none yet ({counts.running} running, {counts.waiting} waiting)")
    directory = Path(out) if out is not None else study_directory(root, name) / REPORT_DIRECTORY
    figures, sections = _part(kind)(study, directory)
    from nas.report._markdown import counts_table, manifest_block

    where = describe_storage(storage, root, name)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    document = "\n\n".join([
        f"# Report: study `{name}`",
        f"Kind: **{kind}**. Storage: `{where}`. Written {stamp}.",
        "## Trials\n\n" + counts_table(counts)
        + ("\n\nRunning and waiting trials have no values yet and appear in no figure."
           if counts.running or counts.waiting else ""),
        *sections,
        "## Manifest\n\nVersions, FLOP unit, threads, device and options of the run that "
        "created the study:\n\n" + manifest_block(study.user_attrs.get("nas.manifest")),
    ]) + "\n"
    markdown = atomic_write(directory / REPORT_FILE, document)
    return Report(out=directory, kind=kind, figures=tuple(figures), markdown=markdown)


def _part(kind: str):
    if kind == "search":
        from nas.report._search_report import search_part

        return search_part
    if kind == "scale":
        from nas.report._scale_report import scale_part

        return scale_part
    from nas.report._rank_report import rank_part

    return rank_part
