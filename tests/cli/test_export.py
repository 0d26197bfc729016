import json

import pytest

from nas.arch import load, preset


@pytest.mark.parametrize("format, suffix", [("yaml", ".yaml"), ("json", ".json")])
def test_export_writes_a_config_that_loads_back(cli, tmp_path, format, suffix):
    result = cli("export", "efficientnet-b2", "--format", format, "-o", f"b2{suffix}")
    assert result.returncode == 0, result.stderr
    assert load(tmp_path / f"b2{suffix}") == preset("efficientnet-b2")


def test_export_timm_to_stdout(cli):
    result = cli("export", "efficientnet-b0", "--format", "timm")
    assert result.returncode == 0
    spec = json.loads(result.stdout)
    assert set(spec) >= {"arch_def", "stem_size", "num_features", "num_classes", "act_layer"}
    assert spec["act_layer"] == "swish"


def test_export_chain_through_flops(cli, tmp_path):
    cli("export", "efficientnet-b1", "-o", "b1.yaml")
    document = json.loads(cli("flops", "b1.yaml", "--json").stdout)
    assert document["flops"] == 708623088


def test_export_bad_format_is_one_line(cli):
    result = cli("export", "efficientnet-b0", "--format", "png")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
