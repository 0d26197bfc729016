"""Zero-cost proxies: score a freshly initialised network from one or a few mini-batches, to rank
candidate architectures before (instead of) training them.

Each proxy is a number computed at initialisation that should grow with the accuracy the
network reaches after training; only its rank order across candidates matters. Published
Spearman correlations with final accuracy on NAS-Bench-201 (CIFAR-10), for context: #params
≈ 0.73, synflow ≈ 0.74, NASWOT ≈ 0.80, MeCo 0.89, AZ-NAS 0.91. A proxy is only worth its cost
where it beats the free baselines, parameter count and FLOPs; ``nas rank-check`` reports each
proxy against those two on the project's own search spaces.

What is computed (the network is built by :func:`nas.model.build_model` after
``torch.manual_seed(seed)``, on the CPU in float32 unless stated):

- ``synflow`` (Tanaka et al. 2020): the network in float64, every parameter and buffer replaced
  by its absolute value, in eval mode (batch norm uses its initial statistics,
  mean 0 and variance 1, so it is a near-identity; dropout and drop path are off), the input
  is one all-ones image (1, 3, R, R) and R = sum of the logits. The score is
  log10(Σ |θ ⊙ ∂R/∂θ|) over the weights of every convolution and linear layer. Raw values
  span many orders of magnitude (EfficientNet-B0 at 32 px gives ~1e41, beyond float32; B7
  ~1e149), so the log10 is always returned; +inf where float64 overflows (~1e308).
- ``naswot`` (Mellor et al. 2021): on the first mini-batch of B images, each unit's binary
  code is the sign (> 0) of the *input* to every activation module (the swish / ReLU /
  ReLU6 / hard-swish modules, squeeze-excite's included), as NASWOT implementations do for
  non-ReLU networks. K = N_A − Hamming distance between the codes, a (B, B) matrix with N_A
  the number of units; the score is log det K (natural log), −inf when K is singular (e.g.
  two identical images in the batch).
- ``grad_norm`` (Abdelfattah et al. 2021): on the first mini-batch, Σ over convolution and
  linear layers of the L2 (Frobenius) norm of the mean cross-entropy gradient of its weight.
- ``zico`` (Li et al. 2023): over ``batches`` mini-batches (at least 2), each giving a
  cross-entropy gradient g of every weight; for each convolution and linear layer, the sum
  over its weights of mean|g| / std g (population std over the batches), and the score is Σ
  over layers of log of that sum. Weights with std 0 are skipped (e.g. a weight whose
  gradient is exactly zero on every batch), and so are layers whose sum is 0.

``naswot``, ``grad_norm`` and ``zico`` run the network in training mode, so batch norm
normalises with the mini-batch's statistics, as the reference implementations do; dropout and
drop path are switched off, so the scores carry no sampling noise. Every batch-norm scale is
1 when scoring: the builder starts the last batch norm of each residual branch at scale 0 (each
residual block is the identity at initialisation, which helps training), and that would leave
every score nearly blind to a stage's repeats (no synflow through any residual branch).

Mini-batches are the first ``batches`` batches of b = min(batch_size, N // batches) images of
a permutation of the N training images drawn from a generator seeded with ``seed``, normalised,
without augmentation. The batches never share an image, so with a small training split they
shrink (zico's mean / std over batches that all hold the same images would measure nothing but
floating-point noise).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from nas._checks import check_int
from nas._errors import ConfigError
from nas.arch import Arch
from nas.data import ImageData
from nas.model import DropPath, build_model
from nas.scoring._options import ZERO_COST_PROXIES


_ACTIVATION_TYPES = (nn.SiLU, nn.ReLU, nn.ReLU6, nn.Hardswish)

Batches = list[tuple[torch.Tensor, torch.Tensor]]


def zero_cost_scores(arch: Arch, data: ImageData, *, names: Iterable[str] = ZERO_COST_PROXIES,
                     seed: int = 0, batch_size: int = 64, batches: int = 2) -> dict[str, float]:
    """Score ``arch`` (already at the data's resolution and class count) with each proxy named.

    Every proxy builds its own network from ``seed``, so a score does not depend on which
    others are computed or in which order; torch's global random state is left as it was.
    See the module docstring for exactly what each proxy computes.

    Returns:
        {proxy name: score}, higher meaning a better predicted accuracy, in the order of
        ``names``.
    """
    names = tuple(names)
    for name in names:
        if name not in ZERO_COST_PROXIES:
            raise ConfigError(f"zero-cost proxy must be one of {', '.join(ZERO_COST_PROXIES)}, "
                              f"but got {name!r}")
    check_int("seed", seed, minimum=0)
    check_int("batch_size", batch_size, minimum=1)
    check_int("batches", batches, minimum=1)
    if "zico" in names and batches < 2:
        raise ConfigError(f"batches must be an integer >= 2 for zico, but got {batches!r}")
    if arch.num_classes != data.num_classes:
        raise ConfigError(f"arch num_classes must be the data's {data.num_classes}, "
                          f"but got {arch.num_classes}")
    if arch.resolution != data.resolution:
        raise ConfigError(f"arch resolution must be the data's {data.resolution}, "
                          f"but got {arch.resolution}")
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
        minibatches = _minibatches(data, seed=seed, batch_size=batch_size, batches=batches)
        return {name: _PROXIES[name](_fresh_model(arch, seed), minibatches) for name in names}


def _minibatches(data: ImageData, *, seed: int, batch_size: int, batches: int) -> Batches:
    """``batches`` (normalised float32 images (b, 3, R, R), int64 labels (b,)) pairs,
    b = min(batch_size, N // batches), cut from a seeded permutation of the N training images."""
    images, labels = data.train
    if batches > len(labels):
        raise ConfigError(f"batches must be an integer <= {len(labels)} (the training images), "
                          f"but got {batches}")
    size = min(batch_size, len(labels) // batches)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    return [(data.normalise(images[chosen]), labels[chosen])
            for chosen in order[:batches * size].split(size)]


def _fresh_model(arch: Arch, seed: int) -> nn.Module:
    """The network at initialisation from ``seed``, every batch-norm scale at 1."""
    torch.manual_seed(seed)
    model = build_model(arch)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
    return model


def _train_without_noise(model: nn.Module) -> nn.Module:
    """Training mode (batch norm on batch statistics) with dropout and drop path off."""
    model.train()
    for module in model.modules():
        if isinstance(module, (nn.Dropout, DropPath)):
            module.eval()
    return model


def _weights(model: nn.Module) -> list[torch.Tensor]:
    """The weight of every convolution and linear layer, in module order."""
    return [module.weight for module in model.modules()
            if isinstance(module, (nn.Conv2d, nn.Linear))]


def _synflow(model: nn.Module, minibatches: Batches) -> float:
    model.eval().double()
    with torch.no_grad():
        for tensor in model.state_dict().values():
            tensor.abs_()
    resolution = minibatches[0][0].shape[-1]
    ones = torch.ones((1, 3, resolution, resolution), dtype=torch.float64)
    model(ones).sum().backward()
    total = sum(float((weight.detach() * weight.grad).abs().sum()) for weight in _weights(model))
    return math.log10(total) if math.isfinite(total) else math.inf


def _naswot(model: nn.Module, minibatches: Batches) -> float:
    images, _ = minibatches[0]
    kernel = torch.zeros((len(images), len(images)), dtype=torch.float64)

    def add_codes(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        codes = (inputs[0].flatten(1) > 0).double()
        # agreements = shared ones + shared zeros = N_A - Hamming distance, layer by layer
        kernel.add_(codes @ codes.T + (1 - codes) @ (1 - codes).T)

    handles = [module.register_forward_pre_hook(add_codes) for module in model.modules()
               if isinstance(module, _ACTIVATION_TYPES)]
    with torch.no_grad():
        _train_without_noise(model)(images)
    for handle in handles:
        handle.remove()
    sign, log_determinant = torch.linalg.slogdet(kernel)
    return float(log_determinant) if sign > 0 else -math.inf


def _grad_norm(model: nn.Module, minibatches: Batches) -> float:
    images, labels = minibatches[0]
    F.cross_entropy(_train_without_noise(model)(images), labels).backward()
    return sum(float(weight.grad.norm()) for weight in _weights(model))


def _zico(model: nn.Module, minibatches: Batches) -> float:
    _train_without_noise(model)
    weights = _weights(model)
    gradients: list[list[torch.Tensor]] = [[] for _ in weights]
    for images, labels in minibatches:
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(images), labels).backward()
        for per_layer, weight in zip(gradients, weights):
            per_layer.append(weight.grad.flatten().double())
    score = 0.0
    for per_layer in gradients:
        stacked = torch.stack(per_layer)  # (batches, weights of the layer)
        std = stacked.std(dim=0, correction=0)
        kept = std > 0
        total = float((stacked.abs().mean(dim=0)[kept] / std[kept]).sum())
        if total > 0:
            score += math.log(total)
    return score


_PROXIES: dict[str, Callable[[nn.Module, Batches], float]] = {
    "synflow": _synflow, "naswot": _naswot, "grad_norm": _grad_norm, "zico": _zico,
}
