import pytest

from nas._errors import ConfigError
from nas.arch import PRESET_NAMES, preset
from nas.cost import count
from nas.scaling import compound_family, member_rows, parse_phis, published_family
from tests.conftest import REFERENCE

B0 = preset("efficientnet-b0")


def test_published_family_reproduces_the_presets_exactly():
    members = published_family(B0, phis=list(range(8)), name="efficientnet")
    for member, name in zip(members, PRESET_NAMES):
        assert member.arch == preset(name)
        assert member.name == name
        cost = count(member.arch)
        assert (cost.params, cost.flops) == (REFERENCE["models"][name]["params"],
                                              REFERENCE["models"][name]["flops"])


def test_compound_family_rounding():
    members = compound_family(B0, alpha=1.2, beta=1.1, gamma=1.15, phis=list(range(8)),
                              name="efficientnet")
    assert members[0].arch == B0
    assert [m.arch.resolution for m in members] == [224, 256, 296, 344, 392, 448, 520, 592]
    assert all(m.arch.resolution % 8 == 0 for m in members)
    b1 = members[1].arch
    assert [s.repeats for s in b1.stages] == [2, 3, 3, 4, 4, 5, 2]  # ceil(1.2 × repeats)
    assert [s.out_channels for s in b1.stages] == [16, 24, 48, 88, 120, 208, 352]
    assert (b1.stem_channels, b1.head_channels) == (32, 1408)
    assert members[7].width_coefficient == pytest.approx(1.1 ** 7)


def test_member_rows_report_the_rounding_drift():
    members = compound_family(B0, alpha=1.2, beta=1.1, gamma=1.15, phis=[0, 1, 3],
                              name="efficientnet")
    rows = member_rows(members, base_flops=count(B0).flops)
    assert [row["name"] for row in rows] == ["efficientnet-b0", "efficientnet-b1",
                                             "efficientnet-b3"]
    assert rows[0]["flops_over_b0"] == 1.0
    assert rows[1]["flops"] == 885_523_392
    assert rows[2]["flops_over_b0_per_2_to_phi"] == pytest.approx(
        rows[2]["flops"] / count(B0).flops / 8, abs=1e-4)
    assert rows[1]["last_stage_channels"] == 352 and rows[1]["total_repeats"] == 23


@pytest.mark.parametrize("text, expected", [("0-7", list(range(8))), ("0,2,4", [0, 2, 4]),
                                            ("3", [3])])
def test_parse_phis(text, expected):
    assert parse_phis(text) == expected


@pytest.mark.parametrize("text", ["a-b", "-1", "7-3", ""])
def test_bad_phis(text):
    with pytest.raises(ConfigError, match="phis must be a range"):
        parse_phis(text)
