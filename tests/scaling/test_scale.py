import dataclasses

import pytest
from optuna.trial import TrialState

from nas._errors import StudyError
from nas.cost import count
from nas.scaling import ScaleOptions, point_trials, read_scaling, run_scale, scaled_arch
from nas.scaling import scaling_document, write_scaling
from nas.scoring import ProxySettings
from nas.search import arch_of, best_trial, run_search
from nas.study import StudySettings
from nas.space import load_space
from nas.train import TrainConfig
from tests.conftest import tiny_search_options

TINY = load_space("tiny").baseline()


def options(root, confirm=0, **study):
    return ScaleOptions(base=TINY, base_name="tiny", step="0.5", confirm=confirm,
                        proxy=ProxySettings(train=TrainConfig(epochs=1, threads=1),
                                            train_size=300),
                        study=StudySettings(root=str(root), **study))


def test_scaled_architecture_follows_the_point():
    point = next(p for p in options(".").all_points() if p.kind == "resolution only")
    arch = scaled_arch(TINY, point, 1.0)
    assert arch.resolution == 88  # 64 × √2 = 90.5, rounded to a multiple of 8 as families are
    assert arch.stages == TINY.stages


def test_every_point_is_exactly_its_phi_1_family_member():
    from nas.arch import preset
    from nas.scaling import compound_member
    base = preset("efficientnet-b0")
    for point in ScaleOptions(base=base, base_name="b0", step="0.1").all_points():
        alpha, beta, gamma = point.floats()
        member = compound_member(base, phi=1, alpha=alpha, beta=beta, gamma=gamma, name="x")
        assert scaled_arch(base, point, 1.0) == member.arch, point.label


def test_points_that_round_to_one_network_train_it_once(tmp_path):
    # at step 0.1 depth 1.9 and the depth-only baseline 2.0 round every stage's repeats alike
    run = run_scale(dataclasses.replace(options(tmp_path), points=("1.9,1,1",)),
                    progress=False)
    trials = {t.params["point"]: t for t in run.study.get_trials()}
    first, second = sorted((trials["1.9,1,1"], trials["2,1,1"]), key=lambda t: t.number)
    assert first.user_attrs["arch"] == second.user_attrs["arch"]
    assert second.user_attrs["same_network_as"] == first.number
    assert "train_seconds" not in second.user_attrs and "train_seconds" in first.user_attrs
    assert second.value == first.value
    trained = [t for t in trials.values() if "same_network_as" not in t.user_attrs]
    archs = [(str(t.user_attrs["arch"]), t.user_attrs["proxy_resolution"]) for t in trained]
    assert len(archs) == len(set(archs))  # no network trained twice


def test_grid_runs_to_completion_and_resumes_only_missing_points(tmp_path):
    run = run_scale(options(tmp_path, timeout=0.05), progress=False)  # a trial takes longer
    assert run.ran == 1
    points = options(tmp_path).all_points()
    labels = [p.label for p in points]
    assert len(labels) == 4  # (2,1,1) is the only grid point at step 0.5, plus base, √2 × 2
    run = run_scale(options(tmp_path), progress=False)
    assert run.ran == 3
    trials = run.study.get_trials()
    assert sorted(t.params["point"] for t in trials) == sorted(labels)
    assert all(t.state == TrialState.COMPLETE for t in trials)
    resolution_only = next(t for t in trials if t.user_attrs["kind"] == "resolution only")
    assert resolution_only.user_attrs["proxy_resolution"] == 45  # 32 × √2
    assert resolution_only.user_attrs["flops"] == count(scaled_arch(
        TINY, next(p for p in points if p.kind == "resolution only"), 1.0)).flops
    base = next(t for t in trials if t.user_attrs["kind"] == "base")
    assert base.user_attrs["flops_ratio"] == 1.0
    again = run_scale(options(tmp_path), progress=False)
    assert again.ran == 0


def test_scaling_file_round_trip(tmp_path):
    run = run_scale(options(tmp_path), progress=False)
    trials = point_trials(run.study)
    document = scaling_document(base=TINY, base_name="tiny", phi=1.0, study_name=run.name,
                                storage=run.storage, trials=trials)
    assert document["alpha"] == 2.0 and document["beta"] == document["gamma"] == 1.0
    assert set(document["single_dimension_accuracy"]) == {"base", "width only",
                                                          "resolution only"}
    path = write_scaling(document, str(tmp_path), run.name)
    assert str(path) == run.outputs["scaling"]  # run_scale itself wrote the same document
    assert read_scaling(str(path)) == (TINY, "tiny", 2.0, 1.0, 1.0)
    assert run.summary["chosen"]["alpha"] == 2.0 and run.summary["scaling_file"] == str(path)


