"""Batch augmentation on uint8 tensors (B, 3, R, R): random translation by padding and
cropping, and horizontal flips for natural images (never for digits or other symbols)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def augment(images: torch.Tensor, *, flip: bool, generator: torch.Generator) -> torch.Tensor:
    """Pad by R/8 pixels (reflect), crop back to R×R at a random offset, maybe flip."""
    batch, _, side, _ = images.shape
    pad = max(1, side // 8)
    mode = "reflect" if side > pad else "replicate"
    padded = F.pad(images.float(), (pad, pad, pad, pad), mode=mode)
    offsets = torch.randint(0, 2 * pad + 1, (batch, 2), generator=generator).tolist()
    out = torch.stack([padded[i, :, top:top + side, left:left + side]
                       for i, (top, left) in enumerate(offsets)])
    if flip:
        mirror = torch.rand(batch, generator=generator) < 0.5
        out[mirror] = out[mirror].flip(-1)
    return out
