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
