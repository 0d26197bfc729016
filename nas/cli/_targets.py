"""Resolve a TARGET argument: a preset name, a config file, or (later) a study trial."""

from __future__ import annotations

from nas.arch import PRESET_NAMES, Arch, load_target

TARGET_HELP = (f"a preset ({', '.join(PRESET_NAMES)}) or an architecture config file "
               "(.yaml/.yml/.json)")


def resolve_target(target: str) -> Arch:
    return load_target(target)
