"""Layer-wise stages: every layer picks one whole block from its own menu (FBNet, ProxylessNAS,
SPOS and NAS-Bench-Macro spaces), ``skip`` included.

A stage entry of a space file::

    - stride: 2                 # of the stage's first layer (default 1)
      channels: 64              # every layer's output channels
      layers: 3                 # three layers, each with the menu below ...
      menu: [skip, ir_k3_e3, ir_k5_e6]
      baseline: [ir_k3_e3, ir_k3_e3, skip]   # optional (default: each layer's first entry)

or ``layers`` as a list of menus, one per layer. A menu entry is a block string of the grammar
without ``r``, ``s`` and ``c`` (the layer gives them): kernel, expand ratio, SE and residual
flag are coupled per entry. ``skip`` leaves the layer out where it keeps the shape (stride 1,
same channels); where it changes stride or width it becomes the projection those spaces use, a
``pj`` block (1×1 convolution with the stride, batch norm, no activation). The layers present
are then merged into runs of identical blocks, so candidates that build the same network give
the same :class:`~nas.arch.Arch` (and a study shares one result among them).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from nas._checks import check_int, is_int
from nas._errors import ConfigError
from nas.arch import Stage, decode_entry, encode_entry

SKIP = "skip"
"""The menu entry that leaves a layer out (or makes it a projection, see the module)."""
LAYER_KEYS = ("stride", "channels", "layers", "menu", "baseline")


def skip_projection(*, stride: int, out_channels: int) -> Stage:
    """What a skipped layer becomes where it changes stride or width."""
    return Stage(block_type="pj", repeats=1, kernel_size=1, stride=stride, expand_ratio=1,
                 out_channels=out_channels)


@dataclass(frozen=True)
class LayerStageSpace:
    """A stage whose layers each choose a block from a menu.

    Attributes:
        stride: stride of the stage's first layer (1 or 2).
        out_channels: output channels of every layer.
        menus: per layer, its entries in canonical form (``skip``, ``ir_k3_e3``, ...), in the
            file's order; one Optuna categorical parameter ``stage<N>.layer<M>`` per layer
            with more than one entry.
        baseline: per layer, the baseline's entry.
    """

    stride: int
    out_channels: int
    menus: tuple[tuple[str, ...], ...]
    baseline: tuple[str, ...]

    def parameters(self, number: int) -> dict[str, tuple]:
        """Optuna parameter name -> entries, for stage ``number`` (1-based)."""
        return {f"stage{number}.layer{index}": menu
                for index, menu in enumerate(self.menus, start=1) if len(menu) > 1}

    def baseline_params(self, number: int) -> dict[str, str]:
        return {name: self.baseline[int(name.rpartition("layer")[2]) - 1]
                for name in self.parameters(number)}

    def entries(self, number: int, params: dict[str, object], *, space: str) -> list[str]:
        """Every layer's entry, from ``params`` for the searched layers."""
        chosen = []
        for index, menu in enumerate(self.menus, start=1):
            if len(menu) == 1:
                chosen.append(menu[0])
                continue
            name = f"stage{number}.layer{index}"
            if name not in params:
                raise ConfigError(f"{space}: parameter {name} must be given (one of "
                                  f"{list(menu)}), but it is missing")
            if params[name] not in menu:
                raise ConfigError(f"{space}: parameter {name} must be one of {list(menu)}, "
                                  f"but got {params[name]!r}")
            chosen.append(params[name])
        return chosen

    def stages(self, entries: list[str], in_channels: int) -> list[Stage]:
        """The stages (runs of identical layers) that ``entries`` build after a layer producing
        ``in_channels``; empty when every layer is left out."""
        runs: list[Stage] = []
        for index, entry in enumerate(entries):
            stride = self.stride if index == 0 else 1
            if entry == SKIP:
                if stride == 1 and in_channels == self.out_channels:
                    continue  # absent: the input passes through
                stage = skip_projection(stride=stride, out_channels=self.out_channels)
            else:
                stage = decode_entry(entry, stride=stride, out_channels=self.out_channels)
            if runs and stride == 1 and dataclasses.replace(
                    runs[-1], repeats=1, stride=1) == stage:
                runs[-1] = dataclasses.replace(runs[-1], repeats=runs[-1].repeats + 1)
            else:
                runs.append(stage)
            in_channels = self.out_channels
        return runs

    @property
    def max_layers(self) -> int:
        return len(self.menus)

    @property
    def kernel_sizes(self) -> tuple[int, ...]:
        """Kernel sizes the stage's entries use (skip and projections aside)."""
        return tuple(sorted({decode_entry(entry, stride=1, out_channels=1).kernel_size
                             for menu in self.menus for entry in menu if entry != SKIP}))


