"""Supernet levers: one training heuristic at a time, each supernet judged by NAS-Bench-Macro.

Every variant is a supernet of the ``nasbench_macro`` space trained by ``nas.scoring.
train_supernet`` on the shared CIFAR-10 subset (``../shared/data/cifar10_jpeg_10k.npz``) under
the search's default proxy protocol (32 px, width 0.5, first stride removed), changing one lever
from today's default (``sandwich``: largest + smallest + 2 random subnets per step, in-place
distillation, 4 epochs, the protocol's learning rate with 1 warm-up epoch, 256 calibration
images). Then the first ``--networks`` networks of ``truth_fidelity.py``'s fixed order (its
sample of 40 networks in the 52 M ± 10 % band and 20 spread over the space, then the rest
shuffled) are scored with the weights they inherit, and the scores are judged against the
table's mean accuracy by Kendall τ (95 % bootstrap interval), over all scored networks and
within the band (fvcore FLOPs at 32 px, one fused multiply-add = one FLOP). Training and
scoring CPU time are measured in process (one torch thread).

Levers (``--variants``; see VARIANTS): path sampling (sandwich, uniform = SPOS, fair =
FairNAS), in-place distillation on/off, subnets per step, epochs (each sampling at about the
default's CPU, one at double); and, scoring only (on the default's supernet), calibration
images and validation images (the first N of the 2,000: fewer cost less and measure less
precisely).

Each network's score is read three ways: top-1 accuracy on the supernet's 2,000 validation
images, the mean probability of the true class, and minus the validation loss (the last two do
not threshold each image at 0/1, so they vary less with the particular images).

Resumable: each supernet file (git-ignored, under ``benchmarks/results/supernet_levers/
studies/``) resumes after a kill, and scores are saved every 10 networks. The training cost is
the sum of the epochs' seconds on one torch thread (about their CPU time). The default variant reuses ``truth_fidelity.py``'s supernet (same
options) and its scores. ``--report`` (and the end of every run) writes
``benchmarks/results/supernet_levers.json`` and prints the table.

Usage: .venv/bin/python benchmarks/supernet_levers.py --variants uniform,fair [--threads 1]
       [--networks 160] [--report]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, report  # noqa: E402
from prescreen_truth import paired_tau  # noqa: E402
from truth_fidelity import (BAND, DATA, ROOT, TABLE, FOLDER as TRUTH_FOLDER,  # noqa: E402
                            judged, networks, sample, write_json, zero_cost_order)
from truth_fidelity import supernet_options as truth_supernet_options  # noqa: E402

from nas.scoring import (CALIBRATION_IMAGES, SupernetOptions, get_data,  # noqa: E402
                         load_supernet, open_table, score_inherited, train_supernet)
from nas.space import load_space  # noqa: E402

FOLDER = RESULTS / "supernet_levers"
SEED = 0
DEFAULT = "sandwich"

VARIANTS: dict[str, dict] = {
    # name: changes to the default supernet options (epochs, sampling, random_subnets,
    # distillation, warmup_epochs, learning_rate, schedule, shrinking_epochs, skip_positions)
    # or to its scoring (calibration_images)
    "sandwich": {},
    "sandwich, labels only": {"distillation": False},
    "uniform (SPOS), 1 per step, 16 epochs": {"sampling": "uniform", "random_subnets": 1,
                                              "epochs": 16},
    "fair (FairNAS), 5 epochs": {"sampling": "fair", "epochs": 5},
    "sandwich, 8 epochs": {"epochs": 8},
    "uniform, 1 per step, 32 epochs": {"sampling": "uniform", "random_subnets": 1,
                                       "epochs": 32},
    "uniform, 4 per step, 4 epochs": {"sampling": "uniform", "random_subnets": 4, "epochs": 4},
    "sandwich, no warm-up": {"warmup_epochs": 0.0},
    "sandwich, one-cycle schedule": {"schedule": "onecycle"},
    # not a lever: the default retrained with another seed (weights, batch order, subnets and
    # the train/validation split), the noise any lever's difference must beat
    "sandwich, seed 1": {"seed": 1},
    "sandwich, progressive shrinking over 2 epochs": {"shrinking_epochs": 2.0},
    "sandwich, skips trained where drawn": {"skip_positions": "sampled"},
    "calibration 64 images": {"calibration_images": 64},
    "calibration 1024 images": {"calibration_images": 1024},
    "validation 500 images": {"validation_images": 500},
    "validation 1000 images": {"validation_images": 1000},
}
SCORING_ONLY = {"calibration_images", "validation_images"}


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def options_of(name: str, *, threads: int, resume: bool) -> SupernetOptions:
    changes = {key: value for key, value in VARIANTS[name].items() if key not in SCORING_ONLY}
    default = truth_supernet_options(4, threads=threads, resume=resume)
    if not changes:  # the default: truth_fidelity.py's own supernet
        return default
    train = dataclasses.replace(default.proxy.train, **{
        key: changes.pop(key) for key in ("epochs", "warmup_epochs", "learning_rate", "schedule")
        if key in changes})
    return dataclasses.replace(default, proxy=dataclasses.replace(default.proxy, train=train),
                               name=slug(name), root=str(FOLDER), **changes)


def trained(name: str, *, threads: int):
    """The variant's supernet file, trained (or resumed) to the end."""
    options = options_of(name, threads=threads, resume=False)
    path = options.path(load_space("nasbench_macro"))
    if path.exists():
        existing = load_supernet(path)
        if existing.complete:
            return existing
    return train_supernet(dataclasses.replace(options, resume=path.exists()), progress=False,
                          log=lambda line: print(f"{name}: {line}", flush=True))


