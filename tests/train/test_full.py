import io

import pytest
import torch

from nas._errors import ConfigError
from nas.arch import EFFICIENTNET_B0, from_dict
from nas.data import load_data
from nas.model import build_model
from nas.space import load_space
from nas.train import FullTrainOptions, TrainConfig, load_checkpoint, train_full

TINY = load_space("tiny").baseline()


def options(tmp_path, out="run", **changes):
    train = TrainConfig(**{"epochs": 3, "threads": 1, "learning_rate": 0.2,
                           **changes.pop("train", {})})
    return FullTrainOptions(**{"arch": TINY, "name": "tiny", "resolution": 16,
                               "out": str(tmp_path / out), "train": train, **changes})


def test_result_records_config_flops_and_history(tmp_path):
    result = train_full(options(tmp_path))
    document = result.document
    assert [entry["epoch"] for entry in document["history"]] == [1, 2, 3]
    assert document["arch"]["num_classes"] == 10 and document["arch"]["resolution"] == 16
    assert "one fused multiply-add" in document["flop_unit"]
    assert document["target_flops"] == 4_288_672 and document["resolution"] == 16
    # 3 epochs of the tiny baseline at 16 px: 0.92 to 0.94 validation, 0.90 to 0.94 test
    # accuracy over seeds 0-2
    assert document["validation_accuracy"] > 0.85 and document["test_accuracy"] > 0.85
    saved = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert saved["epoch"] == 3 and saved["arch"] == document["arch"]
    # the test accuracy is the final model's on the held-out test split, not on validation
    model = build_model(from_dict(saved["arch"]))
    model.load_state_dict(saved["state_dict"])
    data = load_data("digits", resolution=16, seed=0, test=True)
    assert document["test_accuracy"] == accuracy(model, data, "test")
    assert document["validation_accuracy"] == accuracy(model, data, "validation")


def accuracy(model: torch.nn.Module, data, split: str) -> float:
    """Top-1 accuracy of ``model`` in eval mode on ``split``, in 256-image channels-last
    batches (as the trainer evaluates)."""
    images, labels = getattr(data, split)
    model = model.eval().to(memory_format=torch.channels_last)
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), 256):
            batch = data.normalise(images[start:start + 256])
            logits = model(batch.contiguous(memory_format=torch.channels_last))
            correct += int((logits.argmax(1) == labels[start:start + 256]).sum())
    return correct / len(labels)


def test_resume_continues_from_the_last_epoch_exactly(tmp_path):
    whole = train_full(options(tmp_path, out="whole"))

    def interrupt_after_first_epoch(entry, resolution):
        if entry.epoch == 1:
            raise KeyboardInterrupt  # as Ctrl-C during epoch 2 would

    with pytest.raises(KeyboardInterrupt):
        train_full(options(tmp_path, out="split"), on_epoch=interrupt_after_first_epoch)
    assert load_checkpoint(tmp_path / "split" / "checkpoint.pt")["epoch"] == 1
    resumed = train_full(options(tmp_path, out="split", resume=True))
    assert [e["epoch"] for e in resumed.document["history"]] == [1, 2, 3]
    for got, expected in zip(resumed.document["history"], whole.document["history"]):
        assert got["train_loss"] == expected["train_loss"]
        assert got["validation_accuracy"] == expected["validation_accuracy"]
    assert resumed.document["test_accuracy"] == whole.document["test_accuracy"]


def test_existing_checkpoint_is_not_overwritten_without_resume(tmp_path):
    train_full(options(tmp_path, train={"epochs": 1}))
    with pytest.raises(ConfigError, match="already exists: pass --resume"):
        train_full(options(tmp_path, train={"epochs": 1}))
    with pytest.raises(ConfigError, match="another architecture or training protocol"):
        train_full(options(tmp_path, train={"epochs": 1, "learning_rate": 0.1}, resume=True))


def test_freeze_features_trains_only_a_new_head(tmp_path):
    source = train_full(options(tmp_path, out="source", train={"epochs": 1}))
    before = load_checkpoint(source.path.parent / "checkpoint.pt")["state_dict"]
    digits_as_five_classes = options(tmp_path, out="frozen", init=str(
        source.path.parent / "checkpoint.pt"), freeze_features=True, train={"epochs": 2},
        data=_five_class_npz(tmp_path))
    tuned = train_full(digits_as_five_classes)
    after = load_checkpoint(tuned.path.parent / "checkpoint.pt")["state_dict"]
    assert after["classifier.weight"].shape == (5, 256)
    changed = [name for name in before if not name.startswith("classifier.")
               and not torch.equal(before[name], after[name])]
    assert changed == []  # weights and batch-norm statistics of the features are untouched


def _five_class_npz(tmp_path):
    import numpy
    from sklearn.datasets import load_digits
    digits = load_digits()
    keep = digits.target < 5
    path = tmp_path / "five.npz"
    numpy.savez(path, x_train=(digits.images[keep] * 16).astype(numpy.uint8),
                y_train=digits.target[keep])
    return f"npz:{path}"


def test_progressive_resolution_and_dropout_grow(tmp_path):
    result = train_full(options(tmp_path, progressive=(8, 16), train={"epochs": 3}))
    history = result.document["history"]
    assert [e["resolution"] for e in history] == [8, 12, 16]
    assert [e["dropout"] for e in history] == pytest.approx([0.05, 0.075, 0.1])


def test_init_rejects_checkpoints_that_are_not_state_dicts(tmp_path):
    path = tmp_path / "list.pt"
    torch.save([1, 2, 3], path)
    with pytest.raises(ConfigError, match="must hold a state dict"):
        train_full(options(tmp_path, init=str(path)))
    evil = tmp_path / "evil.pt"
    buffer = io.BytesIO()
    torch.save({"state_dict": {"x": torch.zeros(1)}, "obj": _Unsafe()}, buffer)
    evil.write_bytes(buffer.getvalue())
    with pytest.raises(ConfigError, match="loadable with weights_only=True"):
        train_full(options(tmp_path, init=str(evil)))
    with pytest.raises(ConfigError, match="must fit the architecture"):
        torch.save({"stem.0.weight": torch.zeros(1)}, tmp_path / "small.pt")
        train_full(options(tmp_path, init=str(tmp_path / "small.pt")))


class _Unsafe:
    pass


def test_digits_train_at_32_pixels_unless_told():
    """The 8×8 digits are not upsampled to the config's 224 px by default."""
    b0 = FullTrainOptions(arch=EFFICIENTNET_B0, name="b0")
    assert b0.data == "digits" and b0.final_resolution == 32
    assert FullTrainOptions(arch=EFFICIENTNET_B0, name="b0", resolution=64).final_resolution == 64
    assert FullTrainOptions(arch=EFFICIENTNET_B0, name="b0",
                            data="npz:x.npz").final_resolution == 224
