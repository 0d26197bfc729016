import json
from pathlib import Path

import pytest

from nas.arch import load, preset
from tests.conftest import REFERENCE

TINY_BASE = str(Path(__file__).resolve().parents[2] / "search_spaces" / "tiny.yaml")


def write_tiny_base(cli, tmp_path):
    from nas.space import load_space
    from nas.arch import save
    save(load_space("tiny").baseline(), tmp_path / "tiny.yaml")
    return "tiny.yaml"


def test_family_writes_configs_that_flops_reads(cli, tmp_path):
    result = cli("family", "--base", "efficientnet-b0", "--alpha", "1.2", "--beta", "1.1",
                 "--gamma", "1.15", "--phis", "0-7", "--out", "fam")
    assert result.returncode == 0, result.stderr
    assert "/ (B0 2^phi)" in result.stdout and "one fused multiply-add" in result.stdout
    files = sorted((tmp_path / "fam").iterdir())
    assert [f.name for f in files] == [f"efficientnet-b{i}.yaml" for i in range(8)]
    flops = json.loads(cli("flops", "fam/efficientnet-b1.yaml", "--json").stdout)["flops"]
    assert flops == 885_523_392


def test_family_preset_matches_the_reference(cli, tmp_path):
    result = cli("family", "--base", "efficientnet-b0", "--preset", "efficientnet", "--json")
    members = json.loads(result.stdout)["members"]
    for member in members:
        reference = REFERENCE["models"][member["name"]]
        assert (member["params"], member["flops"]) == (reference["params"], reference["flops"])
        assert load(tmp_path / member["config"]) == preset(member["name"])


@pytest.mark.parametrize("args, message", [
    (["--base", "efficientnet-b0"], "must give --alpha, --beta and --gamma"),
    (["--alpha", "1.2", "--beta", "1.1", "--gamma", "1.15"], "must give --base TARGET"),
    (["--base", "efficientnet-b0", "--alpha", "1.2", "--beta", "1.1", "--gamma", "1.15",
      "--phis", "x"], "phis must be a range"),
    (["--scaling", "missing.yaml"], "must exist"),
    (["--base", "efficientnet-b0", "--alpha", "-1", "--beta", "1", "--gamma", "1"],
     "--alpha: must be a finite number > 0"),
])
def test_family_bad_input(cli, tmp_path, args, message):
    result = cli("family", *args)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "studies").exists()


def test_scale_table_json_and_family_from_scaling(cli, tmp_path):
    base = write_tiny_base(cli, tmp_path)
    result = cli("scale", "--base", base, "--step", "0.5", "--epochs", "1", "--threads", "1",
                 "--train-size", "300", "--proxy-resolution", "16",
                 "--point", "1.2,1.1,1.15", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    # 5 points, and the only compound one trained again with another seed (--confirm 3)
    assert summary["grid_points"] == 1 and summary["trials_needed"] == 6
    assert summary["confirmed_points"] == 1 and summary["seed_std"] is not None
    assert summary["chosen"]["tied_points"] == 1
    kinds = {row["kind"] for row in summary["ranking"]}
    assert kinds == {"base", "compound, depth only", "width only", "resolution only", "extra"}
    assert Path(tmp_path / summary["scaling_file"]).exists()
    family = cli("family", "--scaling", summary["scaling_file"], "--phis", "0-2", "--json")
    assert family.returncode == 0, family.stderr
    members = json.loads(family.stdout)["members"]
    assert [m["name"] for m in members] == ["tiny-b0", "tiny-b1", "tiny-b2"]
    assert members[1]["depth_coefficient"] == 2.0


def test_scale_prints_the_grid_size_and_table(cli, tmp_path):
    base = write_tiny_base(cli, tmp_path)
    result = cli("scale", "--base", base, "--step", "0.5", "--epochs", "1", "--threads", "1",
                 "--train-size", "300", "--proxy-resolution", "16",
                 "--max-coefficient", "1.5", "--tolerance", "0.1")
    assert result.returncode == 0, result.stderr
    assert "Grid: 0 points" in result.stdout
    assert "Ranked by proxy accuracy" in result.stdout and "resolution only" in result.stdout


def test_scale_bad_input(cli, tmp_path):
    for args, message in ((["--base", "efficientnet-b0", "--step", "abc"], "step must be"),
                          (["--base", "efficientnet-b0", "--point", "1,2"], "point must be"),
                          (["--base", "study:none"], "study 'none' must exist")):
        result = cli("scale", *args)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr


def test_family_refuses_to_overwrite_another_family(cli, tmp_path):
    """A --preset family, then an --alpha family of the same base into the same directory:
    refused with nothing written, unless --overwrite; re-writing the same family is fine."""
    first = cli("family", "--base", "efficientnet-b0", "--preset", "efficientnet",
                "--phis", "0-2", "--out", "fam")
    assert first.returncode == 0, first.stderr
    before = {path.name: path.read_bytes() for path in (tmp_path / "fam").iterdir()}
    again = cli("family", "--base", "efficientnet-b0", "--preset", "efficientnet",
                "--phis", "0-3", "--out", "fam")
    assert again.returncode == 0, again.stderr
    other = ("family", "--base", "efficientnet-b0", "--alpha", "1.4", "--beta", "1.05",
             "--gamma", "1.1", "--phis", "0-3", "--out", "fam")
    refused = cli(*other)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "efficientnet-b1.yaml" in refused.stderr and "--overwrite" in refused.stderr
    assert {name: (tmp_path / "fam" / name).read_bytes() for name in before} == before
    replaced = cli(*other, "--overwrite", "--json")
    assert replaced.returncode == 0, replaced.stderr
    members = json.loads(replaced.stdout)["members"]
    assert load(str(tmp_path / "fam" / "efficientnet-b1.yaml")).resolution == \
        members[1]["resolution"] != preset("efficientnet-b1").resolution
