import optuna
import pytest
import yaml

from nas._errors import ConfigError
from nas.arch import encode, preset
from nas.space import SPACES_DIRECTORY, load_space, parse_space, space_names


def test_shipped_spaces():
    assert space_names() == ["efficientnet_b0", "efficientnetv2", "nasbench_macro", "tiny"]


@pytest.mark.parametrize("name", ["efficientnet_b0", "efficientnetv2", "tiny"])
def test_every_shipped_space_loads_and_round_trips_its_strings(name):
    space = load_space(name)
    document = yaml.safe_load((SPACES_DIRECTORY / f"{name}.yaml").read_text())
    for entry, stage in zip(document["stages"], space.stages):
        assert encode(stage.base) == entry["base"]
    assert space.baseline().stages == tuple(s.base for s in space.stages)


def test_b0_space_is_the_factorized_space_with_b0_as_baseline():
    space = load_space("efficientnet_b0")
    assert space.baseline() == preset("efficientnet-b0")
    assert (space.target_resolution, space.target_num_classes) == (224, 1000)
    parameters = space.parameters()
    assert parameters["stage3.kernel_size"] == (3, 5)
    assert parameters["stage3.expand_ratio"] == (1, 3, 4, 6)
    assert parameters["stage3.se_ratio"] == (0, 0.25)
    assert parameters["stage3.repeats"] == (1, 2, 3)
    assert parameters["stage1.repeats"] == (1, 2)  # base 1: 1 - 1 = 0 is not a layer count
    assert parameters["stage3.out_channels"] == (32, 40, 48)
    assert parameters["stage7.out_channels"] == (240, 320, 400)
    assert len(parameters) == 35 and "stage1.block_type" not in parameters


def test_v2_space_adds_block_type():
    space = load_space("efficientnetv2")
    assert space.parameters()["stage4.block_type"] == ("er", "ir")
    params = {**space.baseline_params(), "stage2.block_type": "er"}
    assert space.arch(params).stages[1].block_type == "er"


def test_sampling_through_optuna_gives_valid_architectures():
    space = load_space("efficientnetv2")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        trial = study.ask()
        arch = space.sample(trial)
        assert set(trial.params) == set(space.parameters())
        values = space.values(trial.params)
        assert all(value in space.parameters()[name] for name, value in values.items())
        assert space.arch(values) == arch
        assert space.trial_params(values) == trial.params
        study.tell(trial, 0.0)
    kinds = {name: type(distribution).__name__
             for name, distribution in study.trials[0].distributions.items()}
    assert kinds["stage3.kernel_size"] == kinds["stage3.expand_ratio"] == "IntDistribution"
    assert kinds["stage4.block_type"] == "CategoricalDistribution"  # no order to use
    # index 0 is the smallest choice: the order is the values' order
    assert space.values({"stage3.expand_ratio": 0, "stage3.kernel_size": 1}) == {
        "stage3.expand_ratio": space.parameters()["stage3.expand_ratio"][0],
        "stage3.kernel_size": space.parameters()["stage3.kernel_size"][1]}


def test_mbconv_with_expand_ratio_one_is_written_ds():
    space = load_space("efficientnet_b0")
    params = {**space.baseline_params(), "stage4.expand_ratio": 1}
    assert space.arch(params).stages[3].block_type == "ds"


def test_a_missing_or_foreign_parameter_value_is_an_error():
    space = load_space("efficientnet_b0")
    params = space.baseline_params()
    del params["stage3.kernel_size"]
    with pytest.raises(ConfigError) as raised:
        space.arch(params)
    assert str(raised.value) == ("efficientnet_b0: parameter stage3.kernel_size must be given "
                                 "(one of [3, 5]), but it is missing")
    with pytest.raises(ConfigError, match=r"efficientnet_b0: parameter stage3.kernel_size must "
                                          r"be one of \[3, 5\], but got 7"):
        space.arch({**space.baseline_params(), "stage3.kernel_size": 7})


def document(**changes):
    base = yaml.safe_load((SPACES_DIRECTORY / "tiny.yaml").read_text())
    base.update(changes)
    return base


