"""``nas search --evaluate table:FILE`` and ``nas rank-check --truth table:FILE``: a tabular
benchmark (NAS-Bench-Macro, shared data) answers instead of training."""

import json
import shutil

import optuna
import pytest

from nas.space import load_space
from nas.scoring import network_key, open_table
from nas.study import make_storage
from tests.conftest import SHARED

TABLE = SHARED / "data" / "nasbench_macro" / "nas-bench-macro_cifar10.json"
NAME = "nasbench_macro-table-52M-soft"


@pytest.fixture
def table_file(tmp_path):
    if not TABLE.is_file():
        pytest.skip(f"needs the shared file {TABLE} (set NAS_SHARED to the shared folder)")
    return str(TABLE)


def search(table: str, *extra: str) -> list[str]:
    return ["search", "--space", "nasbench_macro", "--flops", "52M", "--sampler", "random",
            "--evaluate", f"table:{table}", *extra]


def trials_of(root, name: str = NAME) -> list[optuna.trial.FrozenTrial]:
    path = root / "studies" / name / "journal.log"
    study = optuna.load_study(study_name=name,
                              storage=make_storage(str(path), root=str(root), name=name))
    return study.get_trials(deepcopy=False)


def test_a_table_answered_search_resumes_and_records_seed_and_mean(cli, tmp_path, table_file):
    first = cli(*search(table_file, "--trials", "120", "--json"))
    assert first.returncode == 0, first.stderr
    before = {t.number: (t.params, t.value) for t in trials_of(tmp_path)}
    result = cli(*search(table_file, "--trials", "200", "--json"))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["trials"]["finished"] == 200
    trials = trials_of(tmp_path)
    assert all((t.params, t.value) == before[t.number] for t in trials if t.number in before)
    table = open_table(table_file, load_space("nasbench_macro"))
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 200
    for trial in complete:
        seeds = table.accuracies[" ".join(trial.user_attrs["blocks"])]
        assert trial.user_attrs["accuracy"] == seeds[trial.user_attrs["table_seed"]]
        assert trial.user_attrs["table_mean_accuracy"] == pytest.approx(sum(seeds) / 3, abs=1e-6)
        assert trial.user_attrs["fidelity"] == "table"
    assert any("same_network_as" in t.user_attrs for t in complete)  # shared, not looked up
    skipped = [t for t in trials if "skipped" in t.user_attrs]
    assert skipped and all(t.user_attrs["flops"] > 52e6 * 1.1 for t in skipped)


def test_one_or_two_workers_give_the_same_trials(cli, tmp_path, table_file):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    assert cli(*search(table_file, "--trials", "30"), cwd=one).returncode == 0
    result = cli(*search(table_file, "--trials", "30", "--workers", "2"), cwd=two)
    assert result.returncode == 0, result.stderr

    def finished(root):
        return {t.number: (t.params, t.value) for t in trials_of(root)
                if t.state.is_finished()}

    first, second = finished(one), finished(two)
    shared = set(first) & set(second)
    assert len(shared) >= 25
    assert all(first[number] == second[number] for number in shared)


def test_a_plain_csv_answers_like_the_published_json(tmp_path, table_file):
    space = load_space("nasbench_macro")
    published = open_table(table_file, space)
    rows = ["architecture,accuracy"] + [f"{key},{value}" for key, seeds in
                                        published.accuracies.items() for value in seeds]
    (tmp_path / "mine.csv").write_text("\n".join(rows) + "\n")
    plain = open_table(str(tmp_path / "mine.csv"), space)
    assert plain.form == "csv" and plain.accuracies == published.accuracies
    arch = space.baseline()
    assert plain.answer(arch, seed=4) == published.answer(arch, seed=4)
    assert network_key(arch) == " ".join(["ir_r2_k3_s2_e3_c64", "ir_r3_k3_s2_e3_c128",
                                          "ir_r3_k3_s2_e3_c256"])


def test_rank_check_truth_reports_band_baselines_and_ceiling(cli, tmp_path, table_file):
    result = cli("rank-check", "--space", "nasbench_macro", "--truth", f"table:{table_file}",
                 "--flops", "52M", "--no-proxy-training", "--samples", "6", "--zero-cost",
                 "synflow", "--proxy-resolution", "16", "--bootstrap", "100", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["band_flops"] == [46_800_000, 57_200_000]
    assert report["architectures"] >= 10
    signals = {row["signal"]: row for row in report["fidelity"]}
    assert {"zero-cost synflow", "FLOPs", "params", "table seed vs seed (ceiling)",
            "learned predictor (leave-one-out)"} <= set(signals)
    for row in signals.values():
        assert {"kendall", "spearman", "kendall_ci", "spearman_ci", "n"} <= set(row)
    assert signals["table seed vs seed (ceiling)"]["kendall"] > 0.5
    band = {row["signal"]: row for row in report["band"]["fidelity"]}
    assert report["band"]["architectures"] >= 6
    assert {"zero-cost synflow", "FLOPs", "params", "table seed vs seed (ceiling)"} <= set(band)
    assert all(row["n"] == report["band"]["architectures"] for row in band.values())


BAD_SPACE = """name: bad
target: {resolution: 32, num_classes: 10}
network: {stem_channels: 16, stem_stride: 1, activation: relu}
stages:
  - {stride: 2, channels: 32, layers: 2, menu: [skip, ir_k3_e3, xx_k3]}
"""


@pytest.mark.parametrize("case, message", [
    ("not-a-table", "must be NAS-Bench-Macro's JSON as published or a CSV"),
    ("other-space", "must cover space 'tiny'"),
    ("missing-network", "must hold every network of space 'nasbench_macro', but 1 are missing"),
    ("unknown-block", "menu entry 'xx_k3': block type must be one of"),
])
def test_bad_tables_and_menus_are_one_line_and_write_nothing(cli, tmp_path, table_file, case,
                                                             message):
    (tmp_path / "notes.json").write_text('["not", "a", "table"]')
    document = json.loads(open(table_file).read())
    del document["22222222"]
    (tmp_path / "short.json").write_text(json.dumps(document))
    (tmp_path / "bad.yaml").write_text(BAD_SPACE)
    args = {"not-a-table": search("notes.json"),
            "other-space": ["search", "--space", "tiny", "--flops", "5M", "--evaluate",
                            f"table:{table_file}"],
            "missing-network": search("short.json"),
            "unknown-block": ["search", "--space", "bad.yaml", "--evaluate",
                              f"table:{table_file}"]}[case]
    result = cli(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "studies").exists()
    shutil.rmtree(tmp_path / "studies", ignore_errors=True)


def test_a_confirmation_reads_a_training_its_original_did_not(cli, tmp_path, table_file):
    result = cli(*search(table_file, "--trials", "20", "--confirm", "3", "--json"))
    assert result.returncode == 0, result.stderr
    trials = {t.number: t for t in trials_of(tmp_path)}
    confirmations = [t for t in trials.values() if "confirm_of" in t.user_attrs]
    assert len(confirmations) == 3
    for confirmation in confirmations:
        original = trials[confirmation.user_attrs["confirm_of"]]
        assert confirmation.user_attrs["table_seed"] != original.user_attrs["table_seed"]
        assert confirmation.user_attrs["table_mean_accuracy"] == \
            original.user_attrs["table_mean_accuracy"]
