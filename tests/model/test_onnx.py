"""ONNX files (``nas export --format onnx`` and :mod:`nas.model._onnx`) checked by onnxruntime
against PyTorch: batch 1 and 4, within 1e-4, with nothing on stderr (so no TracerWarning and no
exporter logging; the fixed and the dynamic-batch export run in a new interpreter with every
warning shown) and nothing on stdout besides the summary line."""

import dataclasses
import json
import os
import stat
import sys

import optuna
import pytest
import torch

from nas.arch import EFFICIENTNET_B0, decode, save, to_dict
from nas.model import build_model, check_onnx, export_onnx, onnx_session
from nas.study import make_storage

SHOW_WARNINGS = {"PYTHONWARNINGS": "always"}  # every warning raised would reach stderr

# one worker runs the in-process exports (make test: --dist loadgroup), so the exporter's
# one-off imports (~6 CPU-s: onnxscript, torch.export) are paid once
pytestmark = pytest.mark.xdist_group("onnx")


def tiny(**changes):
    """A small network whose deep stages see 1×1 maps at 16 px."""
    arch = dataclasses.replace(
        EFFICIENTNET_B0,
        stages=tuple(decode(t) for t in ("ds_r1_k3_s1_e1_c16_se0.25", "ir_r2_k3_s2_e6_c24_se0.25",
                                         "er_r1_k3_s2_e4_c32", "ir_r1_k5_s2_e6_c32_se0.25")),
        head_channels=64, resolution=16, num_classes=10)
    return dataclasses.replace(arch, **changes)