@pytest.mark.parametrize("changes, message", [
    (dict(colour="red"), "keys must be among"),
    (dict(target={"resolution": 64}), "target must be a mapping of resolution and num_classes"),
    (dict(target={"resolution": 0, "num_classes": 10}), "target.resolution must be an integer"),
    (dict(stages=[]), "stages must be a non-empty list"),
    (dict(stages=[{"base": "ir_r1_k4_s1_e3_c16"}]), "stage 1: block string"),
    (dict(stages=[{"base": "ir_r1_k3_s1_e3_c16", "kernel": [3]}]), "stage 1: keys must be among"),
    (dict(stages=[{"base": "ir_r1_k7_s1_e3_c16"}]), "baseline must be a member"),
    (dict(stages=[{"base": "ir_r1_k3_s1_e3_c16", "kernel_size": [3, 4]}]),
     "kernel_size choice 4: kernel_size must be an odd integer >= 1, but got 4"),
    (dict(stages=[{"base": "ir_r1_k3_s1_e3_c16", "block_type": ["mb"]}]),
     "block_type choices must be ir (MBConv) or er"),
    (dict(stages=[{"base": "ir_r1_k3_s1_e3_c16", "se_ratio": []}]),
     "se_ratio must be a non-empty list"),
    (dict(network={"stem_channels": 16, "activation": "gelu"}), "activation must be one of"),
])
def test_invalid_spaces_are_rejected(changes, message):
    with pytest.raises(ConfigError) as raised:
        parse_space(document(**changes), source="space.yaml")
    assert message in str(raised.value)


def test_fingerprint_follows_content_not_comments():
    first = parse_space(document(), source="a")
    assert parse_space(document(description="other words"), source="b").fingerprint == \
        first.fingerprint
    changed = document()
    changed["choices"]["kernel_size"] = [3, 5, 7]
    assert parse_space(changed, source="c").fingerprint != first.fingerprint


def test_unknown_space_name_is_a_clear_error():
    with pytest.raises(ConfigError, match="search space must be a shipped name"):
        load_space("nonexistent")


def test_a_cn_stage_searches_kernel_layers_and_channels_only():
    changed = document()
    changed["stages"][0] = {"base": "cn_r1_k3_s1_e1_c16_skip", "block_type": ["cn"]}
    space = parse_space(changed, source="space.yaml")
    assert [name for name in space.parameters() if name.startswith("stage1.")] == [
        "stage1.kernel_size", "stage1.repeats", "stage1.out_channels"]
    params = {**space.baseline_params(), "stage1.kernel_size": 5, "stage1.out_channels": 8}
    assert encode(space.arch(params).stages[0]) == "cn_r1_k5_s1_e1_c8_skip"
    assert encode(space.baseline().stages[0]) == "cn_r1_k3_s1_e1_c16_skip"


@pytest.mark.parametrize("stage, message", [
    ({"base": "cn_r1_k3_s1_e1_c16_skip", "block_type": ["cn", "er"]},
     "stage 1: block_type choices may hold cn (plain conv) only alone, since it has no "
     "expand_ratio or se_ratio to share with ir and er"),
    ({"base": "cn_r1_k3_s1_e1_c16_skip", "block_type": ["cn"], "expand_ratio": [1, 4]},
     "stage 1: expand_ratio choices must be [1] for a cn stage (a plain conv has no expansion), "
     "but got [1, 4]"),
    ({"base": "cn_r1_k3_s1_e1_c16_skip", "block_type": ["cn"], "se_ratio": [0.25]},
     "se_ratio choices must be [0] for a cn stage"),
    ({"base": "cn_r1_k3_s1_e1_c16_skip"}, "the base's block_type 'cn' must be one of the choices"),
])
def test_cn_among_other_block_types_is_refused(stage, message):
    changed = document()
    changed["stages"][0] = stage
    with pytest.raises(ConfigError) as raised:
        parse_space(changed, source="space.yaml")
    assert message in str(raised.value)
