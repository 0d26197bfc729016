"""The best architecture, stage by stage, as a rendered table figure (and the same rows for
report.md)."""

from __future__ import annotations

from pathlib import Path

from nas.arch import Arch, default_skip, format_number, output_size
from nas.report._figures import pyplot, save_figure

BLOCK_NAMES = {"ds": "depthwise-separable", "ir": "MBConv", "er": "fused-MBConv",
               "cn": "plain conv", "pj": "projection"}
COLUMNS = ("stage", "block", "kernel", "expand", "SE ratio", "layers", "out channels",
           "stride", "output map (px)")


def _residual_note(stage) -> str:
    """The residual where it differs from the block type's default (off for plain conv)."""
    if stage.skip == default_skip(stage.block_type):
        return ""
    return ", residual" if stage.skip else ", no skip"


def arch_rows(arch: Arch) -> list[tuple[str, ...]]:
    """Stem, every stage and the head, one row each (see :data:`COLUMNS`); the output map is
    the feature-map side at ``arch.resolution`` after the stem stride and every stage stride."""
    size = output_size(arch.resolution, arch.stem_stride)
    rows = [("stem", "conv 3×3", "3", "", "", "1", str(arch.stem_channels),
             str(arch.stem_stride), f"{size}×{size}")]
    for index, stage in enumerate(arch.stages, start=1):
        size = output_size(size, stage.stride)
        block = BLOCK_NAMES[stage.block_type] + _residual_note(stage)
        rows.append((str(index), block, str(stage.kernel_size),
                     format_number(stage.expand_ratio), format_number(stage.se_ratio) or "0",
                     str(stage.repeats), str(stage.out_channels), str(stage.stride),
                     f"{size}×{size}"))
    rows.append(("head", "conv 1×1, pool, linear", "1", "", "", "1",
                 f"{arch.head_channels} → {arch.num_classes}", "", "1×1"))
    return rows


def plot_arch(arch: Arch, path: Path, *, title: str) -> Path:
    """A table figure of :func:`arch_rows`; MBConv, fused-MBConv, depthwise-separable and
    plain-conv stages are tinted differently."""
    plt = pyplot()
    rows = arch_rows(arch)
    figure, axes = plt.subplots(figsize=(11, 0.33 * len(rows) + 0.5))
    axes.axis("off")
    table = axes.table(cellText=rows, colLabels=COLUMNS, loc="center", cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(10)
    table.scale(1, 1.45)
    tints = {"fused": "#fdf1e6", "depthwise": "#e8f1fa", "MBConv": "#eef7ec",
             "plain": "#f3eef8"}
    for (row, _), cell in table.get_celld().items():
        cell.set_edgecolor("#bbbbbb")
        if row == 0:
            cell.set_facecolor("#404040")
            cell.get_text().set_color("white")
            cell.get_text().set_fontweight("bold")
        elif 1 < row < len(rows):
            block = rows[row - 1][1]
            cell.set_facecolor(next(color for key, color in tints.items() if key in block))
    table.auto_set_column_width(list(range(len(COLUMNS))))
    axes.set_title(title, fontsize=12, pad=8)
    return save_figure(figure, path)
