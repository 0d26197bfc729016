"""Parts of the EfficientNet training recipe: TensorFlow's RMSprop, an exponential moving average
of the weights, batch augmentation on the device (random-resized crops, RandAugment /
AutoAugment from kornia) and the centre crop for evaluation; and the recipe as one option set.

The recipe (Tan & Le 2019, as the TPU reference trains B0): RMSprop (decay 0.9, momentum 0.9,
epsilon 1e-3, TF-style), learning rate 0.016 per 256 images of batch, weight decay 1e-5, an
exponential moving average of the weights with decay 0.9999 (evaluated and saved), RandAugment
(2 operations at magnitude 9 of 10 as timm counts it, kornia's ``RandAugment(n=2, m=27)`` on its
0-30 scale), random-resized crops for training and a 0.875 centre crop for evaluation, stochastic depth 0.2, label smoothing 0.1,
mixed precision. The schedule stays ours (warm-up, then cosine) where the reference decays by
0.97 every 2.4 epochs.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from nas._errors import ConfigError
from nas.train._config import RECIPES



class RMSpropTF(torch.optim.Optimizer):
    """RMSprop as TensorFlow computes it (``tf.compat.v1.train.RMSPropOptimizer``), the optimiser
    EfficientNet was trained with. Unlike ``torch.optim.RMSprop``: the mean square starts at 1,
    not 0 (no huge first steps), epsilon is added inside the square root, and the learning rate
    multiplies the gradient before it enters the momentum buffer::

        ms  = alpha * ms + (1 - alpha) * g^2
        mom = momentum * mom + lr * g / sqrt(ms + eps)
        w   = w - mom

    ``weight_decay`` adds ``weight_decay * w`` to the gradient (L2, as TF's regulariser)."""

    def __init__(self, params, lr: float, *, alpha: float = 0.9, eps: float = 1e-3,
                 momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps, "momentum": momentum,
                                  "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                gradient = parameter.grad
                if group["weight_decay"]:
                    gradient = gradient.add(parameter, alpha=group["weight_decay"])
                state = self.state[parameter]
                if not state:
                    state["square_average"] = torch.ones_like(parameter)
                    state["momentum_buffer"] = torch.zeros_like(parameter)
                square = state["square_average"]
                square.mul_(group["alpha"]).addcmul_(gradient, gradient, value=1 - group["alpha"])
                step = gradient / (square + group["eps"]).sqrt()
                if group["momentum"] > 0:
                    buffer = state["momentum_buffer"]
                    buffer.mul_(group["momentum"]).add_(step, alpha=group["lr"])
                    parameter.sub_(buffer)
                else:
                    parameter.sub_(step, alpha=group["lr"])
        return loss


def exponential_moving_average(model: nn.Module, decay: float) -> torch.optim.swa_utils.AveragedModel:
    """torch's ``AveragedModel`` of ``model`` (parameters and batch-norm buffers) with TF's
    decay schedule: after n updates the decay is min(decay, (1 + n) / (10 + n)), so the average
    follows the weights closely early in training instead of staying near the initialisation."""

    def average(averaged: torch.Tensor, current: torch.Tensor, updates: torch.Tensor) -> torch.Tensor:
        rate = min(decay, (1 + float(updates)) / (10 + float(updates)))
        return averaged * rate + current * (1 - rate)

    return torch.optim.swa_utils.AveragedModel(model, avg_fn=average, use_buffers=True)


class BatchAugmentation(nn.Module):
    """Training augmentation of float images in [0, 1] (B, 3, S, S) on their device, returning
    (B, 3, R, R): a random-resized crop to R (scale 0.08-1, aspect 3/4-4/3) or, without it, a
    centre crop to R; a horizontal flip (when ``flip``); then the ``policy``'s operations
    (kornia's RandAugment with 2 operations, or AutoAugment's ImageNet policy). Randomness is
    torch's global generator (seeded by the run, saved with its checkpoints)."""

    def __init__(self, size: int, *, random_resized_crop: bool, flip: bool, policy: str) -> None:
        super().__init__()
        import kornia.augmentation as augmentation

        steps: list[nn.Module] = []
        if random_resized_crop:
            steps.append(augmentation.RandomResizedCrop((size, size), scale=(0.08, 1.0)))
        else:
            steps.append(augmentation.CenterCrop((size, size)))
        if flip:
            steps.append(augmentation.RandomHorizontalFlip())
        if policy == "randaugment":
            steps.append(augmentation.auto.RandAugment(n=2, m=27))
        elif policy == "autoaugment":
            steps.append(augmentation.auto.AutoAugment("imagenet"))
        self.steps = augmentation.AugmentationSequential(*steps)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.steps(images)


def centre_crop(images: torch.Tensor, size: int) -> torch.Tensor:
    """The central ``size``×``size`` pixels of images (B, C, S, S), S >= size."""
    side = images.shape[-1]
    start = (side - size) // 2
    return images[..., start:start + size, start:start + size]


RECIPE_DROP_PATH_RATE = 0.2
"""The recipe's stochastic-depth rate (an architecture field: ``FullTrainOptions``)."""


def efficientnet_recipe(batch_size: int) -> dict:
    """The recipe's TrainConfig fields for ``batch_size`` (learning rate 0.016 × B / 256)."""
    return {"optimizer": "rmsprop_tf", "learning_rate": 0.016 * batch_size / 256,
            "momentum": 0.9, "weight_decay": 1e-5, "label_smoothing": 0.1, "ema_decay": 0.9999,
            "policy": "randaugment", "random_resized_crop": True, "eval_crop": 0.875,
            "amp": True}


def apply_recipe(config, recipe: str, *, given=frozenset(), world_size: int = 1):
    """``config`` (a TrainConfig) with the named recipe's fields, except those in ``given``
    (set by the user, kept as they are). With ``world_size`` processes of ``batch_size``
    images each, the learning rate follows the whole step's batch."""
    if recipe not in RECIPES:
        raise ConfigError(f"recipe must be one of {', '.join(RECIPES)}, but got {recipe!r}")
    values = efficientnet_recipe(config.batch_size * world_size)
    return dataclasses.replace(config, **{key: value for key, value in values.items()
                                          if key not in given})
