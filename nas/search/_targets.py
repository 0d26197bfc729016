"""Resolve a TARGET, as every command names an architecture: a preset name, a config file, a checkpoint of ``nas train``
(``.pt``/``.pth``: its architecture, and for ``nas export`` its weights), or ``study:NAME`` (a
study's best trial, or ``study:NAME:N`` for trial N)."""

from __future__ import annotations

import os
from typing import NamedTuple

from nas.arch import PRESET_NAMES, Arch, load_target

TARGET_HELP = (f"a preset ({', '.join(PRESET_NAMES)}), an architecture config file "
               "(.yaml/.yml/.json: ours, or timm's arch_def document or block-string list), "
               "a checkpoint of nas train (.pt/.pth: its architecture), or "
               "study:NAME[:TRIAL] (a study's best or numbered trial, "
               "at the target resolution)")
CHECKPOINT_SUFFIXES = (".pt", ".pth")


class LoadedTarget(NamedTuple):
    """A resolved TARGET."""

    arch: Arch
    name: str  # for default file names: the preset, the file's stem, or <study>-trial<N>
    state_dict: dict | None  # a checkpoint's weights; None for every other kind of target


def study_target(name: str, *, trial: str = "best", storage: str | None = None,
                 root: str = ".") -> LoadedTarget:
    """A study's trial (``best`` or a number), named ``<study>-trial<N>``."""
    from nas.search._summary import arch_of, find_trial
    from nas.study import load_existing_study

    study = load_existing_study(storage_url=storage, root=root, name=name)
    found = find_trial(study, trial)
    return LoadedTarget(arch_of(found), f"{name}-trial{found.number}", None)


def study_arch(name: str, *, trial: str = "best", storage: str | None = None,
               root: str = ".") -> Arch:
    """The architecture of a study's trial (``best`` or a number)."""
    return study_target(name, trial=trial, storage=storage, root=root).arch


def load_weighted_target(target: str, *, storage: str | None = None,
                         root: str = ".") -> LoadedTarget:
    """The architecture of any TARGET, its name, and the weights of a checkpoint target.
    ``study:NAME[:N]`` is looked up in ``storage`` (default: the local journal of study NAME
    under ``root``/studies)."""
    if target.startswith("study:"):
        name, _, trial = target[len("study:"):].partition(":")
        return study_target(name, trial=trial or "best", storage=storage, root=root)
    name = os.path.splitext(os.path.basename(target))[0]
    if target.lower().endswith(CHECKPOINT_SUFFIXES):
        from nas.train import load_trained

        arch, state_dict = load_trained(target)
        return LoadedTarget(arch, name, state_dict)
    return LoadedTarget(load_target(target), name, None)


def resolve_target(target: str, *, storage: str | None = None, root: str = ".") -> Arch:
    """The architecture of any TARGET (a checkpoint's weights are read and dropped)::

        nas.resolve_target("study:demo-search")      # the study's best trial
        nas.resolve_target("study:demo-search:12")   # its trial 12
        nas.resolve_target("runs/b0/checkpoint.pt")  # what nas train trained
    """
    return load_weighted_target(target, storage=storage, root=root).arch
