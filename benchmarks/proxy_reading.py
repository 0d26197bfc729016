"""Proxy reading: does the trained proxy rank NAS-Bench-Macro's networks better read as its
top-1 validation accuracy (what ``nas search`` reports) or as its mean true-class probability
(or minus its validation loss), from the same training?

Nothing is trained: it reads every default-protocol proxy (seed 0: 32 px, width 0.5, first
stride removed, 4 epochs, on ``../shared/data/cifar10_jpeg_10k.npz``) that
``truth_fidelity.py`` and ``search_vs_truth.py`` recorded with its true-class probability, and
judges each reading by the table's mean accuracy (Su et al., CVPR 2021, Apache-2.0;
``../shared/data/nasbench_macro/``): Kendall τ of each reading and the difference against
accuracy, with 95 % intervals from one paired bootstrap, over all of them and within
±10 % of 52 M and 66 M fvcore FLOPs (32 px; one fused multiply-add = one FLOP). The networks
are the sample and what the searches chose, not a design: a comparison of readings on the same
networks, not a fidelity figure.

Then it re-picks the winner of every committed trained-proxy search of ``search_vs_truth.py``
(same trials, soft reward on the other reading) and judges both winners by the table. TPE would
have proposed other trials on other values, so this is not an end-to-end measurement.

Writes benchmarks/results/proxy_reading.json. Usage: .venv/bin/python benchmarks/proxy_reading.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402
from prescreen_truth import paired_tau  # noqa: E402
from search_vs_truth import FOLDER as SEARCH_FOLDER, TrainedProxies, truth_of  # noqa: E402
from truth_fidelity import FOLDER as TRUTH_FOLDER, TABLE, networks  # noqa: E402

from nas.scoring import open_table  # noqa: E402
from nas.search import SearchOptions  # noqa: E402
from nas.space import load_space  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
READINGS = {"true-class probability": lambda item: item["correct_probability"],
            "minus loss": lambda item: -item["loss"]}


def recorded(found: dict) -> dict[str, dict]:
    """Every seed-0 default-protocol proxy with a true-class probability, by network key."""
    paths = [*(TRUTH_FOLDER / "proxy").glob("default-*.json"),
             *(SEARCH_FOLDER / "proxy").glob("default-*.json")]
    documents = (json.loads(path.read_text()) for path in sorted(paths))
    return {item["network"]: item for item in documents
            if item["seed"] == 0 and "correct_probability" in item and item["network"] in found}


def repicked(found: dict, proxies: TrainedProxies) -> list[dict]:
    """The winner of each committed trained-proxy search, by accuracy and by probability."""
    rows = []
    for path in sorted((SEARCH_FOLDER / "runs").glob("*.json")):
        run = json.loads(path.read_text())
        if run["arm"] == "supernet":
            continue
        target = run["target_flops"]
        reward = SearchOptions(space="nasbench_macro", target_flops=target).reward_function()
        documents = {}
        for key, _ in run["evaluated"]:
            stored = [json.loads(file.read_text()) for file in proxies.paths(key) if file.exists()]
            documents[key] = stored[0] if stored else {}
        if not all("correct_probability" in item for item in documents.values()):
            continue  # trained before the proxy recorded it
        row = {"search": path.stem}
        for label, field in (("accuracy", "accuracy"), ("probability", "correct_probability")):
            key = max(documents, key=lambda name: reward(documents[name][field],
                                                         found[name]["flops"]))
            verdict = truth_of(key, found, target, reward)
            row[f"by {label}: true accuracy %"] = round(100 * verdict["true_accuracy"], 2)
            row[f"by {label}: percentile"] = verdict["accuracy_percentile"]
        rows.append(row)
    return rows


def main() -> None:
    space = load_space("nasbench_macro")
    found = networks(space, open_table(str(ROOT / TABLE), space))
    proxies = recorded(found)
    rows = []
    for scope, low, high in (("all", 0, float("inf")), ("52 M ± 10 %", 46.8e6, 57.2e6),
                             ("66 M ± 10 %", 59.4e6, 72.6e6)):
        keys = [key for key in proxies if low <= found[key]["flops"] <= high]
        for name, read in READINGS.items():
            result = paired_tau([read(proxies[key]) for key in keys],
                                [proxies[key]["accuracy"] for key in keys],
                                [found[key]["truth"] for key in keys])
            rows.append({"networks": scope, "n": result["n"], "reading": name,
                         "tau [95% CI]": result["first"], "tau of accuracy": result["second"],
                         "difference [95% CI]": result["difference"]})
    searches = repicked(found, TrainedProxies(found, threads=1))
    print("Search winners re-picked by the true-class probability (same trials):")
    print(pandas.DataFrame(searches).to_string(index=False))
    report("proxy_reading", "Trained proxy read three ways, against NAS-Bench-Macro (Kendall tau, "
           "paired bootstrap; FLOPs: fvcore at 32 px)", rows,
           {"table": TABLE, "searches": searches,
            "citation": "Su et al., CVPR 2021 (NAS-Bench-Macro)"})

if __name__ == "__main__":
    main()
