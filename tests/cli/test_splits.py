"""Selection and reporting stay apart: search and scaling never read the test split, and
`nas train` reports validation and test accuracy separately."""

import json

import numpy
from sklearn.datasets import load_digits

from nas.arch import save
from nas.space import load_space

TRAIN = ["--epochs", "1", "--threads", "1", "--train-size", "300"]


def write_digits_npz(path, *, broken_test: bool) -> None:
    """Digits in Keras' npz layout; with ``broken_test`` its x_test holds NaN, which any reader
    of the test split must refuse."""
    digits = load_digits()
    images = (digits.images * 15).astype(numpy.uint8)
    x_test = images[:100].astype(numpy.float32)
    if broken_test:
        x_test[:] = numpy.nan
    numpy.savez(path, x_train=images[100:], y_train=digits.target[100:], x_test=x_test,
                y_test=digits.target[:100])


def test_search_and_scale_never_read_the_test_split(cli, tmp_path):
    write_digits_npz(tmp_path / "d.npz", broken_test=True)
    save(load_space("tiny").baseline(), tmp_path / "tiny.yaml")
    search = cli("search", "--space", "tiny", "--flops", "5M", "--slack", "4", "--prescreen", "0",
                 "--data", "npz:d.npz", "--trials", "2", "--json", *TRAIN)
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)["trials"]["complete"] == 2
    scale = cli("scale", "--base", "tiny.yaml", "--step", "0.5", "--data", "npz:d.npz", *TRAIN)
    assert scale.returncode == 0, scale.stderr
    # the same file is refused the moment something does read its test split
    train = cli("train", "tiny.yaml", "--data", "npz:d.npz", "--resolution", "16", *TRAIN)
    assert train.returncode == 2 and "x_test" in train.stderr and "finite" in train.stderr
    assert len(train.stderr.strip().splitlines()) == 1


def test_train_reports_validation_and_test_accuracy_separately(cli, tmp_path):
    write_digits_npz(tmp_path / "d.npz", broken_test=False)
    save(load_space("tiny").baseline(), tmp_path / "tiny.yaml")
    result = cli("train", "tiny.yaml", "--data", "npz:d.npz", "--resolution", "16", "--out",
                 "run", "--json", *TRAIN)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["validation_accuracy"] is not None and document["test_accuracy"] is not None
    text = cli("train", "tiny.yaml", "--data", "npz:d.npz", "--resolution", "16", "--out",
               "run2", *TRAIN)
    assert text.returncode == 0, text.stderr
    assert (f"validation accuracy {document['validation_accuracy']:.4f}, "
            f"test accuracy {document['test_accuracy']:.4f}") in text.stdout
