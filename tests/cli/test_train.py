import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from nas.arch import save
from nas.space import load_space
from nas.train import load_checkpoint
from tests.conftest import ROOT, run_cli_here, sigint_as_at_a_terminal


def test_train_interrupted_then_resumed(tmp_path):
    save(load_space("tiny").baseline(), tmp_path / "tiny.yaml")
    command = [sys.executable, "-m", "nas", "train", "tiny.yaml", "--resolution", "24",
               "--epochs", "10", "--threads", "1", "--out", "run"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, cwd=tmp_path, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=sigint_as_at_a_terminal)
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    done = load_checkpoint(checkpoint)["epoch"]
    assert 1 <= done < 10  # 10 epochs of ~0.3 s: a kill window that a busy machine cannot miss

    # the resume in this process: a new interpreter would only add its imports
    result = run_cli_here(*command[3:], "--resume", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [entry["epoch"] for entry in document["history"]] == list(range(1, 11))
    assert document["arch"]["resolution"] == 24 and document["resolution"] == 24
    assert json.loads((tmp_path / "run" / "result.json").read_text()) == document


def test_train_bad_input(cli, tmp_path):
    torch_list = tmp_path / "list.pt"
    import torch
    torch.save([1, 2], torch_list)
    for args, message in ((["efficientnet-b0", "--freeze-features"], "must come with --init"),
                          (["efficientnet-b0", "--init", "list.pt"], "must hold a state dict"),
                          (["efficientnet-b0", "--progressive", "32:16"], "START:END"),
                          (["efficientnet-b0", "--resume", "--out", "x"], "--resume needs")):
        result = cli("train", *args, "--resolution", "16")
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_diverging_training_is_one_line_exit_1(cli, tmp_path):
    save(load_space("tiny").baseline(), tmp_path / "tiny.yaml")
    result = cli("train", "tiny.yaml", "--resolution", "16", "--epochs", "1", "--lr", "1e12",
                 "--threads", "1")
    assert result.returncode == 1
    assert "loss became" in result.stderr and "Traceback" not in result.stderr


def test_validation_fraction_sets_how_much_is_trained_on(cli, tmp_path):
    """digits: 1,797 images, 360 held out for test, 5 % of the other 1,437 for validation."""
    save(load_space("tiny").baseline(), tmp_path / "tiny.yaml")
    result = cli("train", "tiny.yaml", "--resolution", "8", "--epochs", "1", "--threads", "1",
                 "--validation-fraction", "0.05", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["images"] == {"train": 1365, "validation": 72, "test": 360,
                                                   "skipped": 0}
    refused = cli("train", "tiny.yaml", "--validation-fraction", "1")
    assert refused.returncode == 2 and "(0, 1)" in refused.stderr


def test_unreadable_images_of_a_folder_are_counted_or_refused(cli, tmp_path):
    from tests.data.test_folder import write_images

    save(load_space("tiny").baseline(), tmp_path / "tiny.yaml")
    root = write_images(tmp_path / "photos", per_class=8)
    (root / "dog" / "zz-broken.jpg").write_bytes(b"not a jpeg")
    common = ("train", "tiny.yaml", "--data", "folder:photos", "--resolution", "16",
              "--epochs", "1", "--threads", "1")
    result = cli(*common, "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["images"]["skipped"] == 1 and document["skipped_files"] == ["dog/zz-broken.jpg"]
    assert sum(document["images"][key] for key in ("train", "validation", "test")) == 24
    refused = cli(*common, "--strict", "--out", "strict-run")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "zz-broken.jpg' must be readable by Pillow" in refused.stderr
    assert not (tmp_path / "strict-run").exists()


def test_torchrun_trains_one_model_in_two_processes_and_resumes(tmp_path):
    """torchrun --standalone --nproc-per-node 2 -m nas train: DDP over gloo on CPU; rank 0
    writes result.json with world_size 2; an interrupted run resumes under torchrun."""
    save(load_space("tiny").baseline(), tmp_path / "tiny.yaml")
    torchrun = Path(sys.executable).parent / "torchrun"
    command = [str(torchrun), "--standalone", "--nproc-per-node", "2", "-m", "nas", "train",
               "tiny.yaml", "--data", "digits", "--resolution", "16", "--epochs", "4",
               "--threads", "1", "--out", "run"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, cwd=tmp_path, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=sigint_as_at_a_terminal)
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    deadline = time.monotonic() + 240
    while not checkpoint.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert checkpoint.exists(), process.communicate(timeout=60)[1][-2000:]
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=120)
    done = load_checkpoint(checkpoint)["epoch"]
    assert 1 <= done < 4 and not (tmp_path / "run" / "result.json").exists()

    resumed = subprocess.run([*command, "--resume", "--json"], cwd=tmp_path, env=environment,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    document = json.loads(resumed.stdout)  # printed once, by rank 0
    assert document["world_size"] == 2
    assert [entry["epoch"] for entry in document["history"]] == [1, 2, 3, 4]
    assert json.loads((tmp_path / "run" / "result.json").read_text()) == document
    # each process trained on its share: 4 epochs of (1,149 // 2) // 64 = 8 steps
    assert load_checkpoint(checkpoint)["trainer"]["schedule"]["last_epoch"] == 4 * 8
