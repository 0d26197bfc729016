"""A tabular benchmark as the evaluator: the accuracy that training would give, looked up.

NASLib and NNI answer "what would training give?" from tables of fully trained networks; so can
``nas search --evaluate table:FILE`` and ``nas rank-check --truth table:FILE``. Two file forms:

- **NAS-Bench-Macro's JSON as published** (Su et al., CVPR 2021): ``{"<code>": {"test_acc":
  [a0, a1, a2], "mean_acc": m, ...}}`` with accuracies in percent. Digit i of a code is the
  index of layer i's entry in its menu, over the space's layer parameters in order; so it
  answers a layer-wise space whose every searched parameter is a layer menu of matching length
  (``search_spaces/nasbench_macro.yaml``).
- **A plain CSV** for any space, one row per training: columns ``architecture`` (the network's
  block strings joined by single spaces, as trials record them in ``blocks`` and ``nas show``
  prints them) and ``accuracy`` (a fraction in [0, 1]). Rows of one architecture are its seeds,
  in file order. A file whose name ends in ``.csv`` is read in this form, any other as JSON.

Networks are matched by what they build (their canonical block strings), so every code or row
of one network answers for all of them. The table must cover the space: for spaces of at most
:data:`COVERAGE_LIMIT` parameter combinations every network is checked when the table is opened;
in larger ones a missing network is an error when a trial meets it.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from nas._errors import ConfigError
from nas._files import read_text
from nas.arch import Arch, encode
from nas.space import LayerStageSpace, Space

TABLE_PREFIX = "table:"
EVALUATORS_HELP = ("train (train a proxy on the data; the default) or table:FILE (look the "
                   "accuracy up in a tabular benchmark: NAS-Bench-Macro's JSON as published, or "
                   "a CSV of architecture,accuracy rows)")
COVERAGE_LIMIT = 200_000
"""Spaces with at most this many parameter combinations are checked whole against a table."""


def network_key(arch: Arch) -> str:
    """What a table knows a network by: its canonical block strings joined by single spaces."""
    return " ".join(encode(stage) for stage in arch.stages)


@dataclass(frozen=True)
class TableAnswer:
    """What the table says of one network: its accuracy in the trial's seed and the mean."""

    accuracy: float
    """Validation (test) accuracy of one published training, a fraction in [0, 1]."""
    seed_index: int
    """Which of the published trainings (0-based)."""
    mean_accuracy: float
    """Mean over the published trainings, a fraction."""
    seeds: int


@dataclass(frozen=True)
class Table:
    """A tabular benchmark opened for one space (:func:`open_table`)."""

    path: str
    form: str
    """``nas-bench-macro`` or ``csv``."""
    fingerprint: str
    """sha256 of the file's bytes."""
    space: str
    accuracies: dict[str, tuple[float, ...]]
    """Network key (:func:`network_key`) -> accuracy of each training, fractions."""

    def seeds_of(self, arch: Arch) -> tuple[float, ...]:
        key = network_key(arch)
        if key not in self.accuracies:
            raise ConfigError(f"table {self.path} must hold every network of space "
                              f"{self.space!r}, but has no entry for {key!r}")
        return self.accuracies[key]

    def answer(self, arch: Arch, *, seed: int, avoid: int | None = None) -> TableAnswer:
        """The accuracy of ``arch`` in the training that ``seed`` (any integer, e.g. a
        trial's seed) picks, other than training ``avoid`` where there is another (a
        confirmation reads a training its original did not), and the mean over every
        training."""
        values = self.seeds_of(arch)
        indices = [i for i in range(len(values)) if i != avoid] or [0]
        index = indices[seed % len(indices)]
        return TableAnswer(accuracy=values[index], seed_index=index,
                           mean_accuracy=statistics.fmean(values), seeds=len(values))

    def mean_accuracy(self, arch: Arch) -> float:
        return statistics.fmean(self.seeds_of(arch))

    def identity(self) -> dict:
        return {"table": self.fingerprint, "table_form": self.form}


def table_path(evaluate: str) -> str | None:
    """The file of an ``--evaluate`` / ``--truth`` value: None for ``train``; raises on
    anything that is neither ``train`` nor ``table:FILE``."""
    if evaluate == "train":
        return None
    if isinstance(evaluate, str) and evaluate.startswith(TABLE_PREFIX) and \
            len(evaluate) > len(TABLE_PREFIX):
        return evaluate[len(TABLE_PREFIX):]
    raise ConfigError(f"evaluator must be {EVALUATORS_HELP}, but got {evaluate!r}")


