"""``nas family --plot`` and :func:`nas.report.plot_family`."""

import json

from PIL import Image

from nas.arch import preset
from nas.cost import count
from nas.report import plot_family
from nas.scaling import published_family


def test_plot_family_writes_a_png(tmp_path):
    base = preset("efficientnet-b0")
    members = published_family(base, phis=[0, 1, 2, 3], name="efficientnet")
    path = plot_family(members, tmp_path / "plots" / "family.png",
                       base_flops=count(members[0].arch).flops)
    assert path == tmp_path / "plots" / "family.png"
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] >= 800 and image.size[1] >= 300


def test_family_plot_flag(cli, tmp_path):
    result = cli("family", "--base", "efficientnet-b0", "--alpha", "1.2", "--beta", "1.1",
                 "--gamma", "1.15", "--phis", "0-3", "--out", "fam", "--plot", "--json")
    assert result.returncode == 0, result.stderr
    plot = json.loads(result.stdout)["plot"]
    assert plot == "fam/family.png"
    with Image.open(tmp_path / plot) as image:
        assert image.format == "PNG"
    table = cli("family", "--base", "efficientnet-b0", "--alpha", "1.2", "--beta", "1.1",
                "--gamma", "1.15", "--phis", "0-1", "--out", "fam2", "--plot")
    assert table.returncode == 0 and "Plot written to fam2/family.png" in table.stdout
