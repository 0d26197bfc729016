"""Samplers, pruners and per-trial seeds.

Every trial's randomness (the sampler's draws and the proxy's weights, batch order and
augmentation) derives from (study seed, trial number), so results do not depend on how many
workers run or which worker picks a trial. :class:`WorkerSampler` achieves this for the sampler
by building a fresh, seeded sampler for each trial (Optuna's samplers keep no state between
trials other than their random generator).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy
import optuna
from optuna.samplers import BaseSampler

from nas.study._evolution import RegularizedEvolutionSampler


def derived_seed(*keys: int) -> int:
    """A 31-bit seed derived from a tuple of non-negative integers."""
    return int(numpy.random.SeedSequence(list(keys)).generate_state(1)[0] % (2**31 - 1))


def trial_seed(study_seed: int, trial_number: int) -> int:
    """A 31-bit seed derived from (study seed, trial number)."""
    return derived_seed(study_seed, trial_number)


class WorkerSampler(BaseSampler):
    """Wraps a sampler and (``reseed``) rebuilds it with the trial's own seed before every
    trial."""

    def __init__(self, factory: Callable[[int], BaseSampler], study_seed: int, *,
                 reseed: bool) -> None:
        self._factory = factory
        self._study_seed = study_seed
        self._reseed = reseed
        self._inner = factory(trial_seed(study_seed, 2**31) if reseed else study_seed)

    def __str__(self) -> str:
        how = f"seeded per trial from {self._study_seed}" if self._reseed else \
            f"seed {self._study_seed}"
        return f"{type(self._inner).__name__}({how})"

    def before_trial(self, study, trial) -> None:
        if self._reseed:
            self._inner = self._factory(trial_seed(self._study_seed, trial.number))
        self._inner.before_trial(study, trial)

    def infer_relative_search_space(self, study, trial):
        return self._inner.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self._inner.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution) -> Any:
        return self._inner.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study, trial, state, values) -> None:
        self._inner.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:  # seeds come from trial numbers, never from the clock
        pass


TPE_STARTUP_TRIALS = 10
GP_STARTUP_TRIALS = 10
NSGA2_POPULATION = 20


def make_sampler(kind: str, *, seed: int, grid: dict[str, list] | None = None) -> BaseSampler:
    """``tpe`` (multivariate, constant liar for parallel workers), ``gp`` (Optuna's Gaussian
    process sampler), ``evolution`` (regularized evolution, see :mod:`nas.study._evolution`),
    ``random``, ``nsga2`` or ``grid`` (needs ``grid``). Settings never depend on ``--trials``, so topping up a study
    does not change how it samples."""
    if kind == "tpe":
        def factory(value: int) -> BaseSampler:
            return optuna.samplers.TPESampler(seed=value, multivariate=True, constant_liar=True,
                                              n_startup_trials=TPE_STARTUP_TRIALS)
    elif kind == "gp":
        def factory(value: int) -> BaseSampler:
            return optuna.samplers.GPSampler(seed=value, n_startup_trials=GP_STARTUP_TRIALS,
                                             warn_independent_sampling=False)
    elif kind == "evolution":
        def factory(value: int) -> BaseSampler:
            return RegularizedEvolutionSampler(seed=value)
    elif kind == "random":
        def factory(value: int) -> BaseSampler:
            return optuna.samplers.RandomSampler(seed=value)
    elif kind == "nsga2":
        def factory(value: int) -> BaseSampler:
            return optuna.samplers.NSGAIISampler(seed=value, population_size=NSGA2_POPULATION)
    elif kind == "grid":
        # GridSampler shuffles its grid with the seed, and grid ids must mean the same point in
        # every worker: one fixed seed, never re-seeded per trial.
        def factory(value: int) -> BaseSampler:
            return optuna.samplers.GridSampler(grid, seed=value)
        return WorkerSampler(factory, seed, reseed=False)
    else:
        raise ValueError(f"sampler must be tpe, gp, evolution, random, nsga2 or grid, "
                         f"but got {kind!r}")
    return WorkerSampler(factory, seed, reseed=True)


def first_prunable_epoch(*, epochs: int, warmup_epochs: float) -> int:
    """The first epoch (1-based) whose result may prune a trial: the first epoch trained wholly
    after the learning-rate warm-up (which lasts ``warmup_epochs``, capped at a fifth of
    training as the trainer caps it), so no trial is judged by its warm-up accuracy."""
    warmup = min(warmup_epochs, epochs / 5)
    return min(epochs, math.ceil(warmup - 1e-9) + 1)


def make_pruner(kind: str, *, epochs: int, warmup_epochs: float = 0.0
                ) -> optuna.pruners.BasePruner:
    """``none``, ``median`` (after 3 trials) or ``hyperband`` (resources 1..epochs); both prune
    no earlier than :func:`first_prunable_epoch`."""
    first = first_prunable_epoch(epochs=epochs, warmup_epochs=warmup_epochs)
    if kind == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=first)
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=first,
                                              max_resource=max(first + 1, epochs))
    return optuna.pruners.NopPruner()
