
import optuna
import pytest
from optuna.trial import TrialState

from nas._errors import StudyError

from nas.cost import count
from nas.search import arch_of, best_trial, proxy_warnings, run_search
from nas.space import load_space
from nas.study import first_prunable_epoch, make_storage
from tests.conftest import tiny_search_options

NAME = "tiny-digits-5M-soft"


def journal(root, name=NAME):
    return str(root / "studies" / name / "journal.log")


def load(root, name=NAME):
    return optuna.load_study(study_name=name, storage=make_storage(journal(root, name),
                                                                   root=str(root),
                                                                   name=name))


def test_search_runs_exact_trials_with_readable_params_and_attributes(tmp_path):
    run = run_search(tiny_search_options(tmp_path, baseline=True), progress=False)
    assert (run.ran, run.signal, run.failure) == (3, None, None)
    study = load(tmp_path)
    trials = study.get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
    baseline = trials[0]
    assert baseline.user_attrs["baseline"] is True
    assert arch_of(baseline) == load_space("tiny").baseline()
    assert set(baseline.params) == set(load_space("tiny").parameters())
    assert "stage3.kernel_size" in baseline.params
    attrs = baseline.user_attrs
    assert attrs["flops"] == count(arch_of(baseline)).flops == 4_288_672
    assert len(attrs["accuracy_per_epoch"]) == 2
    assert attrs["accuracy"] == attrs["accuracy_per_epoch"][-1]
    assert attrs["blocks"][1] == "ir_r1_k3_s2_e3_c24_se0.25"
    assert attrs["train_seconds"] > 0 and attrs["host"] and attrs["pid"]
    assert baseline.intermediate_values.keys() == {1, 2}
    assert baseline.constraints == {"flops": pytest.approx(4_288_672 / 25_000_000 - 1)}
    assert baseline.value == pytest.approx(attrs["accuracy"] * (4_288_672 / 5e6) ** -0.07)


def test_rerun_tops_up_without_rerunning_finished_trials(tmp_path):
    run_search(tiny_search_options(tmp_path, study={"trials": 2}), progress=False)
    before = {t.number: (t.params, t.value) for t in load(tmp_path).get_trials()}
    again = run_search(tiny_search_options(tmp_path, study={"trials": 2}), progress=False)
    assert again.ran == 0
    run_search(tiny_search_options(tmp_path, study={"trials": 4}), progress=False)
    after = load(tmp_path).get_trials()
    assert len(after) == 4
    assert {t.number: (t.params, t.value) for t in after[:2]} == before


def test_same_seed_same_results_on_fresh_stores(tmp_path):
    def once(root):
        run = run_search(tiny_search_options(root, study={"trials": 2, "seed": 11}),
                         progress=False)
        assert run.name == "tiny-digits-5M-soft-seed11"
        return [(t.params, t.user_attrs["accuracy_per_epoch"])
                for t in load(root, run.name).get_trials()]
    assert once(tmp_path / "a") == once(tmp_path / "b")


@pytest.mark.parametrize("reward", ["soft", "hard"])
def test_over_budget_candidates_are_never_trained(tmp_path, reward):
    options = tiny_search_options(tmp_path, reward=reward, target_flops=4_000_000, slack=0.0,
                                  baseline=True, study={"name": "budget", "trials": 2})
    run_search(options, progress=False)
    trials = load(tmp_path, "budget").get_trials()
    skipped = [t for t in trials if "skipped" in t.user_attrs]
    assert skipped and skipped[0].number == 0  # the 4.29 MFLOP baseline is over 4 MFLOPs
    for trial in skipped:
        assert trial.state == TrialState.PRUNED
        assert "over the FLOP budget" in trial.user_attrs["skipped"]
        assert "train_seconds" not in trial.user_attrs
        assert trial.constraints["flops"] > 0
        assert trial.user_attrs["flops"] > 4_000_000
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(complete) == 2  # skipped candidates do not count towards --trials
    assert all(t.constraints["flops"] <= 0 for t in trials if "train_seconds" in t.user_attrs)


