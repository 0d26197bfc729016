"""Markdown pieces of report.md: tables, trial counts, the manifest, figure embeds."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from nas.study import Counts


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def table(rows: Sequence[dict], columns: Sequence[str] | None = None) -> str:
    """A GitHub-flavoured markdown table of ``rows`` (dicts sharing their keys); numbers are
    right-aligned."""
    if not rows:
        return "(none)"
    columns = list(columns or rows[0])
    numeric = [all(_is_number(row.get(column)) for row in rows) for column in columns]
    lines = ["| " + " | ".join(_cell(column) for column in columns) + " |",
             "|" + "|".join("---:" if right else "---" for right in numeric) + "|"]
    lines += ["| " + " | ".join(_cell(row.get(column)) for column in columns) + " |"
              for row in rows]
    return "\n".join(lines)


def _is_number(value) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    text = str(value).replace(",", "")
    try:
        float(text)
    except ValueError:
        return text == ""
    return True


def frame_table(frame) -> str:
    """A pandas DataFrame (e.g. :func:`nas.search.trial_frame`) as a markdown table."""
    return table(frame.to_dict("records"), list(frame.columns))


def counts_table(counts: Counts) -> str:
    """Trials by state; RUNNING and WAITING ones have no values yet and are in no figure."""
    return table([{"complete": counts.complete, "pruned": counts.pruned,
                   "skipped (infeasible)": counts.skipped, "failed": counts.failed,
                   "running": counts.running, "waiting": counts.waiting}])


def figure(path: Path, caption: str, sentence: str) -> str:
    """Embed a PNG by its name (report.md lies in the same folder) with one explaining
    sentence."""
    return f"![{caption}]({path.name})\n\n{sentence}"


def manifest_block(manifest: dict | None) -> str:
    """The study's manifest (versions, FLOP unit, threads, device, options) as YAML."""
    if not manifest:
        return "The study holds no manifest."
    return "```yaml\n" + yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True) + "```"
