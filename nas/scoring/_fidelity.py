"""Which searched choices a proxy can see at all.

A k×k convolution with 'same' padding on an m×m feature map reaches at most m − 1 pixels from
its centre, so kernels k < k' compute the same function there unless m ≥ (k − 1) / 2 + 2: on the
1×1 and 2×2 maps that the deep stages of a B0-like network see at a 32 px proxy, a 5×5 kernel
computes what a 3×3 does. Such a choice still costs FLOPs at the target resolution, but the proxy
cannot rank it. (Expand ratio, SE, layers and width change the function at any map size.)
"""

from __future__ import annotations

from dataclasses import dataclass

from nas.arch import output_size
from nas.space import Space


@dataclass(frozen=True)
class BlindChoice:
    """A stage whose kernel choices a proxy resolution cannot tell apart.

    Attributes:
        stage: 1-based stage number (as in the parameter ``stage<N>.kernel_size``).
        choices: the stage's kernel sizes.
        alike: the kernel sizes that act alike (all but the smallest are blind).
        feature_map: the feature-map side (pixels) the stage's blocks work on: the stage's
            output side where it may have more than one block (every block after the first
            runs there), else the side entering it.
        resolution: the proxy resolution judged.
    """

    stage: int
    choices: tuple[int, ...]
    alike: tuple[int, ...]
    feature_map: int
    resolution: int

    def describe(self) -> str:
        alike = " and ".join(map(str, self.alike))
        return (f"stage {self.stage}: kernel_size {alike} act alike on its "
                f"{self.feature_map}x{self.feature_map} feature maps at a {self.resolution} px "
                f"proxy, so the proxy cannot rank that choice")


def _reach(kernel: int) -> int:
    return (kernel - 1) // 2


def _working_sides(space: Space, resolution: int, strides_removed: int) -> list[int]:
    """Per stage, the feature-map side its blocks work on (see :class:`BlindChoice`), with the
    first ``strides_removed`` stride-2 stages at stride 1 (a stride-adapted proxy)."""
    side = output_size(resolution, space.network.get("stem_stride", 2))  # after the stem
    sides, removed = [], 0
    for stage in space.stages:
        stride = stage.stride
        if stride == 2 and removed < strides_removed:
            stride, removed = 1, removed + 1
        after = output_size(side, stride)
        sides.append(after if stage.max_layers > 1 else side)
        side = after
    return sides


def blind_choices(space: Space, resolution: int, strides_removed: int = 0
                  ) -> list[BlindChoice]:
    """Every searched stage whose kernel choices act alike at ``resolution`` pixels (with the
    proxy's first ``strides_removed`` stride-2 stages at stride 1)."""
    blind = []
    sides = _working_sides(space, resolution, strides_removed)
    for number, (stage, side) in enumerate(zip(space.stages, sides), start=1):
        kernels = stage.kernel_sizes
        if len(kernels) < 2:
            continue
        # kernels k < k' differ only where the map reaches past k's taps: side >= reach(k) + 2
        alike = tuple(k for k in kernels if side < _reach(k) + 2)
        alike = tuple(k for k in kernels if k >= min(alike)) if alike else ()
        if len(alike) >= 2:
            blind.append(BlindChoice(number, kernels, alike, side, resolution))
    return blind


def faithful_resolution(space: Space, *, multiple: int = 8, strides_removed: int = 0) -> int:
    """The smallest resolution (a multiple of ``multiple`` pixels) at which every searched
    kernel choice changes the function (with ``strides_removed`` as in :func:`blind_choices`)."""
    resolution = multiple
    while blind_choices(space, resolution, strides_removed):
        resolution += multiple
    return resolution
