"""Which subnets one supernet training step trains, and what teaches each.

Three rules of :class:`nas.scoring.SupernetOptions` shape them:

- ``sampling`` (see :mod:`nas.scoring._supernet_training`): the sandwich rule (largest,
  smallest and random subnets), uniform random subnets (SPOS) or FairNAS's strict fairness;
- progressive shrinking (``shrinking_epochs`` > 0; after Once-for-All, which trains the
  largest network first and lets the smaller ones in gradually): at training time t (in
  epochs) each parameter of every subnet but the sandwich's largest takes the largest subnet's
  value with probability max(0, 1 − t / shrinking_epochs), so training starts on the largest
  network and reaches the unrestricted rule at ``shrinking_epochs``;
- ``skip_positions`` (layer-wise spaces): ``first`` hands the supernet a random subnet as the
  network it builds (a stage's chosen layers at its first positions, as every candidate is
  scored); ``sampled`` hands it every layer's drawn entry in place (a skip where it was drawn).

Every subnet is described by the space's parameters first (a dict, as a search samples them)
and turned into what the supernet's forward takes last, so the rules compose.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Extremes:
    """The largest and smallest subnets' parameters and forward inputs (computed once an
    epoch, not every step)."""

    largest_params: dict
    smallest_params: dict
    largest: object
    smallest: object

    @classmethod
    def of(cls, supernet, options) -> Extremes:
        largest = supernet.extreme_params(maximum=True)
        smallest = supernet.extreme_params(maximum=False)
        return cls(largest, smallest, subnet_of(supernet, options, largest),
                   subnet_of(supernet, options, smallest))


def subnet_of(supernet, options, params: dict):
    """What the supernet's forward takes for the space's ``params``: the proxy network, or
    every layer's entry in place under ``skip_positions="sampled"``."""
    if options.skip_positions == "sampled":
        return supernet.placed(params)
    return supernet.geometry.proxy(supernet.space.arch(params))


def shrinking_share(options, elapsed_epochs: float) -> float:
    """Probability that a parameter of a non-largest subnet takes the largest's value after
    ``elapsed_epochs`` of training (0 once shrinking is over, or without it)."""
    if options.shrinking_epochs <= 0:
        return 0.0
    return max(0.0, 1.0 - elapsed_epochs / options.shrinking_epochs)


def fair_subnets(space, rng) -> list[dict]:
    """One FairNAS step: every parameter takes each of its options once, in a random order
    (a parameter with fewer options than the longest repeats randomly chosen ones)."""
    parameters = space.parameters()
    count = max((len(options) for options in parameters.values()), default=1)
    columns = {}
    for name, options in parameters.items():
        picks = list(rng.permutation(len(options)))
        picks += [int(rng.integers(len(options))) for _ in range(count - len(options))]
        columns[name] = [options[index] for index in picks]
    return [{name: column[row] for name, column in columns.items()} for row in range(count)]


def step_subnets(supernet, options, rng, extremes: Extremes | None = None, *,
                 elapsed_epochs: float = 0.0) -> list[tuple]:
    """The (subnet, taught by: ``labels`` or ``largest``) pairs of one step, in order, drawn
    with ``rng`` (a numpy Generator); ``elapsed_epochs``: training done so far (shrinking)."""
    space = supernet.space
    extremes = extremes or Extremes.of(supernet, options)
    keep = shrinking_share(options, elapsed_epochs)

    def subnet(params: dict):
        if keep > 0:  # no draws otherwise: runs without shrinking draw what they always drew
            params = {name: extremes.largest_params[name] if rng.random() < keep else value
                      for name, value in params.items()}
        return subnet_of(supernet, options, params)

    def random_subnets(count):
        return [subnet(space.random_params(rng)) for _ in range(count)]

    if options.sampling == "uniform":
        return [(arch, "labels") for arch in random_subnets(options.random_subnets)]
    if options.sampling == "fair":
        return [(subnet(values), "labels") for values in fair_subnets(space, rng)]
    teacher = "largest" if options.distillation else "labels"
    smallest = subnet(extremes.smallest_params) if keep > 0 else extremes.smallest
    students = [smallest, *random_subnets(options.random_subnets)]
    return [(extremes.largest, "labels"), *[(arch, teacher) for arch in students]]
