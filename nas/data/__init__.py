"""Image data held in memory: digits (default), Keras npz, CIFAR pickles, image folders."""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_augment": ["augment"],
    "_dataset": ["ImageData", "load_data", "read_raw"],
    "_sources": ["RawData", "read_cifar", "read_digits", "read_folder", "read_npz"],
    "_spec": ["DATA_HELP", "DataSpec", "data_fingerprint", "data_slug", "parse_data_spec"],
})
