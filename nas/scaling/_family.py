"""A model family from one architecture: member φ scales depth by α^φ, width by β^φ and the
resolution by γ^φ (rounded to a multiple of 8); or the published EfficientNet table."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from nas._errors import ConfigError
from nas.arch import (
    EFFICIENTNET_TABLE,
    MAX_COEFFICIENT,
    Arch,
    from_table_row,
    round_resolution,
    save,
    scale,
)
from nas.cost import count

RESOLUTION_DIVISOR = 8


@dataclass(frozen=True)
class Member:
    """One family member and how it was derived from the base (φ = 0)."""

    phi: int
    name: str
    arch: Arch
    width_coefficient: float
    depth_coefficient: float
    resolution_coefficient: float


def compound_member(base: Arch, *, phi: int, alpha: float, beta: float, gamma: float,
                    name: str) -> Member:
    """Depth α^φ, width β^φ, resolution round8(base resolution · γ^φ) (unchanged where
    γ^φ = 1); the same rounding as the scaling grid's trials (:func:`scaled_arch`)."""
    try:
        depth, width, resolution = alpha ** phi, beta ** phi, gamma ** phi
    except OverflowError:
        depth = width = resolution = math.inf
    if max(depth, width, resolution) > MAX_COEFFICIENT:
        raise ConfigError(f"member b{phi}: alpha^phi, beta^phi and gamma^phi must be at most "
                          f"{MAX_COEFFICIENT:g}, but got {depth:.4g}, {width:.4g}, "
                          f"{resolution:.4g}")
    scaled = scale(base, width=width, depth=depth, resolution=resolution,
                   resolution_divisor=RESOLUTION_DIVISOR)
    return Member(phi, f"{name}-b{phi}", scaled, width, depth, resolution)


def compound_family(base: Arch, *, alpha: float, beta: float, gamma: float, phis: list[int],
                    name: str) -> list[Member]:
    return [compound_member(base, phi=phi, alpha=alpha, beta=beta, gamma=gamma, name=name)
            for phi in phis]


def published_family(base: Arch, *, phis: list[int], name: str) -> list[Member]:
    """EfficientNet's hand-rounded table (B0…B7) applied to ``base``; from B0 this reproduces
    the ``efficientnet-b0`` … ``efficientnet-b7`` presets exactly."""
    rows = list(EFFICIENTNET_TABLE.values())
    members = []
    for phi in phis:
        if not 0 <= phi < len(rows):
            raise ConfigError(f"phi must be in 0..{len(rows) - 1} for the published table, "
                              f"but got {phi}")
        row = rows[phi]
        arch = from_table_row(base, row._replace(
            resolution=round_resolution(base.resolution * row.resolution / 224)))
        members.append(Member(phi, f"{name}-b{phi}", arch, row.width_coefficient,
                              row.depth_coefficient, arch.resolution / base.resolution))
    return members


def member_rows(members: list[Member], *, base_flops: int) -> list[dict]:
    """Per member: coefficients, last-stage channels, total repeats, resolution, params, FLOPs,
    FLOPs ÷ B0 (``base_flops``, member φ = 0) and the drift FLOPs ÷ (B0 · 2^φ) that rounding
    introduces. FLOPs are fvcore's count (one fused multiply-add = one FLOP)."""
    rows = []
    for member in members:
        cost = count(member.arch)
        ratio = cost.flops / base_flops
        rows.append({
            "phi": member.phi, "name": member.name,
            "width_coefficient": round(member.width_coefficient, 4),
            "depth_coefficient": round(member.depth_coefficient, 4),
            "resolution_coefficient": round(member.resolution_coefficient, 4),
            "last_stage_channels": member.arch.stages[-1].out_channels,
            "total_repeats": member.arch.total_blocks,
            "resolution": member.arch.resolution,
            "params": cost.params, "flops": cost.flops,
            "flops_over_b0": round(ratio, 4),
            "flops_over_b0_per_2_to_phi": round(ratio / 2 ** member.phi, 4),
        })
    return rows


def parse_phis(text: str) -> list[int]:
    """``0-7`` or ``0,2,4`` -> a sorted list of distinct φ >= 0."""
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-", 1))
            values = list(range(first, last + 1))
        else:
            values = [int(part) for part in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) < 0 or max(values) > 20:
        raise ConfigError(f"phis must be a range such as 0-7 or a list such as 0,2,4 with "
                          f"values in 0..20, but got {text!r}")
    return sorted(set(values))


def write_family(members: list[Member], directory: str | os.PathLike, *,
                 overwrite: bool = False) -> list[Path]:
    """Write every member's config to ``<directory>/<member name>.yaml`` (atomically); return
    the paths in member order.

    A member file already there with another architecture (e.g. an earlier ``--preset`` family
    of the same base, now written with other coefficients) is a ConfigError, raised before
    anything is written, unless ``overwrite``. Files holding the same architecture, and files of
    other members, are left as they are."""
    from nas.arch import load

    paths = [Path(directory) / f"{member.name}.yaml" for member in members]
    if not overwrite:
        differing = []
        for member, path in zip(members, paths):
            if path.exists():
                try:
                    same = load(str(path)) == member.arch
                except ConfigError:
                    same = False
                if not same:
                    differing.append(path.name)
        if differing:
            raise ConfigError(
                f"family directory {str(directory)!r} must not hold other architectures under "
                f"the members' names, but {', '.join(differing)} differ from this family "
                f"(written by an earlier call with other coefficients?); choose another --out "
                f"or pass --overwrite to replace them")
    for member, path in zip(members, paths):
        save(member.arch, path)
    return paths
