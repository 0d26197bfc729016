"""Resolve a TARGET argument: a preset name, a config file, or ``study:NAME`` (a study's best
trial, or ``study:NAME:N`` for trial N)."""

from __future__ import annotations

from nas.arch import PRESET_NAMES, Arch, load_target

TARGET_HELP = (f"a preset ({', '.join(PRESET_NAMES)}), an architecture config file "
               "(.yaml/.yml/.json), or study:NAME[:TRIAL] (a study's best or numbered trial, "
               "at the target resolution)")


def study_arch(name: str, *, trial: str = "best", storage: str | None = None,
               root: str = ".") -> Arch:
    """The architecture of a study's trial (``best`` or a number)."""
    from nas.search import arch_of, find_trial
    from nas.study import load_existing_study

    study = load_existing_study(storage_url=storage, root=root, name=name)
    return arch_of(find_trial(study, trial))


def resolve_target(target: str, *, storage: str | None = None) -> Arch:
    if target.startswith("study:"):
        name, _, trial = target[len("study:"):].partition(":")
        return study_arch(name, trial=trial or "best", storage=storage)
    return load_target(target)