def training_record(name: str) -> dict:
    """Epochs, history and training cost (the sum of the epochs' seconds: one torch thread,
    so about its CPU time, the per-epoch validation of the largest and smallest subnet
    included) of the supernet a variant scores with; from its scores file (where ``score``
    keeps it) once the git-ignored supernet file is gone."""
    base = DEFAULT if set(VARIANTS[name]) <= SCORING_ONLY else name
    path = options_of(base, threads=1, resume=False).path(load_space("nasbench_macro"))
    scores = FOLDER / "scores" / f"{slug(name)}.json"
    stored = json.loads(scores.read_text()) if scores.exists() else {}
    file = load_supernet(path) if path.exists() else None
    if file is None or stored.get("supernet", file.fingerprint) != file.fingerprint:
        return stored.get("training", {})  # the file that scored it is gone (or retrained)
    seconds = sum(entry["seconds"] for entry in file.history)
    return {"epochs": file.epochs, "epochs_done": file.epochs_done, "history": file.history,
            "fingerprint": file.fingerprint, "cpu_hours": round(seconds / 3600, 3)}


def score(name: str, file, keys: list[str], found: dict, *, threads: int) -> None:
    path = FOLDER / "scores" / f"{slug(name)}.json"
    document = json.loads(path.read_text()) if path.exists() else {
        "variant": name, "supernet": file.fingerprint, "scores": {}}
    calibration = VARIANTS[name].get("calibration_images", CALIBRATION_IMAGES)
    validation = VARIANTS[name].get("validation_images")
    if name == DEFAULT:  # truth_fidelity.py scored the same supernet the same way
        for earlier in sorted((TRUTH_FOLDER / "supernet_scores").glob("*.json")):
            stored = json.loads(earlier.read_text())
            if stored["supernet"] == file.fingerprint:
                document["scores"].update({key: value for key, value in stored["scores"].items()
                                           if key in set(keys) and "loss" in value})
    data = get_data(file.proxy, resolution=file.proxy.resolution, seed=file.seed)
    for done, key in enumerate(keys, start=1):
        if "loss" in document["scores"].get(key, {}):
            continue
        result = score_inherited(file.supernet, found[key]["arch"], data, seed=SEED,
                                 calibration_images=calibration,
                                 validation_images=validation, threads=threads)
        document["scores"][key] = {"accuracy": result.accuracy, "loss": result.loss,
                                   "correct_probability": result.correct_probability,
                                   "cpu_seconds": result.cpu_seconds}
        if done % 10 == 0:
            write_json(path, document)
    document["training"] = training_record(name)
    write_json(path, document)
    print(f"{name}: {len(document['scores'])} networks scored", flush=True)


SCORE_KINDS = {"accuracy": lambda item: item["accuracy"],
               "true-class probability": lambda item: item["correct_probability"],
               "minus loss": lambda item: -item["loss"]}


def against_default(scores: dict, default: dict, read, found: dict) -> dict:
    """τ of the variant minus τ of the default (same reading, same networks), with a 95 %
    paired bootstrap interval, over all networks and within the band."""
    result = {}
    for scope in ("all", "band"):
        common = [key for key in scores if key in default and (
            scope == "all" or BAND[0] <= found[key]["flops"] <= BAND[1])]
        if len(common) >= 4:
            result[scope] = paired_tau([read(scores[key]) for key in common],
                                       [read(default[key]) for key in common],
                                       [found[key]["truth"] for key in common])["difference"]
    return result


