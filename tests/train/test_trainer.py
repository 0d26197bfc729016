import dataclasses
import math

import numpy
import pytest
import torch

from nas._errors import ConfigError
from nas.arch import EFFICIENTNET_B0, decode
from nas.data import load_data
from nas.model import build_model
from nas.train import TrainConfig, Trainer, TrainingError, fit, flips, steps_per_epoch

SMALL = dataclasses.replace(EFFICIENTNET_B0, stages=(decode("ds_r1_k3_s1_e1_c16"),
                                                     decode("ir_r2_k3_s2_e3_c24_se0.25")),
                            stem_channels=16, head_channels=64, resolution=16, num_classes=10)


@pytest.fixture(scope="module")
def digits16():
    return load_data("digits", resolution=16, seed=0)


def accuracy_by_hand(model: torch.nn.Module, data, split: str) -> float:
    """Top-1 accuracy of ``model`` in eval mode on ``split``, in the trainer's 256-image
    batches."""
    images, labels = getattr(data, split)
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), 256):
            logits = model(data.normalise(images[start:start + 256]))
            correct += int((logits.argmax(1) == labels[start:start + 256]).sum())
    return correct / len(labels)


def test_fit_learns_digits_and_reports_every_epoch(digits16):
    torch.manual_seed(0)
    seen = []
    result = fit(build_model(SMALL), digits16,
                 TrainConfig(epochs=8, threads=1, learning_rate=0.2), on_epoch=seen.append)
    assert [entry.epoch for entry in seen] == list(range(1, 9))
    # a tiny B0-like net beats 85 % on the digits in 8 epochs (0.92 to 0.95 over seeds 0-3)
    assert result.accuracy > 0.85
    assert seen[-1].train_loss < seen[0].train_loss
    assert 0 < result.timing.compute_seconds <= result.timing.total_seconds
    assert result.timing.images == 8 * steps_per_epoch(digits16, 64) * 64


@pytest.mark.parametrize("changes", [dict(optimizer="rmsprop", learning_rate=0.002),
                                     dict(schedule="onecycle"), dict(channels_last=False),
                                     dict(amp=True), dict(augment=False)])
def test_protocol_variants_train(digits16, changes):
    torch.manual_seed(0)
    config = TrainConfig(**{"epochs": 4, "threads": 1, "learning_rate": 0.2, **changes})
    result = fit(build_model(SMALL), digits16, config)
    # chance is 0.1; each variant reaches 0.69 to 0.93 in 4 epochs (seeds 0-3)
    assert result.accuracy > 0.6


def test_same_seed_reproduces_validation_accuracy_exactly(digits16):
    def once(seed: int):
        torch.manual_seed(seed)
        config = TrainConfig(epochs=2, threads=1, learning_rate=0.2, seed=seed)
        return [(entry.train_loss, entry.validation_accuracy)
                for entry in fit(build_model(SMALL), digits16, config).history]

    first = once(7)
    assert once(7) == first
    assert once(8) != first


def test_evaluate_runs_the_model_in_eval_mode(digits16):
    torch.manual_seed(0)
    model = build_model(SMALL)
    config = TrainConfig(threads=1, learning_rate=0.2, channels_last=False)
    trainer = Trainer(model, config, steps_per_epoch=steps_per_epoch(digits16, 64))
    trainer.train_epoch(digits16)  # running statistics now differ from any batch's own
    buffers = {name: buffer.clone() for name, buffer in model.named_buffers()}
    first = trainer.evaluate(digits16)
    assert trainer.evaluate(digits16) == first
    for name, buffer in model.named_buffers():  # batch norm neither learned nor counted
        assert torch.equal(buffer, buffers[name]), name
    assert first == accuracy_by_hand(model, digits16, "validation")


def test_evaluate_on_the_test_split():
    from tests.conftest import cifar_npz
    data = load_data(f"npz:{cifar_npz()}", resolution=16, train_size=200, test=True)
    torch.manual_seed(0)
    model = build_model(dataclasses.replace(SMALL, num_classes=10))
    trainer = Trainer(model, TrainConfig(threads=1, channels_last=False),
                      steps_per_epoch=steps_per_epoch(data, 64))
    trainer.train_epoch(data)
    assert trainer.evaluate(data, "test") == accuracy_by_hand(model, data, "test")
    assert trainer.evaluate(data) == accuracy_by_hand(model, data, "validation")


def test_missing_cuda_is_a_config_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ConfigError, match="torch sees no CUDA device"):
        Trainer(build_model(SMALL), TrainConfig(device="cuda"), steps_per_epoch=1)


