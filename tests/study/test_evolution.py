import optuna
import pytest

from nas.study import RegularizedEvolutionSampler, make_sampler


def objective(trial):
    values = [trial.suggest_int(f"x{i}", 0, 4) for i in range(4)]
    colour = trial.suggest_categorical("colour", ["red", "green", "blue"])
    return sum(values) + (2 if colour == "blue" else 0)


def test_children_mutate_exactly_one_choice_of_a_population_member():
    study = optuna.create_study(direction="maximize",
                                sampler=RegularizedEvolutionSampler(population_size=6,
                                                                    tournament_size=3, seed=0))
    study.optimize(objective, n_trials=40)
    trials = study.trials
    for index, child in enumerate(trials[6:], start=6):
        population = trials[index - 6:index]  # the six most recent, all complete
        distances = [sum(child.params[k] != member.params[k] for k in child.params)
                     for member in population]
        assert min(distances) == 1, child.number
    keys = [tuple(sorted(t.params.items())) for t in trials]
    assert len(keys) == len(set(keys))  # never the same parameters twice
    assert study.best_value >= 14  # it climbs: random draws average 8 (max 18)


def test_evolution_is_seeded_and_refuses_bad_settings():
    def run():
        study = optuna.create_study(direction="maximize",
                                    sampler=make_sampler("evolution", seed=3))
        study.optimize(objective, n_trials=25)
        return [t.params for t in study.trials]

    assert run() == run()
    with pytest.raises(ValueError, match="tournament size must be"):
        RegularizedEvolutionSampler(population_size=4, tournament_size=5)


def test_gp_sampler_handles_the_ordinal_and_categorical_parameters():
    study = optuna.create_study(direction="maximize", sampler=make_sampler("gp", seed=0))
    study.optimize(objective, n_trials=14)  # 10 random, then 4 from the Gaussian process
    assert len(study.trials) == 14 and study.best_value >= 10


CORNERS = {f"x{i}": optuna.distributions.IntDistribution(0, 9) for i in range(4)}


def corner_study(values, *, direction="maximize", seed=0, tournament_size=None):
    """A study whose complete trial ``i`` has every parameter equal to ``i`` and the value
    ``values[i]``: any two trials differ in all four parameters, so a child (one parameter
    changed) names its parent."""
    sampler = RegularizedEvolutionSampler(population_size=len(values),
                                          tournament_size=tournament_size or len(values),
                                          seed=seed)
    study = optuna.create_study(direction=direction, sampler=sampler)
    for index, value in enumerate(values):
        study.add_trial(optuna.trial.create_trial(
            value=value, params={name: index for name in CORNERS}, distributions=CORNERS))
    return study


def parent_of(params):
    """The corner trial a child is one mutation away from."""
    [parent] = [index for index in range(10)
                if sum(value != index for value in params.values()) == 1]
    return parent


# the best is neither first, last nor the median; the worst is not at either end either
VALUES = [0.50, 0.61, 0.40, 0.72, 0.10, 0.55, 0.93, 0.35, 0.66, 0.20]


@pytest.mark.parametrize("direction, best", [("maximize", 6), ("minimize", 4)])
def test_a_tournament_of_the_whole_population_takes_its_best_as_parent(direction, best):
    for seed in range(6):  # a random member would be the best once in ten
        study = corner_study(VALUES, direction=direction, seed=seed)
        child = study.ask(CORNERS)
        assert parent_of(child.params) == best, (direction, seed)


def test_a_tournament_never_takes_the_worst_of_its_sample():
    # tournaments of 2 out of 10: the worst member is never the better of two, while the
    # best wins every tournament it is drawn into (one in five), and only those
    study = corner_study(VALUES, tournament_size=2, seed=1)
    parents = [parent_of(study.ask(CORNERS).params) for _ in range(40)]
    assert 4 not in parents  # value 0.10, the worst
    assert 3 <= parents.count(6) <= 20  # value 0.93, the best: a tournament, not greed
