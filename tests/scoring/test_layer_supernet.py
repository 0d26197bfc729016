"""The layer-wise supernet (one weight set per menu entry per layer): extraction equals the
supernet's forward on every subnet, skipped layers included, at any proxy geometry; and
``nas supernet`` then ``nas search --supernet`` on the ``nasbench_macro`` space, as a user runs
them."""

import json

import numpy
import pytest
import torch

from nas._errors import ConfigError
from nas.scoring import Geometry, LayerSupernet, make_supernet
from nas.space import load_space

pytestmark = pytest.mark.xdist_group("supernet")


@pytest.mark.parametrize("width, strides_removed", [(1, 0), (0.5, 1)])
def test_extraction_equals_forward_with_skipped_layers(width, strides_removed):
    space = load_space("nasbench_macro")
    geometry = Geometry(resolution=16, width=width, strides_removed=strides_removed,
                        num_classes=10)
    torch.manual_seed(0)
    supernet = make_supernet(space, geometry)
    assert isinstance(supernet, LayerSupernet)
    names = list(space.parameters())
    codes = ["00000000", "22222222", "01020102", "10101010", "20012001"]
    rng = numpy.random.default_rng(0)
    codes += ["".join(str(digit) for digit in rng.integers(3, size=8)) for _ in range(3)]
    images = torch.randn(2, 3, 16, 16)
    for training in (False, True):
        for code in codes:
            arch = geometry.proxy(space.arch({name: space.parameters()[name][int(digit)]
                                              for name, digit in zip(names, code)}))
            supernet.train(training)
            model = supernet.extract(arch).train(training)
            torch.manual_seed(1)
            expected = supernet(images, arch)
            torch.manual_seed(1)
            assert torch.allclose(model(images), expected, atol=1e-5), code
    # one entry's weights per layer: the two k3 layers of "11" are two weight sets
    assert len(supernet.layers) == 8 and set(supernet.layers[1]) == {"ir_k3_e3", "ir_k5_e6"}


def test_a_network_of_another_space_is_refused():
    supernet = make_supernet(load_space("nasbench_macro"),
                             Geometry(resolution=16, width=1, strides_removed=0, num_classes=10))
    other = load_space("tiny").baseline()
    with pytest.raises(ConfigError, match="a subnet's"):
        supernet.extract(other)


def test_nas_supernet_then_search_on_the_layer_wise_space(cli, tmp_path):
    trained = cli("supernet", "--space", "nasbench_macro", "--data", "digits", "--epochs", "1",
                  "--train-size", "400", "--proxy-resolution", "16", "--threads", "1",
                  "--study", "macro-sn", "--json")
    assert trained.returncode == 0, trained.stderr
    result = cli("search", "--space", "nasbench_macro", "--flops", "52M", "--data", "digits",
                 "--supernet", "studies/macro-sn/supernet.pt", "--trials", "12",
                 "--threads", "1", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["trials"]["finished"] == 12
    assert summary["best"]["accuracy"] is not None
