"""The EfficientNet recipe: TF's RMSprop, the moving average of the weights (what is evaluated
and saved), crops and RandAugment on the device, and --recipe efficientnet end to end."""

import dataclasses
import json

import pytest
import torch

from nas.arch import save
from nas.data import load_data
from nas.model import build_model
from nas.space import load_space
from nas.train import (
    RMSpropTF, TrainConfig, apply_recipe, centre_crop, exponential_moving_average,
    load_checkpoint, train_full,
)
from tests.train.test_full import TINY, options


def test_rmsprop_tf_follows_tensorflow_by_hand():
    weight = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    optimizer = RMSpropTF([weight], lr=0.1, alpha=0.9, eps=1e-3, momentum=0.5)
    square, momentum, expected = torch.ones(2), torch.zeros(2), torch.tensor([1.0, -2.0])
    for gradient in (torch.tensor([0.5, 3.0]), torch.tensor([-1.0, 0.2])):
        weight.grad = gradient.clone()
        optimizer.step()
        square = 0.9 * square + 0.1 * gradient ** 2  # starts at 1, not 0
        momentum = 0.5 * momentum + 0.1 * gradient / torch.sqrt(square + 1e-3)
        expected = expected - momentum
        assert torch.allclose(weight.detach(), expected, atol=1e-7)
    # torch's RMSprop (mean square from 0, eps outside the root) takes another path
    other = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    reference = torch.optim.RMSprop([other], lr=0.1, alpha=0.9, eps=1e-3, momentum=0.5)
    for gradient in (torch.tensor([0.5, 3.0]), torch.tensor([-1.0, 0.2])):
        other.grad = gradient.clone()
        reference.step()
    assert not torch.allclose(other.detach(), weight.detach(), atol=1e-3)


def test_moving_average_uses_the_tensorflow_warm_up():
    model = torch.nn.Linear(1, 1, bias=False)
    average = exponential_moving_average(model, decay=0.99)
    expected = None
    for step, value in enumerate([1.0, 3.0, 5.0, 2.0]):
        model.weight.data.fill_(value)
        average.update_parameters(model)
        if expected is None:
            expected = value  # the first update copies the weights
        else:
            rate = min(0.99, (1 + step) / (10 + step))  # updates so far: step
            expected = expected * rate + value * (1 - rate)
        assert average.module.weight.item() == pytest.approx(expected, rel=1e-6)


def test_centre_crop_takes_the_middle():
    images = torch.arange(2 * 3 * 8 * 8).view(2, 3, 8, 8)
    assert torch.equal(centre_crop(images, 6), images[..., 1:7, 1:7])


def test_apply_recipe_keeps_what_was_given():
    config = apply_recipe(TrainConfig(batch_size=128, optimizer="sgd"), "efficientnet",
                          given={"optimizer"})
    assert config.optimizer == "sgd" and config.learning_rate == pytest.approx(0.008)
    assert (config.ema_decay, config.policy, config.random_resized_crop, config.eval_crop,
            config.amp) == (0.9999, "randaugment", True, 0.875, True)
    # a recipe field at its "off" value leaves the identity of proxy studies unchanged
    assert "ema_decay" not in TrainConfig().identity()
    assert TrainConfig(ema_decay=0.9).identity()["ema_decay"] == 0.9


def test_moving_average_is_what_is_evaluated_and_saved(tmp_path):
    recipe = {"epochs": 2, "ema_decay": 0.9, "policy": "randaugment",
              "random_resized_crop": True, "eval_crop": 0.875}
    result = train_full(options(tmp_path, train=recipe))
    document = result.document
    assert document["evaluated_weights"] == "exponential moving average"
    saved = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    averaged, raw = saved["state_dict"], saved["raw_state_dict"]
    assert not torch.equal(averaged["classifier.weight"], raw["classifier.weight"])
    # data stored at round(16 / 0.875) = 18 px, evaluated on the central 16
    data = load_data("digits", resolution=18, seed=0, test=True)

    def accuracy_of(state) -> float:
        model = build_model(dataclasses.replace(TINY, resolution=16, num_classes=10))
        model.load_state_dict(state)
        model.eval()
        images, labels = data.validation
        with torch.no_grad():
            logits = model(data.normalise(centre_crop(images, 16)))
        return int((logits.argmax(1) == labels).sum()) / len(labels)  # exact, as the run counts

    assert document["validation_accuracy"] == pytest.approx(accuracy_of(averaged), abs=1e-9)
    assert accuracy_of(averaged) != accuracy_of(raw)


def test_recipe_run_resumes_exactly(tmp_path):
    recipe = {"epochs": 3, "ema_decay": 0.9, "policy": "randaugment",
              "random_resized_crop": True, "eval_crop": 0.875, "optimizer": "rmsprop_tf",
              "learning_rate": 0.01}
    whole = train_full(options(tmp_path, out="whole", train=recipe))

    def interrupt(entry, resolution):
        if entry.epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_full(options(tmp_path, out="split", train=recipe), on_epoch=interrupt)
    resumed = train_full(options(tmp_path, out="split", train=recipe, resume=True))
    assert [e["validation_accuracy"] for e in resumed.document["history"]] == \
        [e["validation_accuracy"] for e in whole.document["history"]]
    for name, tensor in load_checkpoint(tmp_path / "whole" / "checkpoint.pt")[
            "state_dict"].items():
        assert torch.equal(tensor, load_checkpoint(tmp_path / "split" / "checkpoint.pt")[
            "state_dict"][name]), name


def test_nas_train_recipe_efficientnet_on_tiny_data(cli, tmp_path):
    save(load_space("tiny").baseline(), tmp_path / "tiny.yaml")
    result = cli("train", "tiny.yaml", "--recipe", "efficientnet", "--resolution", "16",
                 "--epochs", "2", "--batch-size", "32", "--threads", "1", "--optimizer", "sgd",
                 "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    protocol = document["protocol"]
    assert protocol["optimizer"] == "sgd"  # given, so kept
    assert protocol["learning_rate"] == pytest.approx(0.016 * 32 / 256)
    assert (protocol["ema_decay"], protocol["policy"], protocol["random_resized_crop"],
            protocol["eval_crop"], protocol["amp"], protocol["drop_path_rate"]) == \
        (0.9999, "randaugment", True, 0.875, True, 0.2)
    assert document["evaluated_weights"] == "exponential moving average"
    assert document["arch"]["drop_path_rate"] == 0.2 and document["resolution"] == 16


def test_recipe_sees_options_given_in_either_form(cli, tmp_path):
    """--no-amp and --lr=… beside --recipe win; abbreviations are refused (one line, exit 2)."""
    save(load_space("tiny").baseline(), tmp_path / "tiny.yaml")
    result = cli("train", "tiny.yaml", "--recipe", "efficientnet", "--resolution", "8",
                 "--epochs", "1", "--threads", "1", "--no-amp", "--lr=0.3", "--json")
    assert result.returncode == 0, result.stderr
    protocol = json.loads(result.stdout)["protocol"]
    assert (protocol["amp"], protocol["learning_rate"], protocol["optimizer"]) == \
        (False, 0.3, "rmsprop_tf")
    refused = cli("train", "tiny.yaml", "--recipe", "efficientnet", "--ema", "0.5")
    assert refused.returncode == 2 and "unrecognized arguments: --ema" in refused.stderr