def test_nan_loss_raises_training_error_naming_the_epoch(digits16):
    model = build_model(SMALL)
    with torch.no_grad():
        model.classifier.weight.fill_(math.nan)
    with pytest.raises(TrainingError, match="loss became nan in epoch 1;"):
        fit(model, digits16, TrainConfig(epochs=2, threads=1))


def test_loss_turning_nan_later_names_that_epoch(digits16):
    model = build_model(SMALL)

    def poison(entry):
        with torch.no_grad():
            model.classifier.bias.fill_(math.inf)

    with pytest.raises(TrainingError, match="in epoch 2;"):
        fit(model, digits16, TrainConfig(epochs=3, threads=1), on_epoch=poison)


def grayscale_and_colour(tmp_path):
    rng = numpy.random.default_rng(0)
    grey = rng.integers(0, 256, (40, 8, 8), numpy.uint8)
    numpy.savez(tmp_path / "grey.npz", x_train=grey, y_train=numpy.arange(40) % 2)
    numpy.savez(tmp_path / "colour.npz", x_train=rng.integers(0, 256, (40, 8, 8, 3), numpy.uint8),
                y_train=numpy.arange(40) % 2)
    return (load_data(f"npz:{tmp_path / 'grey.npz'}", resolution=8),
            load_data(f"npz:{tmp_path / 'colour.npz'}", resolution=8))


def test_flips_only_colour_photographs_by_default(tmp_path, digits16):
    grey, colour = grayscale_and_colour(tmp_path)
    automatic = TrainConfig()
    assert (flips(automatic, grey), flips(automatic, colour)) == (False, True)
    assert flips(automatic, digits16) is False
    forced_on, forced_off = TrainConfig(flip=True), TrainConfig(flip=False)
    assert (flips(forced_on, grey), flips(forced_off, colour)) == (True, False)
    assert flips(TrainConfig(augment=False, flip=True), colour) is False


@pytest.mark.parametrize("changes, message", [
    (dict(epochs=0), "epochs must be an integer >= 1"),
    (dict(optimizer="adam"), "optimizer must be one of sgd, rmsprop"),
    (dict(label_smoothing=1.0), "label_smoothing must be a number >= 0 and < 1"),
    (dict(device="tpu"), "device must be cpu, cuda or cuda:N"),
    (dict(flip="yes"), "flip must be true, false or None"),
])
def test_train_config_validation(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**changes)


def test_resume_without_a_saved_scaler_keeps_a_fresh_enabled_one(digits16):
    """A CPU --amp run (bfloat16, no loss scaler: its state is empty) resumed where float16
    needs a scaler (CUDA) goes on with a fresh scaler instead of failing on the empty state."""
    config = TrainConfig(epochs=1, amp=True, threads=1)
    saved = Trainer(build_model(SMALL), config, steps_per_epoch=4).state_dict()
    assert saved["scaler"] == {}
    resumed = Trainer(build_model(SMALL), config, steps_per_epoch=4)
    resumed.scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10)
    resumed.load_state_dict(saved)
    assert resumed.scaler.is_enabled() and resumed.scaler.get_scale() == 2.0 ** 10
    # and a saved scaler state is restored where a scaler is in use
    source = Trainer(build_model(SMALL), config, steps_per_epoch=4)
    source.scaler = torch.amp.GradScaler("cpu", init_scale=64.0)
    resumed.load_state_dict(source.state_dict())
    assert resumed.scaler.get_scale() == 64.0


def test_loader_workers_read_a_folder_and_change_nothing(tmp_path, monkeypatch):
    """Batches read by 2 loader worker processes from the decode cache train exactly the
    network that batches read in the training process do."""
    from nas.data import DiskImages
    from tests.data.test_folder import write_images

    monkeypatch.setenv("NAS_CACHE_DIR", str(tmp_path / "cache"))
    root = write_images(tmp_path / "photos", per_class=16, size=20)
    data = load_data(f"folder:{root}", resolution=16, seed=0)
    assert isinstance(data.train[0], DiskImages)
    config = TrainConfig(epochs=2, batch_size=8, threads=1, seed=3)
    weights, accuracies = [], []
    for workers in (0, 2):
        torch.manual_seed(0)
        model = build_model(dataclasses.replace(SMALL, num_classes=3))
        fitted = fit(model, data, config, loader_workers=workers)
        accuracies.append([entry.validation_accuracy for entry in fitted.history])
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert accuracies[0] == accuracies[1]
    assert torch.equal(weights[0], weights[1])
    with pytest.raises(ConfigError, match="loader workers must be an integer >= 0"):
        Trainer(build_model(SMALL), config, steps_per_epoch=1, loader_workers=-1)
