import dataclasses
import json
import random

import pytest

from nas.arch import save
from nas.arch import preset
from nas.cost import count
from tests.conftest import REFERENCE, random_arch


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
    (["list.yaml"], "item 0 must be a timm block string or a non-empty list of them"),
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


def exportable_random_arch():
    """The first random architecture with a plain-conv stage that timm keeps as it is."""
    def up(channels):
        return -(-channels // 8) * 8

    for seed in range(1000):
        arch = random_arch(random.Random(seed))
        arch = dataclasses.replace(arch, stem_channels=up(arch.stem_channels), stages=tuple(
            dataclasses.replace(stage, out_channels=up(stage.out_channels))
            for stage in arch.stages))
        if any(stage.block_type == "cn" for stage in arch.stages):
            return arch
    raise AssertionError("no random architecture with a cn stage")


def test_flops_of_every_timm_export_equal_the_original(cli, tmp_path):
    arch = exportable_random_arch()
    save(arch, tmp_path / "random.yaml")
    cost = count(arch)
    for target, name in (("efficientnet-b0", "b0"), ("efficientnetv2-s", "v2s"),
                         ("random.yaml", "random")):
        exported = cli("export", target, "--format", "timm", "-o", f"{name}.timm.json")
        assert exported.returncode == 0, exported.stderr
        original = json.loads(cli("flops", target, "--json").stdout)
        result = cli("flops", f"{name}.timm.json", "--json")
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert (document["params"], document["flops"], document["resolution"]) == (
            original["params"], original["flops"], original["resolution"])
    assert (document["params"], document["flops"]) == (cost.params, cost.flops)


def test_flops_of_efficientnetv2_s_and_its_alias(cli):
    for name in ("efficientnetv2-s", "efficientnetv2_s"):
        document = json.loads(cli("flops", name, "--json").stdout)
        assert (document["params"], document["flops"]) == (21_458_488, 8_437_262_336)
    assert "cn_r2_k3_s1_e1_c24_skip" in cli("flops", "efficientnetv2-s").stdout
    assert "efficientnetv2-s" in cli("flops", "--help").stdout


def test_flops_of_a_timm_block_list(cli, tmp_path):
    (tmp_path / "blocks.yaml").write_text("- cn_r1_k3_s1_c32_skip\n- er_r2_k3_s2_e4_c48\n")
    document = json.loads(cli("flops", "blocks.yaml", "--json").stdout)
    assert [row["block_string"] for row in document["stages"][1:3]] == [
        "cn_r1_k3_s1_e1_c32_skip", "er_r2_k3_s2_e4_c48"]
    (tmp_path / "bad.json").write_text('{"arch_def": [["ir_r1_k3_s1_e6_c24_nmi"]]}')
    result = cli("flops", "bad.json")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "bad.json: arch_def[0][0]: block string 'ir_r1_k3_s1_e6_c24_nmi': token 'nmi'" in \
        result.stderr
