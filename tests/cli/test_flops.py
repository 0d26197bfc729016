import json

import pytest

from nas.arch import save
from nas.arch import preset
from tests.conftest import REFERENCE


@pytest.mark.parametrize("n", range(8))
def test_flops_json_matches_reference(cli, n):
    result = cli("flops", f"efficientnet-b{n}", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    reference = REFERENCE["models"][f"efficientnet-b{n}"]
    assert (document["params"], document["flops"]) == (reference["params"], reference["flops"])
    assert document["num_classes"] == 1000
    assert len(document["stages"]) == 9
    assert sum(stage["flops"] for stage in document["stages"]) == document["flops"]


def test_flops_table_states_the_unit_and_totals(cli):
    result = cli("flops", "efficientnet-b0")
    assert result.returncode == 0
    assert "one fused multiply-add = one FLOP" in result.stdout
    assert "ir_r4_k5_s2_e6_c192_se0.25" in result.stdout
    assert "399,352,864" in result.stdout and "5,288,548" in result.stdout


def test_flops_of_a_config_file_with_overrides(cli, tmp_path):
    save(preset("efficientnet-b0"), tmp_path / "b0.json")
    result = cli("flops", "b0.json", "--resolution", "32", "--classes", "10", "--json")
    document = json.loads(result.stdout)
    assert (document["resolution"], document["num_classes"]) == (32, 10)
    assert document["params"] == 5288548 - 1280 * 990 - 990


@pytest.mark.parametrize("args, message", [
    (["efficientnet-b9"], "target must be a preset"),
    (["missing.yaml"], "must exist, but it was not found"),
    (["efficientnet-b0", "--resolution", "0"], "--resolution: must be an integer >= 1"),
    (["efficientnet-b0", "--classes", "ten"], "--classes: must be an integer >= 1"),
    (["bad.yaml"], "must be valid YAML"),
    (["evil.yaml"], "must be valid YAML"),
    (["list.yaml"], "must be a mapping"),
    (["."], "must be a file, but it is a directory"),
])
def test_bad_input_is_one_line_exit_2(cli, tmp_path, args, message):
    (tmp_path / "bad.yaml").write_text("stages: [\n")
    (tmp_path / "evil.yaml").write_text("!!python/object/apply:os.system ['touch pwned']\n")
    (tmp_path / "list.yaml").write_text("- 1\n")
    result = cli("flops", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "pwned").exists()


def test_help_explains_options(cli):
    for command in ([], ["flops"], ["export"]):
        result = cli(*command, "--help")
        assert result.returncode == 0
    assert "--resolution" in cli("flops", "--help").stdout
    assert "one fused multiply-add = one FLOP" in cli("--help").stdout
