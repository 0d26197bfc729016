"""The proxy data, loaded once per process: a search trains every candidate on the same split,
and ``nas scale`` at a few proxy resolutions."""

from __future__ import annotations

import collections

from nas.data import ImageData, load_data
from nas.scoring._options import ProxySettings

DATA_CACHE_SIZE = 2
"""Data sets (at one resolution each) kept per process: ``nas scale`` trains at several proxy
resolutions, and a search needs one; older entries are dropped."""
_DATA_CACHE: collections.OrderedDict[tuple, ImageData] = collections.OrderedDict()


def get_data(proxy: ProxySettings, *, resolution: int, seed: int) -> ImageData:
    """The proxy data at ``resolution`` (split fixed by ``seed``), cached per process for the
    last :data:`DATA_CACHE_SIZE` keys. It never holds the test split: a search or scaling run
    selects on the validation split and never looks at the test images."""
    key = (proxy.data, resolution, seed, proxy.train_size, proxy.validation_fraction)
    if key in _DATA_CACHE:
        _DATA_CACHE.move_to_end(key)
        return _DATA_CACHE[key]
    data = load_data(proxy.data, resolution=resolution, seed=seed,
                     validation_fraction=proxy.validation_fraction,
                     train_size=proxy.train_size, test=False)
    _DATA_CACHE[key] = data
    while len(_DATA_CACHE) > DATA_CACHE_SIZE:
        _DATA_CACHE.popitem(last=False)
    return data
