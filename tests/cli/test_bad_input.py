"""Bad input: one line on stderr naming the problem, exit code 2, no traceback, and no study
created or changed. Runs the command line in-process (same code path as the `nas` script)."""

import pickle

import numpy
import pytest
import torch
from PIL import Image

from nas.cli import main

SEARCH = ["search", "--space", "tiny", "--flops", "5M", "--slack", "4", "--prescreen", "0",
          "--epochs", "1", "--trials", "1", "--train-size", "200"]
ARCH = """stages: [ir_r1_k3_s1_e1_c16]
stem_channels: 16
head_channels: 64
resolution: 32
num_classes: 10
dropout: 0.1
drop_path_rate: 0.0
activation: swish
"""


def write_files(root):
    (root / "syntax.yaml").write_text("name: x\nstages: [\n")
    (root / "tag.yaml").write_text("!!python/object/apply:os.system ['touch pwned']\n")
    space = (root.parent / "space.yaml")
    from nas.space import SPACES_DIRECTORY
    text = (SPACES_DIRECTORY / "tiny.yaml").read_text()
    (root / "unknown_key.yaml").write_text(text + "colour: red\n")
    (root / "wrong_type.yaml").write_text(text.replace("kernel_size: [3, 5]",
                                                       "kernel_size: three"))
    (root / "zero_width.yaml").write_text(text.replace("width_multiplier: [0.5, 1.0]",
                                                       "width_multiplier: [0, 1.0]"))
    (root / "nan_resolution.yaml").write_text(ARCH.replace("resolution: 32", "resolution: .nan"))
    (root / "negative_stem.yaml").write_text(ARCH.replace("stem_channels: 16",
                                                          "stem_channels: -16"))
    (root / "zero_classes.yaml").write_text(ARCH.replace("num_classes: 10", "num_classes: 0"))
    (root / "arch_unknown.yaml").write_text(ARCH + "width: 2\n")
    (root / "arch_string_repeats.yaml").write_text(ARCH.replace("ir_r1_", "ir_rtwo_"))
    (root / "corrupt.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (root / "empty").mkdir()
    (root / "one_class" / "cats").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(root / "one_class" / "cats" / "a.png")
    cifar = root / "cifar"
    cifar.mkdir()
    batch = pickle.dumps({b"data": numpy.zeros((10, 3072), numpy.uint8), b"labels": [0] * 10})
    (cifar / "data_batch_1").write_bytes(batch[:100])
    torch.save([1, 2, 3], root / "list.pt")
    (root / "notes.txt").write_text("not an Optuna journal\n")
    (root / "garbage.pt").write_bytes(b"this is not a checkpoint")
    del space


CASES = [
    (SEARCH + ["--flops", "abc"], "--flops: must be a positive FLOP count"),
    (SEARCH + ["--flops", "-1"], "--flops: must be a positive FLOP count"),
    (SEARCH + ["--flops", "400X"], "--flops: must be a positive FLOP count"),
    (SEARCH + ["--flops", "0"], "--flops: must be a positive FLOP count"),
    (SEARCH + ["--epochs", "0"], "--epochs: must be an integer >= 1"),
    (SEARCH + ["--trials", "-3"], "--trials: must be an integer >= 1"),
    (SEARCH + ["--workers", "0"], "--workers: must be an integer >= 1"),
    (SEARCH + ["--lr", "nan"], "--lr: must be a finite number > 0"),
    (SEARCH + ["--lr", "-0.1"], "--lr: must be a finite number > 0"),
    (SEARCH + ["--proxy-width", "nan"], "--proxy-width: must be a finite number > 0"),
    (SEARCH + ["--slack", "nan"], "--slack: must be a finite number"),
    (SEARCH + ["--slack", "-1"], "slack must be a number >= 0"),
    (SEARCH + ["--seed", "-1"], "--seed: must be an integer >= 0"),
    (SEARCH + ["--timeout", "-5"], "--timeout: must be a finite number > 0"),
    (SEARCH + ["--validation-fraction", "1.5"], "validation fraction must be a number"),
    (SEARCH + ["--proxy-resolution", "4"], "proxy resolution must be an integer >= 8"),
    (SEARCH + ["--device", "tpu"], "device must be cpu, cuda or cuda:N"),
    (SEARCH + ["--reward", "medium"], "--reward: invalid choice"),
    (SEARCH + ["--data", "mnist"], "data must be one of digits, npz:FILE"),
    (SEARCH + ["--data", "npz:missing.npz"], "must exist, but it was not found"),
    (SEARCH + ["--data", "npz:corrupt.npz"], "must be a readable .npz archive"),
    (SEARCH + ["--data", "cifar10:cifar"], "truncated or corrupt"),
    (SEARCH + ["--data", "folder:empty"], "must have at least 2 class sub-folders"),
    (SEARCH + ["--data", "folder:one_class"], "but got 1"),
    (SEARCH + ["--data", "folder:nowhere"], "does not exist"),
    (SEARCH + ["--storage", "postgresql://nobody@127.0.0.1:1/none"],
     "must be a reachable Optuna storage"),
    (SEARCH + ["--storage", "mysql+nodriver://x@127.0.0.1:1/none"],
     "must be a reachable Optuna storage"),
    (SEARCH + ["--study", "bad name!"], "study name must be"),
    (["search", "--space", "syntax.yaml"], "must be valid YAML"),
    (["search", "--space", "tag.yaml"], "must be valid YAML (safe subset, no python tags)"),
    (["search", "--space", "unknown_key.yaml"], "keys must be among"),
    (["search", "--space", "wrong_type.yaml"], "kernel_size must be a non-empty list"),
    (["search", "--space", "zero_width.yaml"], "width_multiplier choices must be > 0"),
    (["search", "--space", "missing.yaml"], "must exist"),
    (["flops", "nan_resolution.yaml"], "resolution must be an integer >= 1, but got nan"),
    (["flops", "negative_stem.yaml"], "stem_channels must be an integer >= 1, but got -16"),
    (["flops", "zero_classes.yaml"], "num_classes must be an integer >= 1, but got 0"),
    (["flops", "arch_unknown.yaml"], "unknown width"),
    (["flops", "arch_string_repeats.yaml"], "r must be followed by an integer"),
    (["flops", "tag.yaml"], "no python tags"),
    (["train", "efficientnet-b0", "--init", "list.pt", "--resolution", "16"],
     "must hold a state dict"),
    (["train", "efficientnet-b0", "--init", "garbage.pt", "--resolution", "16"],
     "loadable with weights_only=True"),
    (["train", "efficientnet-b0", "--device", "cuda:0", "--resolution", "16"]
     if not torch.cuda.is_available() else ["train", "efficientnet-b0", "--epochs", "x"],
     "cuda" if not torch.cuda.is_available() else "--epochs"),
    (["scale", "--base", "efficientnet-b0", "--tolerance", "-1"], "tolerance must be"),
    (["scale", "--base", "efficientnet-b0", "--max-coefficient", "nan"], "max coefficient"),
    (["export", "--study", "absent"], "study 'absent' must exist"),
    (["family", "--base", "efficientnet-b0", "--preset", "efficientnet", "--phis", "9-3"],
     "phis must be a range"),
    (["family", "--base", "efficientnet-b0", "--alpha", "1e200", "--beta", "1", "--gamma", "1",
      "--phis", "0-2"], "must be at most 100"),
    (SEARCH + ["--train-size", "5"], "each split must hold at least one image of each"),
    (SEARCH + ["--validation-fraction", "0.003"], "each split must hold at least one image"),
    (SEARCH + ["--w", "-1000"], "w must be a number >= -10 and <= 10"),
    (SEARCH + ["--storage", "notes.txt"], "must be an Optuna journal file"),
    (["export", "efficientnet-b0", "-o", "empty"], "must be a writable file path"),
    (["train", "efficientnet-b0", "--out", "notes.txt", "--resolution", "16"],
     "must be a directory, but it is a file"),
    (["train", "efficientnet-b0", "--resolution", "4"], "--resolution: must be an integer >= 8"),
    (["scale", "--base", "efficientnet-b0", "--step", "0.001"], "at most 201 values"),
]


@pytest.mark.parametrize("args, message", CASES, ids=[" ".join(a[:1] + a[-2:]) for a, _ in CASES])
def test_bad_input(tmp_path, monkeypatch, capsys, args, message):
    write_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    try:
        code = main(args)
    except SystemExit as exit:  # argparse usage errors
        code = exit.code
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1, captured.err
    assert "Traceback" not in captured.err
    assert not (tmp_path / "studies").exists()
    assert not (tmp_path / "pwned").exists()


def test_there_are_at_least_30_cases():
    assert len(CASES) >= 30


def test_a_refused_study_is_left_unchanged(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(SEARCH + ["--study", "mine", "--threads", "1"]) == 0
    journal = tmp_path / "studies" / "mine" / "journal.log"
    before = journal.read_bytes()
    capsys.readouterr()
    assert main(SEARCH + ["--study", "mine", "--epochs", "2"]) == 2
    assert "made with other settings" in capsys.readouterr().err
    assert journal.read_bytes() == before
