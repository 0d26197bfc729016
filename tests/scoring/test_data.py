from nas.scoring import DATA_CACHE_SIZE, ProxySettings, get_data
from nas.scoring._data import _DATA_CACHE


def test_proxy_data_cache_is_bounded_and_never_holds_the_test_split():
    proxy = ProxySettings(train_size=100)
    first = get_data(proxy, resolution=8, seed=0)
    for resolution in (9, 10, 11):  # nas scale trains at several proxy resolutions
        data = get_data(proxy, resolution=resolution, seed=0)
        assert data.resolution == resolution and data.test is None
    assert len(_DATA_CACHE) == DATA_CACHE_SIZE
    assert get_data(proxy, resolution=11, seed=0) is data  # the newest stays cached
    assert get_data(proxy, resolution=8, seed=0) is not first  # the oldest was dropped