def perturbed(model):
    """``model`` with every weight and batch-norm statistic moved away from its
    initialisation (residual branches no longer start at zero)."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("running_var"):
                tensor.uniform_(0.5, 2.0, generator=generator)
            elif tensor.is_floating_point():
                tensor.add_(0.1 * torch.randn(tensor.shape, generator=generator))
    return model.eval()


def seeded_model(arch):
    """The random initialisation ``nas export`` uses for targets without weights (seed 0)."""
    torch.manual_seed(0)
    return build_model(arch).eval()


def max_difference(path, model, batch, resolution):
    """Largest absolute difference of logits between onnxruntime and ``model``."""
    session = onnx_session(path, threads=2)
    images = torch.randn(batch, 3, resolution, resolution)
    (logits,) = session.run(["logits"], {"images": images.numpy()})
    with torch.no_grad():
        return float((torch.from_numpy(logits) - model(images)).abs().max())


def test_b0_export_matches_pytorch_at_batch_1(cli, tmp_path):
    result = cli("export", "efficientnet-b0", "--format", "onnx", "-o", "b0.onnx",
                 env=SHOW_WARNINGS)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    (line,) = result.stdout.splitlines()
    assert line.startswith("Wrote b0.onnx: images (1, 3, 224, 224) -> logits (1, 1000), "
                           "random initialisation weights, ONNX opset ")
    assert line.endswith("(onnxruntime, batch 1)")
    assert sorted(os.listdir(tmp_path)) == ["b0.onnx"]  # one file: no external data, no temp
    assert stat.S_IMODE((tmp_path / "b0.onnx").stat().st_mode) == 0o666 & ~_umask()
    session = onnx_session(tmp_path / "b0.onnx", threads=2)
    assert [(i.name, i.shape) for i in session.get_inputs()] == [("images", [1, 3, 224, 224])]
    assert [o.name for o in session.get_outputs()] == ["logits"]
    model = seeded_model(EFFICIENTNET_B0)
    assert max_difference(tmp_path / "b0.onnx", model, 1, 224) <= 1e-4


def test_dynamic_batch_matches_pytorch_at_batch_1_and_4(cli, tmp_path):
    save(tiny(), tmp_path / "tiny.yaml")
    result = cli("export", "tiny.yaml", "--format", "onnx", "--dynamic-batch", "--json",
                 env=SHOW_WARNINGS)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    document = json.loads(result.stdout)  # stdout holds the document and nothing else
    assert document["path"] == "tiny.onnx"  # the default name, in the working folder
    assert (document["batch"], document["weights"]) == ("dynamic", "random initialisation")
    assert [check["batch"] for check in document["checks"]] == [1, 4]
    assert all(check["max_abs_difference"] <= 1e-4 for check in document["checks"])
    assert document["bytes"] == (tmp_path / "tiny.onnx").stat().st_size
    assert set(document["versions"]) == {"torch", "onnx", "onnxscript", "onnxruntime"}
    path = tmp_path / "tiny.onnx"
    assert onnx_session(path, threads=2).get_inputs()[0].shape == ["batch", 3, 16, 16]
    model = seeded_model(tiny())
    for batch in (1, 4):
        assert max_difference(path, model, batch, 16) <= 1e-4


def test_checkpoint_export_carries_its_weights(cli, tmp_path):
    arch = tiny()
    model = perturbed(build_model(arch))
    torch.save({"state_dict": model.state_dict(), "arch": to_dict(arch)}, tmp_path / "run.pt")
    result = cli("export", "run.pt", "--format", "onnx", "--resolution", "24")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Wrote run.onnx: images (1, 3, 24, 24) -> logits (1, 10), "
                                    "trained weights")
    assert max_difference(tmp_path / "run.onnx", model, 1, 24) <= 1e-4
    # the weights were exported, not a fresh initialisation
    assert max_difference(tmp_path / "run.onnx", seeded_model(arch), 1, 24) > 1e-2


def test_study_trial_export_is_named_after_the_trial(cli, tmp_path):
    storage = make_storage(str(tmp_path / "studies" / "hand" / "journal.log"),
                           root=str(tmp_path), name="hand")
    study = optuna.create_study(study_name="hand", direction="maximize", storage=storage)
    for value, arch in ((0.25, tiny(num_classes=3)), (0.5, tiny(num_classes=7))):
        trial = study.ask()
        trial.set_user_attr("arch", to_dict(arch))
        study.tell(trial, value)
    result = cli("export", "--study", "hand", "--trial", "1", "--format", "onnx")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Wrote hand-trial1.onnx: images (1, 3, 16, 16) -> "
                                    "logits (1, 7), random initialisation weights")
    assert max_difference(tmp_path / "hand-trial1.onnx", seeded_model(tiny(num_classes=7)),
                          1, 16) <= 1e-4


def test_library_export_restores_the_model_and_checks(tmp_path):
    model = perturbed(build_model(tiny()))
    model.train()
    model.stages[0].eval()  # a mixed state, restored module by module
    modes = [module.training for module in model.modules()]
    path = export_onnx(model, tmp_path / "tiny.onnx", resolution=16, dynamic_batch=True)
    assert path == tmp_path / "tiny.onnx"
    assert [module.training for module in model.modules()] == modes
    checks = check_onnx(model, path, batches=(1, 3))
    assert [check["batch"] for check in checks] == [1, 3]
    assert all(check["max_abs_difference"] <= 1e-4 for check in checks)
    assert [module.training for module in model.modules()] == modes
    from nas._errors import ConfigError

    with pytest.raises(ConfigError, match="must match PyTorch's within 0.0001"):
        check_onnx(seeded_model(tiny()), path)  # another network's weights
    fixed = export_onnx(model, tmp_path / "fixed.onnx", resolution=16)
    with pytest.raises(ConfigError, match="fixed batch of 1"):
        check_onnx(model, fixed, batches=(2,))
    with pytest.raises(ConfigError, match="must be cpu, cuda or cuda:N"):
        onnx_session(fixed, threads=1, device="gpu")
    assert sorted(os.listdir(tmp_path)) == ["fixed.onnx", "tiny.onnx"]


def test_missing_deploy_extra_is_one_line(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # import onnxscript now fails
    result = cli("export", "efficientnet-b0", "--format", "onnx", "-o", "b0.onnx")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "pip install -e '.[deploy]'" in line and "onnxscript is not installed" in line
    assert "not 'nas[deploy]'" in line  # PyPI's nas is another project
    assert result.stdout == ""
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("args, message", [
    (["efficientnet-b0", "--format", "yaml", "--resolution", "64"],
     "--resolution must come with --format onnx, but got --format yaml"),
    (["efficientnet-b0", "--dynamic-batch"],
     "--dynamic-batch must come with --format onnx, but got --format yaml"),
    (["plain.pt", "--format", "onnx"], "a plain state dict cannot be rebuilt"),
])
def test_bad_input_is_one_line(cli, tmp_path, args, message):
    torch.save(build_model(tiny()).state_dict(), tmp_path / "plain.pt")
    result = cli("export", *args)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert message in line
    assert sorted(os.listdir(tmp_path)) == ["plain.pt"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
