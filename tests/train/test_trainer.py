import dataclasses
import math

import pytest
import torch

from nas._errors import ConfigError
from nas.arch import EFFICIENTNET_B0, decode
from nas.data import load_data
from nas.model import build_model
from nas.train import TrainConfig, Trainer, TrainingError, fit, steps_per_epoch

SMALL = dataclasses.replace(EFFICIENTNET_B0, stages=(decode("ds_r1_k3_s1_e1_c16"),
                                                     decode("ir_r2_k3_s2_e3_c24_se0.25")),
                            stem_channels=16, head_channels=64, resolution=16, num_classes=10)


@pytest.fixture(scope="module")
def digits16():
    return load_data("digits", resolution=16, seed=0)


def test_fit_learns_digits_and_reports_every_epoch(digits16):
    torch.manual_seed(0)
    seen = []
    result = fit(build_model(SMALL), digits16,
                 TrainConfig(epochs=5, threads=1, learning_rate=0.2), on_epoch=seen.append)
    assert [entry.epoch for entry in seen] == [1, 2, 3, 4, 5]
    assert result.accuracy > 0.85
    assert seen[-1].validation_accuracy > seen[0].validation_accuracy
    assert 0 < result.timing.compute_seconds <= result.timing.total_seconds
    assert result.timing.images == 5 * steps_per_epoch(digits16, 64) * 64


@pytest.mark.parametrize("changes", [dict(optimizer="rmsprop", learning_rate=0.002),
                                     dict(schedule="onecycle"), dict(channels_last=False),
                                     dict(amp=True), dict(augment=False)])
def test_protocol_variants_train(digits16, changes):
    torch.manual_seed(0)
    config = TrainConfig(**{"epochs": 2, "threads": 1, "learning_rate": 0.2, **changes})
    result = fit(build_model(SMALL), digits16, config)
    assert result.accuracy > 0.3


def test_same_seed_same_result(digits16):
    def once():
        torch.manual_seed(7)
        return fit(build_model(SMALL), digits16, TrainConfig(epochs=1, threads=1, seed=7))
    assert once().history[0].train_loss == once().history[0].train_loss


def test_nan_loss_raises_training_error(digits16):
    model = build_model(SMALL)
    with torch.no_grad():
        model.classifier.weight.fill_(math.nan)
    with pytest.raises(TrainingError, match="loss became nan"):
        fit(model, digits16, TrainConfig(epochs=1, threads=1))


def test_evaluate_on_test_split_and_missing_cuda():
    from tests.conftest import CIFAR_NPZ
    data = load_data(f"npz:{CIFAR_NPZ}", resolution=16, train_size=200)
    trainer = Trainer(build_model(SMALL), TrainConfig(threads=1), steps_per_epoch=1)
    assert 0 <= trainer.evaluate(data, "test") <= 1
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="torch sees no CUDA device"):
            Trainer(build_model(SMALL), TrainConfig(device="cuda"), steps_per_epoch=1)


@pytest.mark.parametrize("changes, message", [
    (dict(epochs=0), "epochs must be an integer >= 1"),
    (dict(optimizer="adam"), "optimizer must be one of sgd, rmsprop"),
    (dict(label_smoothing=1.0), "label_smoothing must be a number >= 0 and < 1"),
    (dict(device="tpu"), "device must be cpu, cuda or cuda:N"),
])
def test_train_config_validation(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**changes)
