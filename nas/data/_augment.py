"""Batch augmentation on uint8 tensors (B, 3, R, R): random translation by padding and
cropping, and (when asked, for colour photographs) horizontal flips."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def augment(images: torch.Tensor, *, flip: bool, generator: torch.Generator) -> torch.Tensor:
    """uint8 images (B, 3, R, R) -> float32 (B, 3, R, R): each image is shifted by a random
    offset in [-pad, pad] pixels on each axis, pad = max(1, R // 8), the uncovered border filled
    by reflection (replication when R <= pad); with ``flip`` each image is mirrored left-right
    with probability 1/2. All randomness comes from ``generator``."""
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
