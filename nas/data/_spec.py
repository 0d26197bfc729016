"""The ``--data`` grammar (kept free of heavy imports: the command line parses it at start-up)."""

from __future__ import annotations

from dataclasses import dataclass

from nas._errors import DataError

DATA_HELP = ("digits (scikit-learn's bundled handwritten digits, the default), npz:FILE (Keras "
             "layout: x_train, y_train[, x_test, y_test]), cifar10:DIR / cifar100:DIR (python "
             "pickle batches), folder:DIR (one sub-folder of images per class)")
_KINDS = ("npz", "cifar10", "cifar100", "folder")


@dataclass(frozen=True)
class DataSpec:
    """A parsed ``--data`` value: ``kind`` and, except for digits, a ``path``."""

    kind: str
    path: str | None = None

    def __str__(self) -> str:
        return self.kind if self.path is None else f"{self.kind}:{self.path}"


def parse_data_spec(text: str) -> DataSpec:
    """``digits``, ``npz:FILE``, ``cifar10:DIR``, ``cifar100:DIR`` or ``folder:DIR``."""
    if text == "digits":
        return DataSpec("digits")
    kind, separator, path = text.partition(":")
    if not separator or kind not in _KINDS or not path:
        raise DataError(f"data must be one of digits, npz:FILE, cifar10:DIR, cifar100:DIR, "
                        f"folder:DIR, but got {text!r}")
    return DataSpec(kind, path)