def test_reusing_a_name_with_other_settings_is_refused(tmp_path):
    run_search(tiny_search_options(tmp_path, study={"name": "mine", "trials": 1}),
               progress=False)
    with pytest.raises(StudyError, match=r"made with other settings.*epochs=2 \(this run: 3\)"):
        run_search(tiny_search_options(tmp_path, study={"name": "mine", "trials": 1},
                                       train={"epochs": 3}), progress=False)
    with pytest.raises(StudyError, match="reward=\"soft\" \\(this run: \"hard\"\\)"):
        run_search(tiny_search_options(tmp_path, reward="hard",
                                       study={"name": "mine", "trials": 1}), progress=False)
    assert len(load(tmp_path, "mine").get_trials()) == 1


def test_multi_objective_reports_a_pareto_front(tmp_path):
    from nas.search import pareto_trials
    options = tiny_search_options(tmp_path, objective="multi", study={"trials": 4})
    run = run_search(options, progress=False)
    study = load(tmp_path, run.name)
    assert run.name.endswith("-multi")
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    front = pareto_trials(study)
    assert front and all(t.values[1] == t.user_attrs["flops"] for t in front)
    assert best_trial(study) in front


@pytest.mark.parametrize("pruner", ["median", "hyperband"])
def test_pruner_stops_weak_trials_early(tmp_path, pruner):
    epochs = 4
    options = tiny_search_options(tmp_path, study={"trials": 10, "pruner": pruner,
                                                   "sampler": "random"},
                                  train={"epochs": epochs}, proxy={"train_size": 300})
    run_search(options, progress=False)
    trials = load(tmp_path).get_trials()
    assert sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials) == 10
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    assert pruned, "no trial was pruned"
    first = first_prunable_epoch(epochs=epochs, warmup_epochs=1.0)
    assert first == 2  # a 4-epoch run warms up for 0.8 epochs: epoch 1 never prunes
    for trial in pruned:  # stopped after the warm-up, before the last epoch
        assert first <= len(trial.intermediate_values) < epochs
        assert len(trial.user_attrs["accuracy_per_epoch"]) == len(trial.intermediate_values)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert all(len(t.intermediate_values) == epochs for t in complete)


def test_seed_and_data_content_are_part_of_a_studys_identity(tmp_path):
    import numpy
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = (digits.images * 15).astype(numpy.uint8)
    numpy.savez(tmp_path / "a.npz", x_train=images, y_train=digits.target)
    (tmp_path / "moved").mkdir()
    numpy.savez(tmp_path / "moved" / "a.npz", x_train=images, y_train=digits.target)
    name = {"name": "ident", "trials": 1}
    run_search(tiny_search_options(tmp_path, study=name, proxy={"data": f"npz:{tmp_path}/a.npz"}),
               progress=False)
    # the same content at another path is the same data set
    moved = run_search(tiny_search_options(
        tmp_path, study=name, proxy={"data": f"npz:{tmp_path}/moved/a.npz"}), progress=False)
    assert moved.ran == 0
    numpy.savez(tmp_path / "a.npz", x_train=images[::-1], y_train=digits.target[::-1])
    with pytest.raises(StudyError, match="data="):
        run_search(tiny_search_options(tmp_path, study=name,
                                       proxy={"data": f"npz:{tmp_path}/a.npz"}), progress=False)
    with pytest.raises(StudyError, match="seed=0 \\(this run: 1\\)"):
        run_search(tiny_search_options(tmp_path, study={**name, "seed": 1},
                                       proxy={"data": f"npz:{tmp_path}/moved/a.npz"}),
                   progress=False)
    assert tiny_search_options(tmp_path, study={"seed": 3}).study_name(
        load_space("tiny")).endswith("-seed3")


@pytest.mark.parametrize("which", ["\u00b2", "x", "-1", "99"])
def test_find_trial_rejects_what_is_not_a_trial(which):
    from nas.search import find_trial
    study = optuna.create_study()
    study.add_trial(optuna.trial.create_trial(value=1.0))
    with pytest.raises(StudyError, match="trial must be"):
        find_trial(study, which)


def test_proxy_warnings_name_the_resolution_that_sees_every_kernel_choice():
    space = load_space("efficientnet_b0")
    lines = proxy_warnings(space, 32)
    assert len(lines) == 4 and all("--proxy-resolution 72" in line for line in lines)
    lines = proxy_warnings(space, 32, strides_removed=1)
    assert len(lines) == 2 and all("--proxy-resolution 40" in line for line in lines)


