"""The ``nasbench_macro`` space is NAS-Bench-Macro's network exactly: every one of its 6,561 codes
builds one of 3,969 distinct networks, each with the table's parameter count, and FLOPs within the
stated ratio of the table's (fvcore also counts batch norm and pooling)."""

import itertools
import json
import random

import pytest
import torch

from nas.arch import to_dict
from nas.cost import count
from nas.model import build_model
from nas.space import load_space
from tests.conftest import SHARED, fvcore_flops

TABLE = SHARED / "data" / "nasbench_macro" / "nas-bench-macro_cifar10.json"


@pytest.fixture(scope="module")
def table() -> dict:
    if not TABLE.is_file():
        pytest.skip(f"needs the shared file {TABLE} (set NAS_SHARED to the shared folder)")
    return json.loads(TABLE.read_text())


def arch_of(space, code: str):
    parameters = space.parameters()
    return space.arch({name: options[int(digit)]
                       for (name, options), digit in zip(parameters.items(), code)})


def test_every_code_counts_the_tables_parameters_and_flops(table):
    space = load_space("nasbench_macro")
    assert len(table) == space.size == 6561
    networks, ratios = {}, []
    for code, entry in table.items():
        arch = arch_of(space, code)
        cost = count(arch)
        assert cost.params == entry["params"], code
        ratios.append(cost.flops / entry["flops"])
        networks.setdefault(json.dumps(to_dict(arch)), set()).add(
            json.dumps(entry, sort_keys=True))
    assert len(networks) == 3969
    assert all(len(entries) == 1 for entries in networks.values())  # one network, one entry
    assert 1.01 < min(ratios) and max(ratios) < 1.04


def test_built_modules_match_the_table_on_a_sample(table):
    space = load_space("nasbench_macro")
    codes = ["00000000", "22222222", "11111111", "01020102", "10201020"]
    codes += random.Random(0).sample(sorted(table), 15)
    for code in codes:
        model = build_model(arch_of(space, code))
        assert sum(p.numel() for p in model.parameters()) == table[code]["params"], code
    for code in codes[:3]:  # fvcore traces the module: the analytic count is its count
        arch = arch_of(space, code)
        assert fvcore_flops(build_model(arch), 32) == count(arch).flops


def test_skipped_layers_vanish_or_project():
    space = load_space("nasbench_macro")
    arch = arch_of(space, "01010010")
    assert [stage.block_type for stage in arch.stages] == ["pj", "ir", "pj", "ir", "pj", "ir"]
    assert arch.stem_stride == 1 and arch.activation == "relu" and arch.dropout == 0
    model = build_model(arch).eval()
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    # a skip inside a stage only shortens it: 1,0,1 and 1,1,0 are one network
    assert arch_of(space, "10101000") == arch_of(space, "10110000")
    assert arch_of(space, "01012000") != arch_of(space, "01021000")  # order of kept layers


def test_parameters_are_one_categorical_menu_per_layer():
    space = load_space("nasbench_macro")
    parameters = space.parameters()
    assert list(parameters) == [f"stage{s}.layer{l}" for s, layers in ((1, 2), (2, 3), (3, 3))
                                for l in range(1, layers + 1)]
    assert set(parameters.values()) == {("skip", "ir_k3_e3", "ir_k5_e6")}
    assert space.baseline() == arch_of(space, "11111111")
    assert all(space.trial_params(dict(zip(parameters, values))) == dict(zip(parameters, values))
               for values in itertools.islice(itertools.product(*parameters.values()), 5))