def agreement_with_default(scores: dict, default: dict, read, found: dict) -> dict:
    """A scoring-only variant's τ against the default's scores of the same supernet (not the
    truth), over all networks and within the band: how much of the default's ranking, right or
    wrong, the cheaper reading keeps."""
    common = [key for key in scores if key in default]
    as_truth = {key: {**found[key], "truth": read(default[key])} for key in common}
    row = judged("", {key: read(scores[key]) for key in common}, as_truth, cost=None)
    return {scope: row[scope]["kendall"] for scope in ("band", "all")}


def summarise(found: dict, keys: list[str]) -> None:
    rows, details = [], []
    default_path = FOLDER / "scores" / f"{slug(DEFAULT)}.json"
    default = (json.loads(default_path.read_text())["scores"] if default_path.exists() else {})
    for name in VARIANTS:
        path = FOLDER / "scores" / f"{slug(name)}.json"
        if not path.exists():
            continue
        document = json.loads(path.read_text())
        scores = {key: item for key, item in document["scores"].items() if key in set(keys)}
        record = training_record(name)
        if record and document.get("training") != record:  # kept for when the file is gone
            write_json(path, {**document, "training": record})
        cost = round(statistics.fmean(item["cpu_seconds"] for item in scores.values()), 2)
        history = record.get("history") or [{}]
        for kind, read in SCORE_KINDS.items():
            if kind != "accuracy" and not all("loss" in item for item in scores.values()):
                continue
            row = judged(f"{name}: {kind}", {key: read(item) for key, item in scores.items()},
                         found, cost=cost)
            difference = ({} if name == DEFAULT
                          else against_default(scores, default, read, found))
            agreement = (agreement_with_default(scores, default, read, found)
                         if set(VARIANTS[name]) <= SCORING_ONLY and name != DEFAULT else {})
            details.append({**row, "variant": name, "score": kind, "changes": VARIANTS[name],
                            "training": record, "minus_default": difference,
                            "tau_vs_default_scores": agreement})
            rows.append({"variant": name, "score": kind, "epochs": record.get("epochs"),
                         "training CPU-h": record.get("cpu_hours"),
                         "largest / smallest val. acc.": (
                             f"{history[-1].get('largest_accuracy', float('nan')):.3f} / "
                             f"{history[-1].get('smallest_accuracy', float('nan')):.3f}"),
                         "n (band)": row["band"].get("n"),
                         "tau (band)": row["band"].get("kendall"),
                         "tau 95% CI (band)": row["band"].get("kendall_ci"),
                         "n (all)": row["all"].get("n"), "tau (all)": row["all"].get("kendall"),
                         "tau 95% CI (all)": row["all"].get("kendall_ci"),
                         "minus default, band [CI]": difference.get("band"),
                         "minus default, all [CI]": difference.get("all"),
                         "tau vs default's scores, band / all": (
                             f"{agreement['band']:.2f} / {agreement['all']:.2f}"
                             if agreement else None),
                         "CPU-s per candidate": cost})
    report("supernet_levers", f"Supernet levers on nasbench_macro, judged by NAS-Bench-Macro "
           f"(Kendall tau against the table's mean accuracy; band = {BAND[0] / 1e6:.1f}-"
           f"{BAND[1] / 1e6:.1f} M fvcore FLOPs at 32 px; CPU on one thread)", rows,
           {"table": TABLE, "data": DATA, "networks": keys, "details": details,
            "citation": "Su et al., CVPR 2021 (NAS-Bench-Macro)"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", type=lambda text: text.split(","), default=[],
                        help=f"comma-separated, among: {'; '.join(VARIANTS)} (or their slugs)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--networks", type=int, default=160,
                        help="score the first N networks of truth_fidelity.py's order")
    parser.add_argument("--report", action="store_true", help="only summarise what exists")
    args = parser.parse_args()
    by_slug = {slug(name): name for name in VARIANTS}
    chosen = []
    for given in args.variants:
        if given not in VARIANTS and given not in by_slug:
            parser.error(f"--variants must name variants among {', '.join(by_slug)}, but got "
                         f"{given!r}")
        chosen.append(given if given in VARIANTS else by_slug[given])
    torch.set_num_threads(args.threads)
    space = load_space("nasbench_macro")
    found = networks(space, open_table(str(ROOT / TABLE), space))
    keys = zero_cost_order(found, sample(found))[:args.networks]
    if not args.report:
        for name in chosen:
            trained_name = DEFAULT if set(VARIANTS[name]) <= SCORING_ONLY else name
            file = trained(trained_name, threads=args.threads)
            score(name, file, keys, found, threads=args.threads)
    summarise(found, keys)


if __name__ == "__main__":
    main()
