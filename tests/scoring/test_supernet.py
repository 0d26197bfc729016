"""The weight-sharing supernet: its subnets, extraction, batch-norm recalibration, its file."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytest
import torch

from nas._errors import ConfigError
from nas.data import load_data
from nas.scoring import (Geometry, Supernet, evaluate, evaluate_accuracy, recalibrate_batch_norm,
                         score_inherited)
from nas.space import load_space

GEOMETRY = Geometry(resolution=16, width=0.5, strides_removed=1, num_classes=10)


def _perturb_statistics(supernet: Supernet) -> None:
    """Batch-norm statistics and scales far from their initial values, so that a wrong slice
    of any of them changes the outputs."""
    generator = torch.Generator().manual_seed(1)
    for module in supernet.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.normal_(generator=generator)
            module.running_var.uniform_(0.5, 2.0, generator=generator)
            module.weight.data.normal_(generator=generator)
            module.bias.data.normal_(generator=generator)


def _subnets(supernet: Supernet, count: int, seed: int):
    space, rng = supernet.space, numpy.random.default_rng(seed)
    randoms = [supernet.geometry.proxy(space.arch(space.random_params(rng))) for _ in range(count)]
    return [supernet.largest(), supernet.smallest(), *randoms]


@pytest.mark.parametrize("space_name", ["tiny", "efficientnetv2"])
def test_extracted_network_computes_what_the_supernet_computes_for_that_subnet(space_name):
    torch.manual_seed(0)
    # no 1x1 feature maps: batch norm in training mode over a handful of values per channel
    # would amplify float rounding beyond any tolerance
    geometry = GEOMETRY if space_name == "tiny" else Geometry(
        resolution=64, width=0.25, strides_removed=0, num_classes=10)
    supernet = Supernet(load_space(space_name), geometry)
    _perturb_statistics(supernet)
    images = torch.randn(4, 3, geometry.resolution, geometry.resolution)
    subnets = _subnets(supernet, 6, seed=0)
    assert len({str(arch) for arch in subnets}) == len(subnets)
    if space_name == "efficientnetv2":  # both block types occur among the subnets
        assert {stage.block_type for arch in subnets for stage in arch.stages} >= {"ir", "er"}
    for arch in subnets:
        extracted = supernet.extract(arch)
        assert type(extracted).__name__ == "EfficientNet" and extracted.arch == arch
        supernet.eval(), extracted.eval()
        with torch.no_grad():
            torch.testing.assert_close(extracted(images), supernet(images, arch),
                                       rtol=1e-5, atol=1e-5)
        # training mode: batch statistics, the same dropout draw; the supernet has no
        # stochastic depth, so the comparison is with a subnet without it
        plain = dataclasses.replace(arch, drop_path_rate=0.0)
        extracted = supernet.extract(plain).train()
        supernet.train()
        torch.manual_seed(5)
        expected = supernet(images, plain)
        torch.manual_seed(5)
        torch.testing.assert_close(extracted(images), expected, rtol=1e-4, atol=1e-4)


def test_subnets_share_leading_channels_and_the_centre_of_the_largest_kernel():
    supernet = Supernet(load_space("tiny"), GEOMETRY)
    arch = supernet.smallest()
    extracted = supernet.extract(arch)
    block = extracted.stages[1][0]  # ds block: depthwise 3x3 of the supernet's 5x5
    shared = supernet.stages[1][0]["ds"].depthwise[0].weight
    channels = block.depthwise[0].weight.shape[0]
    assert block.depthwise[0].kernel_size == (3, 3) and shared.shape[-1] == 5
    torch.testing.assert_close(block.depthwise[0].weight, shared[:channels, :, 1:4, 1:4])
    # the copy is a copy: changing the extracted network leaves the supernet as it was
    with torch.no_grad():
        block.depthwise[0].weight.zero_()
    assert shared.abs().sum() > 0


def test_a_network_outside_the_space_is_refused():
    supernet = Supernet(load_space("tiny"), GEOMETRY)
    largest = supernet.largest()
    too_wide = dataclasses.replace(largest.stages[0], kernel_size=7)
    arch = dataclasses.replace(largest, stages=(too_wide, *largest.stages[1:]))
    with pytest.raises(ConfigError, match="stage 1 of a subnet must have kernel_size at most 5"):
        supernet.extract(arch)
    with pytest.raises(ConfigError, match="must have 4 stages, but got 2"):
        supernet.extract(dataclasses.replace(largest, stages=largest.stages[:2]))


@pytest.fixture(scope="module")
def digits16():
    return load_data("digits", resolution=16, seed=0, validation_fraction=0.2, test=False)


def test_recalibration_replaces_statistics_by_the_calibration_images_average(digits16):
    torch.manual_seed(0)
    supernet = Supernet(load_space("tiny"), GEOMETRY)
    _perturb_statistics(supernet)  # stale shared statistics
    model = supernet.extract(supernet.largest())
    inputs = []
    first_norm = model.stem[1]

    def record(module, args, output) -> None:
        inputs.append(args[0].detach().clone())

    first_norm.register_forward_hook(record)
    recalibrate_batch_norm(model, digits16, images=128, batch_size=64, seed=3)
    assert not model.training and first_norm.momentum == 0.1
    seen = torch.cat(inputs)  # the stem's batch-norm inputs, 2 x 64 images
    assert seen.shape[0] == 128
    torch.testing.assert_close(first_norm.running_mean, seen.mean((0, 2, 3)),
                               rtol=1e-4, atol=1e-5)
    # the statistics come from the images, not from the supernet's stale ones
    again = supernet.extract(supernet.largest())
    for module in supernet.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.reset_running_stats()
    clean = supernet.extract(supernet.largest())
    recalibrate_batch_norm(again, digits16, images=128, batch_size=64, seed=3)
    recalibrate_batch_norm(clean, digits16, images=128, batch_size=64, seed=3)
    for left, right in zip(again.state_dict().values(), clean.state_dict().values()):
        torch.testing.assert_close(left, right)


def test_inherited_score_is_deterministic_for_a_seed(digits16):
    torch.manual_seed(0)
    space = load_space("tiny")
    supernet = Supernet(space, GEOMETRY)
    target = space.baseline()
    first = score_inherited(supernet, target, digits16, seed=1, calibration_images=128)
    second = score_inherited(supernet, target, digits16, seed=1, calibration_images=128)
    assert first.accuracy == second.accuracy and 0 <= first.accuracy <= 1
    assert first.proxy_params == sum(
        p.numel() for p in supernet.extract(GEOMETRY.proxy(target)).parameters())


def test_evaluation_gives_accuracy_loss_and_true_class_probability_of_the_split(digits16):
    torch.manual_seed(0)
    supernet = Supernet(load_space("tiny"), GEOMETRY)
    model = recalibrate_batch_norm(supernet.extract(supernet.largest()), digits16, images=128)
    result = evaluate(model, digits16)
    images, labels = digits16.validation
    with torch.no_grad():
        logits = model(digits16.normalise(images))
    assert result.accuracy == int((logits.argmax(1) == labels).sum()) / len(labels)
    assert result.accuracy == evaluate_accuracy(model, digits16)
    assert result.loss == pytest.approx(float(torch.nn.functional.cross_entropy(logits, labels)),
                                        rel=1e-5)
    assert result.correct_probability == pytest.approx(
        float(logits.softmax(1)[torch.arange(len(labels)), labels].mean()), rel=1e-5)
    score = score_inherited(supernet, load_space("tiny").arch(
        load_space("tiny").random_params(numpy.random.default_rng(0))), digits16)
    assert score.loss > 0 and 0 < score.correct_probability < 1


CN_SPACE = """
name: with-cn
description: a plain-conv stage without residual, then MBConv
target: {resolution: 32, num_classes: 10}
network: {stem_channels: 16, head_channels: 64, dropout: 0.0, drop_path_rate: 0.0,
          activation: swish}
