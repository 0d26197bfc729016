import json
import random

import pytest
import yaml

from nas._errors import ConfigError
from nas.arch import PRESET_NAMES, dumps, load, loads, preset, save, to_dict
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
    ("- just\n- a list\n", "yaml", "must be a mapping of architecture fields, but got list"),
])
def test_unparseable_text_is_rejected(text, format, message):
    with pytest.raises(ConfigError, match=message):
        loads(text, format)


def test_missing_and_directory_paths_are_rejected(tmp_path):
    with pytest.raises(ConfigError, match="must exist, but it was not found"):
        load(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="must be a file, but it is a directory"):
        load(tmp_path)
