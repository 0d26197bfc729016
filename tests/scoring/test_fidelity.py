import pytest
import torch
import torch.nn.functional as F

from nas.scoring import ProxySettings, blind_choices, faithful_resolution, proxy_arch
from nas.space import load_space


@pytest.mark.parametrize("side, alike", [(1, True), (2, True), (3, False), (5, False)])
def test_a_5x5_kernel_acts_as_its_3x3_centre_only_on_maps_under_3_pixels(side, alike):
    # the rule blind_choices applies: kernels k < k' differ only where side >= (k - 1) / 2 + 2
    torch.manual_seed(0)
    weight = torch.randn(4, 1, 5, 5)
    centre = torch.zeros_like(weight)
    centre[:, :, 1:4, 1:4] = weight[:, :, 1:4, 1:4]
    images = torch.randn(2, 4, side, side)
    for stride in (1, 2):
        full = F.conv2d(images, weight, stride=stride, padding=2, groups=4)
        inner = F.conv2d(images, centre, stride=stride, padding=2, groups=4)
        assert torch.allclose(full, inner) == alike


def test_the_b0_space_at_32_px_cannot_rank_four_kernel_choices():
    space = load_space("efficientnet_b0")
    blind = blind_choices(space, 32)
    assert [(b.stage, b.feature_map, b.alike) for b in blind] == [
        (4, 2, (3, 5)), (5, 2, (3, 5)), (6, 1, (3, 5)), (7, 1, (3, 5))]
    assert faithful_resolution(space) == 72
    assert blind_choices(space, 72) == [] and blind_choices(space, 64) != []


def test_a_stride_adapted_proxy_sees_what_a_twice_larger_input_does():
    space = load_space("efficientnet_b0")
    # one stride removed at 32 px: the geometry of a 64 px input, stages 6 and 7 still blind
    assert [b.stage for b in blind_choices(space, 32, strides_removed=1)] == \
        [b.stage for b in blind_choices(space, 64)] == [6, 7]
    assert faithful_resolution(space, strides_removed=1) == 40
    assert blind_choices(space, 40, strides_removed=1) == []
    arch = proxy_arch(space.baseline(), num_classes=10, resolution=32, width=1.0,
                      strides_removed=1)
    assert [stage.stride for stage in arch.stages] == [1, 1, 2, 2, 1, 2, 1]
    assert [stage.stride for stage in space.baseline().stages] == [1, 2, 2, 2, 1, 2, 1]
    from nas.model import build_model
    model = build_model(arch).eval()
    with torch.no_grad():
        maps = model.stages(model.stem(torch.zeros(1, 3, 32, 32)))
    assert maps.shape[-1] == 2  # 32 / 16, where the target network's strides give 32 / 32
    # the identity of a study records it only when set, so older studies still resume
    assert "strides_removed" not in ProxySettings(strides_removed=0).identity()
    assert ProxySettings().identity()["strides_removed"] == 1  # the default proxy removes one