def open_table(path: str, space: Space) -> Table:
    """Read the tabular benchmark at ``path`` for ``space`` (cached per process); raise
    :class:`ConfigError` if it is not a benchmark file or does not cover the space."""
    resolved = Path(path)
    try:
        stamp = resolved.stat().st_mtime_ns
    except OSError:
        raise ConfigError(f"table must be a readable file, but {path} does not exist "
                          f"or cannot be read") from None
    key = (str(resolved), stamp, space.fingerprint)
    if key not in _OPENED:
        _OPENED.clear()  # one table per process at a time
        _OPENED[key] = _open_table(str(resolved), space)
    return _OPENED[key]


_OPENED: dict[tuple[str, int, str], Table] = {}


def _open_table(path: str, space: Space) -> Table:
    text = read_text(path, what="table file")
    fingerprint = hashlib.sha256(text.encode()).hexdigest()
    codes = 0
    if path.endswith(".csv"):
        form, accuracies = "csv", _read_csv(path, text)
    else:
        form, (accuracies, codes) = "nas-bench-macro", _read_codes(path, text, space)
    table = Table(path=path, form=form, fingerprint=fingerprint, space=space.name,
                  accuracies=accuracies)
    # codes are distinct, each valid: as many as the space has combinations cover it already
    if space.size <= COVERAGE_LIMIT and codes != space.size:
        _check_coverage(table, space)
    return table


def _not_a_table(path: str, why: str) -> ConfigError:
    return ConfigError(f"table {path} must be NAS-Bench-Macro's JSON as published or a CSV of "
                       f"architecture,accuracy rows, but {why}")


def _read_codes(path: str, text: str, space: Space
                ) -> tuple[dict[str, tuple[float, ...]], int]:
    """Network key -> accuracies (fractions), and how many codes the file holds."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise _not_a_table(path, f"it is not JSON ({error})") from None
    if not isinstance(document, dict) or not document:
        raise _not_a_table(path, "it is not a mapping of codes to entries")
    names = list(space.parameters())
    menus = list(space.parameters().values())
    layered = all(".layer" in name for name in names) and all(
        isinstance(stage, LayerStageSpace) for stage in space.stages)
    accuracies: dict[str, tuple[float, ...]] = {}
    for code, entry in document.items():
        seeds = entry.get("test_acc") if isinstance(entry, dict) else None
        if not (isinstance(code, str) and code.isdigit() and isinstance(seeds, list) and seeds
                and all(isinstance(v, (int, float)) and math.isfinite(v) and 0 <= v <= 100
                        for v in seeds)):
            raise _not_a_table(path, f"entry {code!r} is not a digit code with test_acc, a "
                                     f"list of accuracies in percent")
        if not layered or len(code) != len(names) or any(
                int(digit) >= len(menu) for digit, menu in zip(code, menus)):
            sizes = "x".join(str(len(menu)) for menu in menus)
            raise ConfigError(f"table {path} must cover space {space.name!r} (codes of "
                              f"{len(names)} layer menus of {sizes} entries, one digit per "
                              f"layer), but holds code {code!r}")
        arch = space.arch({name: menu[int(digit)]
                           for name, menu, digit in zip(names, menus, code)})
        accuracies.setdefault(network_key(arch), tuple(value / 100 for value in seeds))
    return accuracies, len(document)


def _read_csv(path: str, text: str) -> dict[str, tuple[float, ...]]:
    rows = csv.DictReader(text.splitlines())
    if rows.fieldnames is None or not {"architecture", "accuracy"} <= set(rows.fieldnames):
        raise _not_a_table(path, f"its header is {rows.fieldnames!r}, without the columns "
                                 f"architecture and accuracy")
    accuracies: dict[str, list[float]] = {}
    for line, row in enumerate(rows, start=2):
        try:
            value = float(row["accuracy"])
        except (TypeError, ValueError):
            value = math.nan
        if not 0 <= value <= 1:
            raise ConfigError(f"table {path}: line {line}: accuracy must be a fraction in "
                              f"[0, 1], but got {row['accuracy']!r}")
        key = " ".join((row["architecture"] or "").split())
        if not key:
            raise ConfigError(f"table {path}: line {line}: architecture must be block strings "
                              f"joined by spaces, but it is empty")
        accuracies.setdefault(key, []).append(value)
    if not accuracies:
        raise _not_a_table(path, "it has no rows")
    return {key: tuple(values) for key, values in accuracies.items()}


def _check_coverage(table: Table, space: Space) -> None:
    parameters = space.parameters()
    missing, first = 0, None
    for values in itertools.product(*parameters.values()):
        key = network_key(space.arch(dict(zip(parameters, values))))
        if key not in table.accuracies:
            missing += 1
            first = first or key
    if missing:
        raise ConfigError(f"table {table.path} must hold every network of space "
                          f"{space.name!r}, but {missing:,} are missing (the first: {first!r})")