choices:
  block_type: [ir]
  kernel_size: [3]
  expand_ratio: [1, 3]
  se_ratio: [0]
  repeats_delta: [0, 1]
  width_multiplier: [1.0]
stages:
  - base: cn_r2_k3_s1_e1_c16
    block_type: [cn]
  - base: ir_r1_k3_s2_e3_c24
"""


def test_stages_without_residual_learn_from_the_start(tmp_path):
    (tmp_path / "with-cn.yaml").write_text(CN_SPACE)
    space = load_space(str(tmp_path / "with-cn.yaml"))
    torch.manual_seed(0)
    supernet = Supernet(space, Geometry(resolution=16, width=1.0, strides_removed=0,
                                        num_classes=10))
    largest = supernet.largest()
    assert largest.stages[0].block_type == "cn" and not largest.stages[0].skip
    logits = supernet(torch.randn(4, 3, 16, 16), largest)
    assert logits.abs().sum() > 0
    logits.sum().backward()
    second_block = supernet.stages[0][1]["cn"]
    assert second_block.conv[0].weight.grad.abs().sum() > 0


def test_an_mbconv_without_expansion_uses_the_ds_weights_however_it_is_written():
    supernet = Supernet(load_space("tiny"), GEOMETRY)
    smallest = supernet.smallest()
    as_ir = dataclasses.replace(smallest, stages=tuple(
        dataclasses.replace(stage, block_type="ir") if stage.block_type == "ds" else stage
        for stage in smallest.stages))
    assert as_ir != smallest
    images = torch.randn(2, 3, 16, 16)
    supernet.eval()
    with torch.no_grad():
        torch.testing.assert_close(supernet(images, as_ir), supernet(images, smallest))
        torch.testing.assert_close(supernet.extract(as_ir).eval()(images),
                                   supernet(images, smallest))


def test_torchrun_trains_one_supernet_in_two_processes(tmp_path):
    """torchrun --nproc-per-node 2 -m nas supernet: each process trains on its share of every
    batch (3 steps of 64 images each, where one process takes 6), rank 0 alone writes the file
    (world_size 2) and prints; a resume with another number of processes is one line."""
    from nas.scoring import load_supernet
    from tests.conftest import ROOT, run_cli_here

    arguments = ["supernet", "--space", "tiny", "--data", "digits", "--epochs", "1",
                 "--train-size", "400", "--proxy-resolution", "16", "--lr", "0.2",
                 "--threads", "1", "--study", "sn"]
    torchrun = Path(sys.executable).parent / "torchrun"
    result = subprocess.run([str(torchrun), "--standalone", "--nproc-per-node", "2", "-m", "nas",
                             *arguments, "--json"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    document = json.loads(result.stdout)  # one document: rank 1 printed nothing
    assert (document["world_size"], document["epochs_done"]) == (2, 1)
    file = load_supernet(tmp_path / "studies" / "sn" / "supernet.pt")
    assert file.world_size == 2 and file.history == document["history"]
    # 400 training images, 200 per process: 3 steps of 64 (one process: 6)
    assert file.trainer_state["schedule"]["last_epoch"] == 3
    refused = run_cli_here(*arguments, "--resume", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith("must use as many processes as trained "
                                           "'studies/sn/supernet.pt': 2, but got 1")
