import dataclasses
import json
import random

import pytest
import yaml

from nas._errors import ConfigError
from nas.arch import (
    EFFICIENTNET_B0,
    PRESET_NAMES,
    decode,
    dumps,
    from_document,
    load,
    loads,
    preset,
    save,
    to_dict,
)
from tests.conftest import random_arch


@pytest.mark.parametrize("format", ["yaml", "json"])
def test_presets_and_random_configs_round_trip_through_text(format):
    rng = random.Random(1)
    arches = [preset(name) for name in PRESET_NAMES] + [random_arch(rng) for _ in range(100)]
    for arch in arches:
        text = dumps(arch, format)
        assert loads(text, format) == arch
        assert dumps(loads(text, format), format) == text


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_files_round_trip(tmp_path, suffix):
    arch = preset("efficientnet-b3")
    path = tmp_path / f"b3{suffix}"
    save(arch, path)
    assert load(path) == arch
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_document_layout_uses_block_strings():
    document = yaml.safe_load(dumps(preset("efficientnet-b0")))
    assert document["stages"][1] == "ir_r2_k3_s2_e6_c24_se0.25"
    assert list(document) == ["stages", "stem_channels", "head_channels", "resolution",
                              "num_classes", "dropout", "drop_path_rate", "activation"]


def good_document():
    return to_dict(preset("efficientnet-b0"))


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(colour="red"), "keys must be among stages, stem_channels"),
    (lambda d: d.pop("resolution"), "must give every field, but resolution is missing"),
    (lambda d: d.update(resolution="224"), "resolution must be an integer >= 1, but got '224'"),
    (lambda d: d.update(dropout=None), "dropout must be a number >= 0 and < 1, but got None"),
    (lambda d: d.update(stages="ir_r1_k3_s1_e1_c8"), "stages must be a non-empty list"),
    (lambda d: d["stages"].__setitem__(2, "ir_r2_k4_s2_e6_c40_se0.25"),
     "stage 3: block string 'ir_r2_k4_s2_e6_c40_se0.25': kernel_size must be an odd integer"),
])
def test_invalid_documents_are_rejected(edit, message):
    document = good_document()
    edit(document)
    with pytest.raises(ConfigError) as raised:
        loads(json.dumps(document), "json", source="b0.json")
    assert message in str(raised.value)
    assert str(raised.value).startswith("b0.json: ")


@pytest.mark.parametrize("text, format, message", [
    ("stages: [a, b\n", "yaml", "must be valid YAML"),
    ("!!python/object/apply:os.system ['echo hi']\n", "yaml", "must be valid YAML"),
    ('{"stages": [}', "json", "must be valid JSON"),
    ("- just\n- a list\n", "yaml", "config: item 0: block string 'just': block type must be"),
    ("- 1\n", "yaml", "config: item 0 must be a timm block string or a non-empty list of them"),
    ("42\n", "yaml", "must be a mapping of architecture fields (ours, or timm's with arch_def) "
                     "or a list of timm block strings, but got int"),
])
def test_unparseable_text_is_rejected(text, format, message):
    with pytest.raises(ConfigError) as raised:
        loads(text, format)
    assert message in str(raised.value)


def test_missing_and_directory_paths_are_rejected(tmp_path):
    with pytest.raises(ConfigError, match="must exist, but it was not found"):
        load(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="must be a file, but it is a directory"):
        load(tmp_path)


CN_CONFIGS = {
    "with residual": ("cn_r1_k3_s1_e1_c16_skip", True),
    "without residual": ("cn_r1_k3_s1_e1_c16", False),
}


@pytest.mark.parametrize("name", list(CN_CONFIGS))
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_cn_configs_round_trip(tmp_path, name, suffix):
    text, skip = CN_CONFIGS[name]
    arch = dataclasses.replace(EFFICIENTNET_B0, stem_channels=16,
                               stages=(decode(text), *EFFICIENTNET_B0.stages[1:]))
    path = tmp_path / f"cn{suffix}"
    save(arch, path)
    assert load(path) == arch and load(path).stages[0].skip is skip
    document = yaml.safe_load(path.read_text())  # JSON is YAML
    assert document["stages"][0] == text


def test_documents_are_told_apart_by_shape():
    ours = to_dict(EFFICIENTNET_B0)
    assert from_document(ours, source="b0") == EFFICIENTNET_B0
    timm = {"arch_def": [[text] for text in ours["stages"]]}
    assert from_document(timm, source="b0") == EFFICIENTNET_B0  # every other key defaults to B0
    assert from_document(ours["stages"], source="b0") == EFFICIENTNET_B0
    with pytest.raises(ConfigError, match="b0: keys must be among stages"):
        from_document({**ours, "input_size": [3, 224, 224]}, source="b0")  # ours stays strict