def is_layer_stage(entry: object) -> bool:
    """Whether a stage entry of a space file is layer-wise (it gives ``layers``)."""
    return isinstance(entry, dict) and "layers" in entry


def _menu(where: str, values: object, *, stride: int, channels: int) -> tuple[str, ...]:
    if not isinstance(values, list) or not values:
        raise ConfigError(f"{where}: menu must be a non-empty list of block strings without r, "
                          f"s and c (such as ir_k3_e6) or skip, but got {values!r}")
    menu = []
    for value in values:
        if value == SKIP:
            entry = SKIP
        else:
            try:
                entry = encode_entry(decode_entry(value, stride=stride, out_channels=channels))
            except ConfigError as error:
                raise ConfigError(f"{where}: {error}") from None
        if entry in menu:
            raise ConfigError(f"{where}: menu entries must be distinct blocks, but got "
                              f"{value!r} twice")
        menu.append(entry)
    return tuple(menu)


def parse_layer_stage(where: str, entry: dict) -> LayerStageSpace:
    """Validate one layer-wise stage entry of a space file (see the module)."""
    unknown = sorted(str(key) for key in entry if key not in LAYER_KEYS)
    if unknown:
        raise ConfigError(f"{where}: keys of a layer-wise stage must be among "
                          f"{', '.join(LAYER_KEYS)}, but got {', '.join(unknown)}")
    stride = entry.get("stride", 1)
    if not is_int(stride) or stride not in (1, 2):
        raise ConfigError(f"{where}: stride must be 1 or 2, but got {stride!r}")
    if "channels" not in entry:
        raise ConfigError(f"{where}: a layer-wise stage must give channels")
    try:
        channels = check_int("channels", entry["channels"], minimum=1)
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None
    layers = entry["layers"]
    if is_int(layers):
        check_int(f"{where}: layers", layers, minimum=1)
        if "menu" not in entry:
            raise ConfigError(f"{where}: layers given as a count must come with a menu")
        lists = [entry["menu"]] * layers
    elif isinstance(layers, list) and layers and "menu" not in entry:
        lists = layers
    else:
        raise ConfigError(f"{where}: layers must be a count (with menu) or a non-empty list of "
                          f"menus (without menu), but got {layers!r}")
    menus = tuple(_menu(f"{where}: layer {index}", values,
                        stride=stride if index == 1 else 1, channels=channels)
                  for index, values in enumerate(lists, start=1))
    baseline = tuple(menu[0] for menu in menus)
    if "baseline" in entry:
        given = entry["baseline"]
        if not isinstance(given, list) or len(given) != len(menus):
            raise ConfigError(f"{where}: baseline must be a list of {len(menus)} entries, one "
                              f"per layer, but got {given!r}")
        baseline = tuple(_menu(f"{where}: baseline layer {index}", [value],
                               stride=stride if index == 1 else 1, channels=channels)[0]
                         for index, value in enumerate(given, start=1))
        for index, (value, menu) in enumerate(zip(baseline, menus), start=1):
            if value not in menu:
                raise ConfigError(f"{where}: baseline layer {index} must be one of its menu "
                                  f"{list(menu)}, but got {value!r}")
    return LayerStageSpace(stride=stride, out_channels=channels, menus=menus, baseline=baseline)
