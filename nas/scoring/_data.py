"""The proxy data, loaded once per process: a search trains every candidate on the same split,
and ``nas scale`` at a few proxy resolutions."""

from __future__ import annotations

import collections

from nas._errors import DataError
from nas.data import ImageData, load_data
from nas.scoring._options import ProxySettings

DATA_CACHE_SIZE = 2
"""Data sets (at one resolution each) kept per process: ``nas scale`` trains at several proxy
resolutions, and a search needs one; older entries are dropped."""
_DATA_CACHE: collections.OrderedDict[tuple, ImageData] = collections.OrderedDict()


def get_data(proxy: ProxySettings, *, resolution: int, seed: int,
             strict: bool = False) -> ImageData:
    """The proxy data at ``resolution`` (split fixed by ``seed``), cached per process for the
    last :data:`DATA_CACHE_SIZE` keys. It never holds the test split: a search or scaling run
    selects on the validation split and never looks at the test images. Unreadable images of a
    folder are left out (``ImageData.skipped``); with ``strict`` they are a DataError naming
    the first."""
    key = (proxy.data, resolution, seed, proxy.train_size, proxy.validation_fraction)
    if key in _DATA_CACHE:
        _DATA_CACHE.move_to_end(key)
        return _refuse_skipped(_DATA_CACHE[key], strict)
    data = load_data(proxy.data, resolution=resolution, seed=seed,
                     validation_fraction=proxy.validation_fraction,
                     train_size=proxy.train_size, test=False, strict=strict)
    _DATA_CACHE[key] = data
    while len(_DATA_CACHE) > DATA_CACHE_SIZE:
        _DATA_CACHE.popitem(last=False)
    return data


def _refuse_skipped(data: ImageData, strict: bool) -> ImageData:
    if strict and data.skipped:
        raise DataError(f"folder: image {data.skipped[0]!r} of {data.name} must be readable by "
                        f"Pillow, but it is not (--strict)")
    return data
