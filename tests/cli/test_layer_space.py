"""The layer-wise ``nasbench_macro`` space works like any other: its proxies train in a search,
``nas show`` and ``nas report`` read the study, and the winner exports as ONNX checked by
onnxruntime (its skip projections and stride-1 stem included)."""

import json

import pytest

from nas.arch import encode, load

# the ONNX export shares the exporter's one-off imports with the other exports
pytestmark = pytest.mark.xdist_group("onnx")

NAME = "macro"


def test_search_show_report_and_onnx_on_the_layer_wise_space(cli, tmp_path):
    result = cli("search", "--space", "nasbench_macro", "--flops", "60M", "--trials", "2",
                 "--prescreen", "0", "--baseline", "--epochs", "1", "--train-size", "300",
                 "--proxy-resolution", "16", "--threads", "1", "--study", NAME, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["trials"]["finished"] == 2
    best = load(tmp_path / summary["best"]["config"])
    assert best.stem_stride == 1 and best.activation == "relu"
    shown = cli("show", "--study", NAME, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["best"]["blocks"] == [encode(stage) for stage in best.stages]
    report = cli("report", "--study", NAME, "--json")
    assert report.returncode == 0, report.stderr
    assert any(path.endswith("best_architecture.png")
               for path in json.loads(report.stdout)["figures"])
    exported = cli("export", f"study:{NAME}", "--format", "onnx", "-o", "best.onnx")
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "best.onnx").stat().st_size > 10_000
    timm = cli("export", f"study:{NAME}", "--format", "timm")
    assert timm.returncode == 2 and "stem_stride must be 2" in timm.stderr
