"""Regularized evolution (Real et al. 2019, "Regularized Evolution for Image Classifier
Architecture Search"), as an Optuna sampler: the standard NAS baseline that NNI and Archai ship.

The population is the ``population_size`` most recent complete trials (aging: the oldest leave,
however good). Each new trial picks ``tournament_size`` members at random, takes the best as
parent, and changes exactly one of its parameters to another value (an integer parameter to
another integer of its range, a categorical one to another choice). Until the population is
full, trials are random. A child that repeats parameters already tried is drawn again (up to a
limit), so the search does not spend trials on networks it has seen. Single objective only.
"""

from __future__ import annotations

import json
from typing import Any

import numpy
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.search_space import IntersectionSearchSpace
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

POPULATION_SIZE = 10
TOURNAMENT_SIZE = 3
MUTATION_ATTEMPTS = 20


class RegularizedEvolutionSampler(BaseSampler):
    """Aging evolution with tournament selection and one-parameter mutation.

    Args:
        population_size: complete trials in the population (the most recent ones).
        tournament_size: members drawn per tournament; the best is the parent.
        seed: seed of the random choices.
    """

    def __init__(self, *, population_size: int = POPULATION_SIZE,
                 tournament_size: int = TOURNAMENT_SIZE, seed: int | None = None) -> None:
        if not 2 <= tournament_size <= population_size:
            raise ValueError(f"tournament size must be in [2, population size "
                             f"{population_size}], but got {tournament_size}")
        self.population_size = population_size
        self.tournament_size = tournament_size
        self._rng = numpy.random.default_rng(seed)
        self._random = RandomSampler(seed=seed)
        self._search_space = IntersectionSearchSpace()

    def reseed_rng(self) -> None:
        self._rng = numpy.random.default_rng()
        self._random.reseed_rng()

    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial
                                    ) -> dict[str, BaseDistribution]:
        return {name: distribution
                for name, distribution in self._search_space.calculate(study).items()
                if isinstance(distribution, (IntDistribution, CategoricalDistribution))}

    def sample_relative(self, study: optuna.Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        if not search_space:
            return {}
        if len(study.directions) != 1:
            raise ValueError("regularized evolution must have one objective, but the study "
                             f"has {len(study.directions)}")
        trials = study.get_trials(deepcopy=False)
        complete = [t for t in trials if t.state == TrialState.COMPLETE
                    and set(search_space) <= set(t.params)]
        if len(complete) < self.population_size:
            return {}  # still filling the population: independent random sampling
        population = sorted(complete, key=lambda t: t.number)[-self.population_size:]
        picks = self._rng.choice(len(population), size=self.tournament_size, replace=False)
        sign = 1 if study.direction == StudyDirection.MAXIMIZE else -1
        parent = max((population[i] for i in picks), key=lambda t: sign * t.value)
        seen = {_key(t.params) for t in trials if t.params}
        child = {name: parent.params[name] for name in search_space}
        for _ in range(MUTATION_ATTEMPTS):
            child = self._mutate(parent, search_space)
            if _key(child) not in seen:
                break
        return child

    def _mutate(self, parent: FrozenTrial, search_space: dict[str, BaseDistribution]
                ) -> dict[str, Any]:
        child = {name: parent.params[name] for name in search_space}
        mutable = [name for name, distribution in search_space.items()
                   if len(_values(distribution)) > 1]
        if not mutable:
            return child
        name = mutable[int(self._rng.integers(len(mutable)))]
        others = [value for value in _values(search_space[name]) if value != child[name]]
        child[name] = others[int(self._rng.integers(len(others)))]
        return child

    def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        return self._random.sample_independent(study, trial, param_name, param_distribution)


def _values(distribution: BaseDistribution) -> list:
    if isinstance(distribution, IntDistribution):
        return list(range(distribution.low, distribution.high + 1, distribution.step))
    return list(distribution.choices)


def _key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)
