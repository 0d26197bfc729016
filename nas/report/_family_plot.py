"""``nas family --plot``: a family's FLOPs and parameters against φ, beside the ideal 2^φ."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from nas.report._figures import pyplot, save_figure


def plot_family(members: Sequence, path: str | os.PathLike, *,
                base_flops: int | None = None) -> Path:
    """Two panels over φ (log-scale y): FLOPs (fvcore, one multiply-add = one FLOP) and
    parameters of each :class:`nas.scaling.Member`, each next to the ideal curve 2^φ from
    the φ = 0 member (FLOPs ``base_flops`` when given, e.g. a family starting at φ > 0;
    parameters: the smallest φ's count × 2^(φ − φ_min), since the ideal only fixes FLOPs).
    Writes a PNG atomically to ``path`` and returns it."""
    from nas.scaling import member_rows

    if not members:
        from nas._errors import ConfigError

        raise ConfigError("members must hold at least one family member, but got none")
    rows = member_rows(list(members), base_flops=base_flops or 1)
    phis = [row["phi"] for row in rows]
    first = rows[0]
    flops_0 = base_flops or first["flops"] / 2 ** first["phi"]
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5), constrained_layout=True)
    panels = ((left, "flops", "FLOPs, millions (fvcore: 1 multiply-add = 1 FLOP)", flops_0,
               "FLOPs"),
              (right, "params", "parameters, millions", first["params"] / 2 ** first["phi"],
               "parameters"))
    for axes, key, label, start, name in panels:
        axes.plot(phis, [row[key] / 1e6 for row in rows], "o-", color="#1f77b4", lw=2,
                  label=f"{name} of each member")
        axes.plot(phis, [start * 2 ** phi / 1e6 for phi in phis], "--", color="#7f7f7f",
                  label="ideal: φ = 0 value × 2^φ")
        axes.set_yscale("log")
        axes.set_xlabel("compound coefficient φ (member b<φ>)")
        axes.set_ylabel(f"{label}, log scale")
        axes.set_xticks(phis)
        axes.legend(frameon=False)
    left.set_title("FLOPs per member against the ideal doubling per φ")
    right.set_title("Parameters per member (2^φ shown for comparison)")
    name = rows[0]["name"].rsplit("-b", 1)[0]
    figure.suptitle(f"Family {name}: members b{phis[0]}…b{phis[-1]}")
    return save_figure(figure, Path(path))
