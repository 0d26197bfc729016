"""Every file a command writes gets the mode the user's umask gives (0666 & ~umask), like any
file a program creates, although it is written atomically through a temporary file."""

import os

import pytest

from nas.arch import save
from nas.space import load_space
from tests.conftest import run_cli_here

TINY_TRAIN = ["--epochs", "1", "--threads", "1", "--train-size", "200"]


def run_with_umask(umask: int, cwd, *args: str):
    """The command in this process under ``umask`` (a process-wide setting: put back after)."""
    previous = os.umask(umask)
    try:
        return run_cli_here(*args, cwd=cwd)
    finally:
        os.umask(previous)


@pytest.mark.parametrize("umask", [0o027])  # not the usual 022, so a fixed 0644 fails too
def test_every_command_writes_files_with_the_umask_mode(tmp_path, umask):
    save(load_space("tiny").baseline(), tmp_path / "tiny.yaml")
    commands = {
        "search": (["search", "--space", "tiny", "--flops", "5M", "--slack", "4", "--trials", "1",
                    "--prescreen", "0", "--study", "s", *TINY_TRAIN], ["studies/s/best.yaml"]),
        "scale": (["scale", "--base", "tiny.yaml", "--step", "0.5", "--study", "g",
                   *TINY_TRAIN], ["studies/g/scaling.yaml"]),
        "family": (["family", "--base", "tiny.yaml", "--alpha", "1.2", "--beta", "1.1",
                    "--gamma", "1.15", "--phis", "0-1", "--out", "fam"],
                   ["fam/tiny-b0.yaml", "fam/tiny-b1.yaml"]),
        "export": (["export", "tiny.yaml", "--format", "timm", "-o", "out/tiny.timm.json"],
                   ["out/tiny.timm.json"]),
        "train": (["train", "tiny.yaml", "--resolution", "16", "--out", "run", *TINY_TRAIN],
                  ["run/checkpoint.pt", "run/result.json"]),
        "supernet": (["supernet", "--space", "tiny", "--proxy-resolution", "16", "--study", "sn",
                      *TINY_TRAIN], ["studies/sn/supernet.pt"]),
    }
    expected = 0o666 & ~umask
    for command, (args, files) in commands.items():
        result = run_with_umask(umask, tmp_path, *args)
        assert result.returncode == 0, (command, result.stderr)
        for name in files:
            mode = (tmp_path / name).stat().st_mode & 0o777
            assert mode == expected, f"{command}: {name} has mode {mode:o}, not {expected:o}"
    leftovers = [p for p in tmp_path.rglob(".*") if p.is_file() and not p.name.endswith("lock")]
    assert leftovers == []  # no temporary file survives
