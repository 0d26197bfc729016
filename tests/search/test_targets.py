"""Targets resolve in the library as on the command line: study:NAME[:N] and checkpoints."""

import pytest

import nas
from nas._errors import StudyError
from nas.arch import load
from nas.search import arch_of, find_trial, load_weighted_target, run_search
from nas.train import FullTrainOptions, TrainConfig, train_full
from tests.conftest import tiny_search_options


def test_study_and_checkpoint_targets_resolve_from_python(tmp_path):
    run = run_search(tiny_search_options(tmp_path, study={"trials": 2},
                                         train={"epochs": 1}), progress=False)
    best = nas.resolve_target(f"study:{run.name}", root=str(tmp_path))
    assert best == arch_of(find_trial(run.study, "best"))
    assert best == load(str(run.outputs["best"]))
    first = load_weighted_target(f"study:{run.name}:0", root=str(tmp_path))
    assert first.arch == arch_of(run.study.trials[0]) and first.name == f"{run.name}-trial0"
    with pytest.raises(StudyError, match="trial must be one of 0..1"):
        nas.resolve_target(f"study:{run.name}:99", root=str(tmp_path))

    trained = train_full(FullTrainOptions(arch=best, name="best", resolution=8,
                                          out=str(tmp_path / "run"),
                                          train=TrainConfig(epochs=1, threads=1)))
    loaded = load_weighted_target(trained.document["checkpoint"])
    assert loaded.arch.stages == best.stages and loaded.state_dict is not None
