"""Image data held in memory: digits (default), Keras npz, CIFAR pickles, image folders."""

from nas.data._augment import augment
from nas.data._dataset import DATA_HELP, DataSpec, ImageData, load_data, parse_data_spec
from nas.data._sources import RawData, read_cifar, read_digits, read_folder, read_npz

__all__ = ["augment", "DATA_HELP", "DataSpec", "ImageData", "load_data", "parse_data_spec",
           "RawData", "read_cifar", "read_digits", "read_folder", "read_npz"]