def test_search_warns_once_per_blind_stage(cli):
    common = ["search", "--space", "tiny", "--flops", "5M", "--slack", "4", "--prescreen", "0",
              "--trials", "1", "--epochs", "1", "--threads", "1", "--train-size", "200"]
    result = cli(*common, "--proxy-strides-removed", "0")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and warnings[0].startswith("warning: stage 4: kernel_size 3 and 5")
    quiet = cli(*common, "--proxy-strides-removed", "0", "--proxy-resolution", "40",
                "--study", "at40")
    assert quiet.returncode == 0 and "warning:" not in quiet.stderr
    default = cli(*common, "--study", "default")  # 32 px with one stride removed sees them all
    assert default.returncode == 0 and "warning:" not in default.stderr


def test_confirm_trains_the_best_again_and_picks_the_best_mean(tmp_path):
    from nas.search import pooled_seed_std, seed_noise
    from nas.study import CONFIRM_KEY

    options = tiny_search_options(tmp_path, confirm=2, study={"trials": 4})
    run = run_search(options, progress=False)
    assert run.ran == 6 and run.failure is None
    study = load(tmp_path)
    trials = study.get_trials()
    originals = [t for t in trials if CONFIRM_KEY not in t.user_attrs]
    confirmations = [t for t in trials if CONFIRM_KEY in t.user_attrs]
    assert len(originals) == 4 and len(confirmations) == 2
    top = sorted(originals, key=lambda t: (-t.value, t.number))[:2]
    assert sorted(t.user_attrs[CONFIRM_KEY] for t in confirmations) == \
        sorted(t.number for t in top)
    by_number = {t.number: t for t in trials}
    means = {}
    for trial in confirmations:  # the same network under another training seed
        original = by_number[trial.user_attrs[CONFIRM_KEY]]
        assert trial.user_attrs["arch"] == original.user_attrs["arch"]
        assert trial.user_attrs["seed"] != original.user_attrs["seed"]
        means[original.number] = (original.value + trial.value) / 2
    winner = max(means, key=means.get)
    assert best_trial(study).number == winner == run.summary["best"]["number"]
    assert run.summary["best"]["mean_reward"] == pytest.approx(means[winner])
    noise = seed_noise(study)
    assert noise.seed_std == pytest.approx(pooled_seed_std(
        [by_number[n].value, by_number[n].value - 2 * (by_number[n].value - m)]
        for n, m in means.items()))
    assert run.summary["noise"]["confirmed"] == 2
    assert all(record["number"] not in {t.number for t in confirmations}
               for record in run.summary["top"])  # seeds of their original, not rows
    assert run.summary["best"]["within_noise"] is True
    again = run_search(options, progress=False)  # a re-run queues and trains nothing new
    assert again.ran == 0 and len(load(tmp_path).get_trials()) == 6


def test_a_network_sampled_again_shares_its_result_instead_of_training(tmp_path):
    from nas.search import SAME_NETWORK_KEY

    run_search(tiny_search_options(tmp_path, baseline=True, study={"trials": 1}),
               progress=False)
    space = load_space("tiny")
    load(tmp_path).enqueue_trial(space.trial_params(space.baseline_params()))
    run = run_search(tiny_search_options(tmp_path, baseline=True, study={"trials": 2}),
                     progress=False)
    first, second = load(tmp_path).get_trials()
    assert run.ran == 1 and second.state == TrialState.COMPLETE
    assert second.user_attrs["arch"] == first.user_attrs["arch"]
    assert second.user_attrs[SAME_NETWORK_KEY] == first.number
    assert second.value == first.value and "train_seconds" not in second.user_attrs


def test_regularized_evolution_is_refused_for_two_objectives(tmp_path):
    from nas._errors import ConfigError

    options = tiny_search_options(tmp_path, objective="multi", study={"sampler": "evolution"})
    with pytest.raises(ConfigError, match="sampler must be nsga2, tpe, gp or random"):
        run_search(options, progress=False)
    assert not (tmp_path / "studies").exists()  # nothing written
