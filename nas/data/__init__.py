"""Image data: digits (default), Keras npz and CIFAR pickles in memory; image folders listed,
decoded once per resolution into a cache on disk and read batch by batch."""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_augment": ["augment"],
    "_cache": ["DecodeCache", "DiskImages", "cache_root"],
    "_folder": ["IMAGE_SUFFIXES", "FolderListing", "FolderPart", "decode_image", "list_folder"],
    "_dataset": ["ImageData", "load_data", "read_raw"],
    "_sources": ["RawData", "read_cifar", "read_digits", "read_folder", "read_npz"],
    "_spec": ["DATA_HELP", "DataSpec", "data_fingerprint", "data_slug", "parse_data_spec"],
})