def test_scaling_a_search_result(tmp_path):
    search = run_search(tiny_search_options(tmp_path, study={"trials": 1}), progress=False)
    found = arch_of(best_trial(search.study))
    run = run_scale(dataclasses.replace(options(tmp_path), base=found), progress=False)
    assert len(point_trials(run.study)) == 4
    assert arch_of(point_trials(run.study)[-1]).stages[0].kernel_size == \
        found.stages[0].kernel_size


def test_other_grid_under_the_same_name_is_refused(tmp_path):
    run_scale(options(tmp_path, name="grid"), progress=False)
    with pytest.raises(StudyError, match="made with other settings"):
        run_scale(dataclasses.replace(options(tmp_path, name="grid"), step="0.25"),
                  progress=False)


def point(value, kind, product, ratio, coefficients=(1.2, 1.1, 1.15), number=0):
    import optuna

    alpha, beta, gamma = coefficients
    trial = optuna.trial.create_trial(value=value, user_attrs={
        "kind": kind, "product": product, "flops_ratio": ratio, "alpha": alpha, "beta": beta,
        "gamma": gamma})
    trial.number = number
    return trial


def test_ties_go_to_the_actual_flops_ratio_closest_to_two():
    from nas.scaling import chosen

    far = point(0.9, "compound", 2.0, 2.6)  # nominally exact, but rounding made it 2.6x
    near = point(0.9, "compound", 1.9, 2.05)
    assert chosen([far, near]) is near and chosen([near, far]) is near
    better = point(0.91, "compound", 2.1, 2.9)
    assert chosen([far, near, better]) is better  # accuracy first
    assert chosen([point(0.99, "depth only", 2.0, 2.0)]) is None  # baselines are not chosen


def test_within_noise_a_point_growing_every_dimension_wins():
    from nas.scaling import chosen

    depth = point(0.95, "compound, depth only", 2.0, 2.0, (2.0, 1.0, 1.0), number=1)
    depth_resolution = point(0.945, "compound", 1.9, 1.95, (1.6, 1.0, 1.1), number=2)
    balanced = point(0.94, "compound", 2.0, 2.2, (1.2, 1.1, 1.15), number=3)
    trials = [depth, depth_resolution, balanced]
    # seed std 0.01: the margin is 2 x sqrt(2) x 0.01 = 0.028, all three tie
    assert chosen(trials, seed_std=0.01) is balanced
    # seed std 0.002: margin 0.0057, the balanced point is 0.01 behind: beyond noise; the
    # depth-only point ties the depth-and-resolution one, which grows more dimensions
    assert chosen(trials, seed_std=0.002) is depth_resolution
    assert chosen(trials, seed_std=0.001) is depth  # margin 0.0028: depth-only beyond noise
    assert chosen(trials) is depth  # no noise estimate: only exact ties tie
    # means over seeds decide: confirmations pull the depth-only point down
    groups = {1: [0.95, 0.90], 2: [0.945], 3: [0.94]}
    assert chosen(trials, groups) is depth_resolution


def test_confirmation_trains_the_top_points_again_and_measures_noise(tmp_path):
    from nas.scaling import seed_accuracies
    from nas.search import pooled_seed_std
    from nas.study import CONFIRM_KEY

    scale = dataclasses.replace(options(tmp_path, confirm=2), step="0.25")
    run = run_scale(scale, progress=False)
    trials = run.study.get_trials()
    grid = [t for t in trials if CONFIRM_KEY not in t.user_attrs]
    confirmations = [t for t in trials if CONFIRM_KEY in t.user_attrs]
    compound = sorted((t for t in grid if t.user_attrs["kind"].startswith("compound")),
                      key=lambda t: (-t.value, t.number))
    assert len(compound) == 3 and len(confirmations) == 2
    assert sorted(t.user_attrs[CONFIRM_KEY] for t in confirmations) == \
        sorted(t.number for t in compound[:2])
    by_number = {t.number: t for t in trials}
    for trial in confirmations:  # the same network, trained again under another seed
        original = by_number[trial.user_attrs[CONFIRM_KEY]]
        assert trial.user_attrs["arch"] == original.user_attrs["arch"]
        assert trial.user_attrs["seed"] != original.user_attrs["seed"]
        assert "train_seconds" in trial.user_attrs
    groups = seed_accuracies(run.study)
    expected = pooled_seed_std(values for values in groups.values() if len(values) == 2)
    assert run.summary["seed_std"] == pytest.approx(expected, abs=1e-6)
    assert run.summary["confirmed_points"] == 2
    seeds = {row["trial"]: row["seeds"] for row in run.summary["ranking"]}
    assert sorted(seeds[t.number] for t in compound) == [1, 2, 2]
    assert run.summary["trials_needed"] == len(scale.all_points()) + 2 == run.ran == 8
    assert run_scale(scale, progress=False).ran == 0  # nothing new is queued on a re-run
