"""The README's examples stay true: its Python blocks run, and its shell blocks name only real
``nas`` subcommands."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
_FENCE = re.compile(r"^```([A-Za-z0-9_+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_SHELL_LANGUAGES = ("sh", "bash", "shell", "console")
# `nas <command>` as a shell word: at the start of a line or after a space, ;, &, |, ( or / (so
# `.venv/bin/nas search` counts too); the command is the next word
_COMMAND = re.compile(r"(?:^|[\s;&|(/])nas[ \t]+([a-z][a-z0-9-]*)", re.MULTILINE)


def fenced_blocks(language: str | tuple[str, ...]) -> list[tuple[int, str]]:
    """(line number, code) of every fenced block of README.md in ``language``, in order."""
    languages = (language,) if isinstance(language, str) else language
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start()) + 1, match.group(2))
            for match in _FENCE.finditer(text) if match.group(1) in languages]


def test_readme_has_python_examples():
    assert len(fenced_blocks("python")) >= 3


def test_readme_python_blocks_run_in_order(tmp_path, monkeypatch):
    """Every ```python block runs, in order, in one shared namespace (later examples use what
    earlier ones made), in a fresh working directory; any exception fails the test and names
    the block's line."""
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__readme__"}
    for line, code in fenced_blocks("python"):
        try:
            exec(compile(code, f"README.md:{line}", "exec"), namespace)
        except Exception as error:
            pytest.fail(f"the README's python block at line {line} raised "
                        f"{type(error).__name__}: {error}")


def subcommands() -> set[str]:
    """The subcommands the command line has now (read from its parser, so commands added
    later count without changing this test)."""
    import argparse

    from nas.cli import build_parser

    parser = build_parser()
    return {name for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for name in action.choices}


def test_readme_shell_blocks_name_only_real_subcommands():
    named = {(line, command) for line, code in fenced_blocks(_SHELL_LANGUAGES)
             for command in _COMMAND.findall(code)}
    assert named, "the README's shell blocks should show some nas commands"
    real = subcommands()
    unknown = sorted(f"nas {command} (block at line {line})" for line, command in named
                     if command not in real)
    assert not unknown, f"not subcommands of nas ({', '.join(sorted(real))}): {unknown}"
