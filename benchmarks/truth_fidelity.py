"""Truth fidelity: how well each cheap signal ranks NAS-Bench-Macro's networks, judged by the table.

Every signal is measured on the shared CIFAR-10 subset (``../shared/data/cifar10_jpeg_10k.npz``:
the data a CPU user has) and judged against NAS-Bench-Macro's mean accuracy over 3 full
CIFAR-10 trainings (``../shared/data/nasbench_macro/``; Su et al., CVPR 2021, Apache-2.0), by
Kendall τ with a 95 % bootstrap interval, over the sampled networks and within the FLOP band
T ± 10 % around T = 52 M (fvcore FLOPs: one fused multiply-add = one FLOP, at 32 px), where
FLOPs alone rank at τ ≈ 0.13 and what a constrained search must rank. The table's own
seed-against-seed τ is the ceiling.

Signals and the networks they are measured on:

- FLOPs and params: all 3,969 networks (free);
- the trained proxy under named protocols (``--protocols``; ``default`` is the search's
  default, 32 px, width 0.5, first stride removed, 4 epochs; ``short`` 2 epochs, ``long`` 8,
  ``full-width`` width 1 with no stride removed): the *sample* — 40 networks spread over the
  band's FLOPs and 20 over the whole space, interleaved so that any prefix is a usable sample —
  and a second seed on every sixth of them (the proxy's own noise);
- every zero-cost proxy (synflow, naswot, grad_norm, zico, at the network's own 32 px, full
  width, seed 0): the sample first, then every other network in a fixed shuffled order;
  ``--zero-cost-proxies naswot`` measures only those named (the others can follow later);
  ``--zero-cost-at search`` scores the network as ``nas search``'s pre-screen does (the
  default proxy's width 0.5, first stride removed), in ``zero_cost_search/``;
- the supernet (``--supernet-epochs E``, off by default: about 400 CPU-s an epoch) trained by
  ``nas.scoring.train_supernet`` on the subset under the default protocol (its file under
  ``benchmarks/results/truth_fidelity/studies/``, git-ignored; resumed when present), then
  every network scored with the weights it inherits (``score_inherited``, 256 calibration
  images), sample first, in chunks of 100 keyed by the sha256 of its weights (every shard
  scores once shard 0 has trained it; a network scored by ``judge_truth.py --supernet`` is
  not scored again);
- the learned predictor (no measurement of its own): a ridge regression over position-aligned
  architecture features plus the zero-cost scores where measured, fitted on the first k
  (10, 20, 40) networks of the sample with a trained proxy (default protocol), predicting every
  other network.

Resumable shards: ``--shard I/N`` takes every N-th job; each measurement is a small JSON file
under ``benchmarks/results/truth_fidelity/`` (zero-cost and supernet scores in one file per
100 networks), written atomically, and skipped when it exists. ``--report`` (and the end of a
run) writes ``benchmarks/results/truth_fidelity.json`` and one scatter plot per signal
(``truth_fidelity_<signal>.png``: the signal against the true accuracy, the band highlighted).

Usage: .venv/bin/python benchmarks/truth_fidelity.py [--shard 0/1] [--threads 1]
       [--protocols default|none|default,short,...] [--zero-cost|--no-zero-cost]
       [--supernet-epochs E] [--report]
  e.g. one process per kind: --no-zero-cost & --protocols none
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import re
import statistics
import sys
import time
from pathlib import Path

import numpy
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, report, write_json  # noqa: E402
from reference_table import measure  # noqa: E402
from supernet_fidelity import shard_argument  # noqa: E402

from nas.cost import count  # noqa: E402
from nas.scoring import (ZERO_COST_PROXIES, ProxySettings, SupernetOptions,  # noqa: E402
                         aligned_rows, get_data, load_supernet, network_key, open_table,
                         predict_from, proxy_arch, score_inherited, train_supernet,
                         zero_cost_scores)
from nas.search import fidelity  # noqa: E402
from nas.space import load_space  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TABLE = "../shared/data/nasbench_macro/nas-bench-macro_cifar10.json"
DATA = "../shared/data/cifar10_jpeg_10k.npz"
FOLDER = RESULTS / "truth_fidelity"
TARGET = 52_000_000
BAND = (0.9 * TARGET, 1.1 * TARGET)
IN_BAND, SPREAD, SECOND_SEED_EVERY = 40, 20, 6
ZERO_COST_CHUNK = 100
PREDICTOR_K = (10, 20, 40)
SEED = 0


def protocols(data: str) -> dict[str, ProxySettings]:
    default = ProxySettings(data=data)
    return {
        "default": default,
        "short": dataclasses.replace(default, train=dataclasses.replace(default.train, epochs=2)),
        "long": dataclasses.replace(default, train=dataclasses.replace(default.train, epochs=8)),
        "full-width": dataclasses.replace(default, width=1.0, strides_removed=0),
    }


def networks(space, table) -> dict[str, dict]:
    """Every distinct network: key -> arch, FLOPs, params, true mean accuracy, seeds, and
    ``settings``: how many parameter settings of ``space`` build it (``skip`` layers make
    several one network)."""
    parameters = space.parameters()
    found = {}
    for values in itertools.product(*parameters.values()):
        arch = space.arch(dict(zip(parameters, values)))
        key = network_key(arch)
        if key not in found:
            cost = count(arch)
            found[key] = {"arch": arch, "flops": cost.flops, "params": cost.params,
                          "truth": table.mean_accuracy(arch), "seeds": table.seeds_of(arch),
                          "settings": 0}
        found[key]["settings"] += 1
    return found


def sample(found: dict[str, dict]) -> list[str]:
    """40 networks spread over the band's FLOPs and 20 over the whole space, interleaved."""
    ranked = sorted(found, key=lambda key: (found[key]["flops"], key))
    inside = [key for key in ranked if BAND[0] <= found[key]["flops"] <= BAND[1]]
    outside = [key for key in ranked if key not in set(inside)]

    def spread(items, n):
        return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]

    band, whole = spread(inside, IN_BAND), spread(outside, SPREAD)
    order = []
    for pair in itertools.zip_longest(band[0::2], band[1::2], whole):
        order += [key for key in pair if key is not None]
    return order


def digest(*parts) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def proxy_path(name: str, settings: ProxySettings, key: str, seed: int) -> Path:
    identity = {**settings.identity(), "data": Path(DATA).name}
    return FOLDER / "proxy" / f"{name}-{digest(identity, key, seed)}.json"


_DEFAULT_PROXY = ProxySettings(data="digits")  # only its geometry is read
ZERO_COST_AT = {  # where a zero-cost proxy scores the network: folder, width, strides removed
    "full": ("zero_cost", 1.0, 0),  # the network itself at 32 px
    "search": ("zero_cost_search", _DEFAULT_PROXY.width,  # as nas search's pre-screen does
               _DEFAULT_PROXY.strides_removed),
}


def zero_cost_path(chunk: int, at: str = "full") -> Path:
    return FOLDER / ZERO_COST_AT[at][0] / f"chunk-{chunk:03d}.json"


def zero_cost_order(found: dict, chosen: list[str]) -> list[str]:
    rest = sorted(key for key in found if key not in set(chosen))
    numpy.random.default_rng(SEED).shuffle(rest)
    return chosen + rest


def run(args, found: dict, chosen: list[str]) -> None:
    shard, shards = args.shard
    torch.set_num_threads(args.threads)
    settings_of = protocols(f"npz:{ROOT / DATA}")
    jobs = [(name, key, SEED) for name in args.protocols for key in chosen]
    jobs += [(name, key, SEED + 1) for name in args.protocols
             for key in chosen[::SECOND_SEED_EVERY]]
    order = zero_cost_order(found, chosen)
    chunks = range((len(order) + ZERO_COST_CHUNK - 1) // ZERO_COST_CHUNK)
    if args.zero_cost:
        jobs += [("zero-cost", chunk, None) for chunk in chunks]
    supernet = None
    if args.supernet_epochs:
        supernet = train_step(args.supernet_epochs, threads=args.threads, train=shard == 0)
    if supernet is not None:
        jobs += [("supernet", chunk, None) for chunk in chunks]
    for number, (name, key, seed) in enumerate(jobs):
        if number % shards != shard:
            continue
        if name == "zero-cost":
            score_chunk(key, order, found, names=args.zero_cost_proxies,
                        at=args.zero_cost_at)
            continue
        if name == "supernet":
            score_supernet(supernet, order[key * ZERO_COST_CHUNK:(key + 1) * ZERO_COST_CHUNK],
                           found, f"chunk-{key:03d}", threads=args.threads)
            continue
        path = proxy_path(name, settings_of[name], key, seed)
        if path.exists():
            continue
        settings = settings_of[name]
        data = get_data(settings, resolution=settings.resolution, seed=SEED)
        result = measure(settings, data, found[key]["arch"], seed=seed, threads=args.threads)
        write_json(path, {"protocol": name, "network": key, "seed": seed,
                          "settings": {**settings.identity(), "data": DATA}, **result})
        print(f"{name} seed {seed} {key}: accuracy {result['accuracy']:.4f} (truth "
              f"{found[key]['truth']:.4f}), {result['cpu_seconds']:.0f} CPU-s", flush=True)


def score_chunk(chunk: int, order: list[str], found: dict, *, names: list[str],
                at: str) -> None:
    """Score the chunk's networks with the zero-cost proxies ``names`` not yet recorded.

    An entry holds each proxy's score, ``names`` (those measured) and ``cpu_seconds`` (their
    CPU together); entries written before ``names`` was recorded hold all four proxies."""
    path = zero_cost_path(chunk, at)
    _, width, strides_removed = ZERO_COST_AT[at]
    document = json.loads(path.read_text()) if path.exists() else {"scores": {}}
    keys = order[chunk * ZERO_COST_CHUNK:(chunk + 1) * ZERO_COST_CHUNK]
    settings = ProxySettings(data=f"npz:{ROOT / DATA}", width=width,
                             strides_removed=strides_removed)
    data = get_data(settings, resolution=32, seed=SEED)
    for done, key in enumerate(keys, start=1):
        entry = document["scores"].get(key, {})
        missing = [name for name in names if name not in entry]
        if not missing:
            continue
        arch = proxy_arch(found[key]["arch"], num_classes=data.num_classes, resolution=32,
                          width=width, strides_removed=strides_removed)
        cpu = time.process_time()
        scores = zero_cost_scores(arch, data, names=missing, seed=SEED)
        measured = entry.get("names", list(ZERO_COST_PROXIES) if entry else [])
        document["scores"][key] = {**entry, **scores, "names": measured + missing,
                                   "cpu_seconds": round(entry.get("cpu_seconds", 0.0)
                                                        + time.process_time() - cpu, 3)}
        if done % 10 == 0 or done == len(keys):
            write_json(path, document)
    write_json(path, document)
    print(f"zero-cost ({at}) chunk {chunk}: {len(document['scores'])} networks", flush=True)


def supernet_options(epochs: int, *, threads: int, resume: bool) -> SupernetOptions:
    default = protocols(f"npz:{ROOT / DATA}")["default"]
    proxy = dataclasses.replace(default, train=dataclasses.replace(
        default.train, epochs=epochs, threads=threads))
    return SupernetOptions(space="nasbench_macro", proxy=proxy, name="supernet",
                           root=str(FOLDER), resume=resume)


def weights_digest(file) -> str:
    """sha256 of the supernet's weights alone (the file's own sha256 also covers metadata,
    which differs between two trainings that give the same weights)."""
    hasher = hashlib.sha256()
    for name, tensor in file.supernet.state_dict().items():
        hasher.update(name.encode())
        hasher.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return hasher.hexdigest()


def untimed(history: list[dict]) -> list[dict]:
    """A training history without its wall-clock seconds (which differ between machines)."""
    return [{name: value for name, value in epoch.items() if name != "seconds"}
            for epoch in history]


def train_step(epochs: int, *, threads: int, train: bool):
    """The supernet trained to ``epochs``: the complete file when one exists, else (``train``:
    shard 0) trained now, continuing its file, with its CPU cost recorded; None when another
    shard must train it first. The record names the weights the scores are keyed by."""
    space = load_space("nasbench_macro")
    path = supernet_options(epochs, threads=threads, resume=False).path(space)
    record_path = FOLDER / "supernet.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {"cpu_seconds": 0.0}
    if path.exists():
        existing = load_supernet(path)
        if existing.complete and existing.epochs == epochs:
            if record.get("fingerprint") != existing.fingerprint:
                if untimed(record.get("history", [])) != untimed(existing.history):
                    raise SystemExit(f"{path} does not match {record_path}: its training "
                                     f"history differs; move one of them aside")
                # retrained (the file is git-ignored) to the same losses and accuracies; the
                # scores are keyed by these weights, the recorded CPU stays the first training's
                record.update(fingerprint=existing.fingerprint, weights=weights_digest(existing))
                write_json(record_path, record)
            return existing
    if not train:
        print("the supernet is not trained yet: run shard 0 first", flush=True)
        return None
    cpu = time.process_time()
    file = train_supernet(supernet_options(epochs, threads=threads, resume=path.exists()),
                          progress=False, log=lambda line: print(line, flush=True))
    record["cpu_seconds"] = round(record["cpu_seconds"] + time.process_time() - cpu, 1)
    record.update(epochs=epochs, history=file.history, fingerprint=file.fingerprint,
                  weights=weights_digest(file), cpu_hours=round(record["cpu_seconds"] / 3600, 3),
                  data=DATA)
    write_json(record_path, record)
    return file


def supernet_scores(weights: str) -> dict[str, dict]:
    """Key -> inherited score, from every document scored with the supernet ``weights``
    (sha256; the chunks' files and any other, e.g. ``judge_truth.py``'s short lists)."""
    scores = {}
    for path in sorted((FOLDER / "supernet_scores").glob(f"{weights[:12]}-*.json")):
        document = json.loads(path.read_text())
        if document.get("weights") == weights:
            scores.update(document["scores"])
    return scores


def recorded_supernet_scores() -> dict[str, dict]:
    """Key -> inherited score with the supernet ``supernet.json`` records (none before it is
    trained)."""
    record = FOLDER / "supernet.json"
    weights = json.loads(record.read_text()).get("weights") if record.exists() else None
    return supernet_scores(weights) if weights else {}


def score_supernet(file, keys: list[str], found: dict, name: str, *, threads: int) -> None:
    """Score ``keys`` with the weights they inherit from ``file``, those not yet scored with
    these weights, into ``supernet_scores/<weights>-<name>.json`` (saved every 10)."""
    weights = weights_digest(file)
    path = FOLDER / "supernet_scores" / f"{weights[:12]}-{name}.json"
    document = json.loads(path.read_text()) if path.exists() else {
        "supernet": file.fingerprint, "weights": weights, "scores": {}}
    done = supernet_scores(weights)
    data = get_data(file.proxy, resolution=file.proxy.resolution, seed=file.seed)
    for number, key in enumerate([key for key in keys if key not in done], start=1):
        score = score_inherited(file.supernet, found[key]["arch"], data, seed=SEED,
                                threads=threads)
        document["scores"][key] = {"accuracy": score.accuracy, "loss": score.loss,
                                   "correct_probability": score.correct_probability,
                                   "cpu_seconds": score.cpu_seconds}
        if number % 10 == 0:
            write_json(path, document)
    write_json(path, document)
    print(f"supernet {name}: {len(document['scores'])} networks", flush=True)


def cpu_per_proxy(entry: dict) -> float:
    """CPU-seconds of one zero-cost score in a recorded entry (entries without ``names`` hold
    all four proxies)."""
    return entry["cpu_seconds"] / len(entry.get("names", ZERO_COST_PROXIES))


def load_results(found: dict) -> tuple[dict, dict]:
    """(trained proxies: protocol -> seed -> key -> record, zero-cost: where -> key -> scores)."""
    proxies: dict = {}
    for path in sorted((FOLDER / "proxy").glob("*.json")):
        document = json.loads(path.read_text())
        proxies.setdefault(document["protocol"], {}).setdefault(document["seed"], {})[
            document["network"]] = document
    zero = {at: {} for at in ZERO_COST_AT}
    for at, (folder, _, _) in ZERO_COST_AT.items():
        for path in sorted((FOLDER / folder).glob("*.json")):
            zero[at].update(json.loads(path.read_text())["scores"])
    return proxies, zero


def judged(name: str, values: dict[str, float], found: dict, *, cost: float | None) -> dict:
    """τ (and ρ) of one signal against the truth, over its networks and within the band."""
    row = {"signal": name, "cpu_seconds_per_network": cost}
    for scope in ("all", "band"):
        keys = [key for key in values if scope == "all"
                or BAND[0] <= found[key]["flops"] <= BAND[1]]
        if len(keys) < 4:
            row[scope] = {"n": len(keys)}
            continue
        row[scope] = fidelity([values[key] for key in keys], [found[key]["truth"] for key in keys],
                              bootstrap=1000, seed=SEED)
    return row


def summarise(found: dict, chosen: list[str]) -> None:
    proxies, zero_at = load_results(found)
    zero = zero_at["full"]
    rows, scatter = [], {}
    everything = list(found)
    for name, attribute in (("FLOPs", "flops"), ("params", "params")):
        for scope_name, keys in (("all networks", everything), ("sample", chosen)):
            values = {key: found[key][attribute] for key in keys}
            rows.append(judged(f"{name} ({scope_name})", values, found, cost=0.0))
        scatter[name] = {key: found[key][attribute] for key in everything}
    seeds = {key: found[key]["seeds"] for key in everything}
    rows.append({**judged("table seed 1 vs seed 0 (ceiling, all networks)",
                          {key: seeds[key][1] for key in everything},
                          {key: {**found[key], "truth": seeds[key][0]} for key in everything},
                          cost=None)})
    for protocol, by_seed in sorted(proxies.items()):
        first = by_seed.get(SEED, {})
        values = {key: item["accuracy"] for key, item in first.items()}
        cost = statistics.fmean(item["cpu_seconds"] for item in first.values()) if first else None
        rows.append(judged(f"trained proxy, {protocol}", values, found,
                           cost=round(cost, 1) if cost else None))
        scatter[f"trained proxy, {protocol}"] = values
        smooth = {key: item["correct_probability"] for key, item in first.items()
                  if "correct_probability" in item}
        if len(smooth) >= 4:  # measured since the proxy records it
            rows.append(judged(f"trained proxy, {protocol}: true-class probability", smooth,
                               found, cost=round(cost, 1)))
        second = by_seed.get(SEED + 1, {})
        both = [key for key in second if key in first]
        if len(both) >= 4:
            rows.append(judged(f"trained proxy, {protocol}: seed 1 vs seed 0 (its noise)",
                               {key: second[key]["accuracy"] for key in both},
                               {key: {**found[key], "truth": first[key]["accuracy"]}
                                for key in both}, cost=None))
    scores = recorded_supernet_scores()
    if scores:
        values = {key: item["accuracy"] for key, item in scores.items()}
        cost = statistics.fmean(item["cpu_seconds"] for item in scores.values())
        rows.append(judged("supernet (inherited weights)", values, found, cost=round(cost, 2)))
        rows.append(judged("FLOPs, on the supernet's networks (its anchor)",
                           {key: found[key]["flops"] for key in values}, found, cost=0.0))
        scatter["supernet"] = values
        read = {key: item for key, item in scores.items() if "loss" in item}
        if len(read) >= 4:  # recorded since the scores keep them
            rows.append(judged("supernet, read as the true-class probability", {
                key: item["correct_probability"] for key, item in read.items()}, found,
                cost=round(cost, 2)))
            rows.append(judged("supernet, read as minus the loss", {
                key: -item["loss"] for key, item in read.items()}, found, cost=round(cost, 2)))
    first = proxies.get("default", {}).get(SEED, {})
    measured = [key for key in chosen if key in first]
    features = dict(zip(everything, aligned_rows([found[key]["arch"] for key in everything])))
    for k in PREDICTOR_K:
        if len(measured) < k:
            continue
        train = measured[:k]
        rest = [key for key in everything if key not in set(train)]

        def row(key):
            return features[key] + [zero.get(key, {}).get(name, float("nan"))
                                    for name in ZERO_COST_PROXIES]

        predicted = predict_from([row(key) for key in train],
                                 [first[key]["accuracy"] for key in train],
                                 [row(key) for key in rest])
        rows.append(judged(f"learned predictor, k = {k} trained proxies",
                           dict(zip(rest, predicted)), found, cost=None))
        # controls: the same features fitted on other targets (the truth: every k)
        rows.append(judged(f"learned predictor, k = {k}, architecture only, fitted on the "
                           f"table's truth of the same networks (control)", dict(zip(
                               rest, predict_from([features[key] for key in train],
                                                  [found[key]["truth"] for key in train],
                                                  [features[key] for key in rest]))),
                           found, cost=None))
        if k == PREDICTOR_K[0]:
            rows.append(shuffled_control(train, rest, features, first, found, k=k))
        # do the zero-cost scores add to the architecture features? (a score not measured on
        # a network is imputed by predict_from)
        rows.append(judged(f"learned predictor, k = {k}, architecture only, same proxies",
                           dict(zip(rest, predict_from([features[key] for key in train],
                                                       [first[key]["accuracy"] for key in train],
                                                       [features[key] for key in rest]))),
                           found, cost=None))
    for (at, measured_at), name in itertools.product(zero_at.items(), ZERO_COST_PROXIES):
        values = {key: scores[name] for key, scores in measured_at.items() if name in scores}
        if not values:
            continue
        per_proxy = [cpu_per_proxy(scores) for scores in measured_at.values() if name in scores]
        label = f"zero-cost {name}" + ("" if at == "full" else ", as the search's pre-screen")
        rows.append(judged(label, values, found, cost=round(statistics.fmean(per_proxy), 2)))
        scatter[label] = values
    table_rows = [{"signal": row["signal"], "n (all)": row["all"].get("n"),
                   "tau (all)": row["all"].get("kendall"),
                   "tau 95% CI (all)": row["all"].get("kendall_ci"),
                   "n (band)": row["band"].get("n"), "tau (band)": row["band"].get("kendall"),
                   "tau 95% CI (band)": row["band"].get("kendall_ci"),
                   "CPU-s per network": row["cpu_seconds_per_network"]} for row in rows]
    report("truth_fidelity", f"Signals against NAS-Bench-Macro's mean accuracy (Kendall tau; "
           f"band = {BAND[0] / 1e6:.1f}-{BAND[1] / 1e6:.1f} M fvcore FLOPs at 32 px)",
           table_rows, {"table": TABLE, "data": DATA, "target_flops": TARGET,
                        "band_flops": list(BAND), "sample": chosen, "details": rows,
                        "citation": "Su et al., CVPR 2021 (NAS-Bench-Macro)"})
    plot(scatter, found)


def shuffled_control(train, rest, features, first, found, *, k: int,
                     shuffles: int = 20) -> dict:
    """The predictor fitted on the proxies' accuracies shuffled among the k networks, 20
    times: what the features alone give. The row holds the median τ and, in place of an
    interval, the range over the shuffles."""
    rng = numpy.random.default_rng(SEED)
    taus: dict[str, list] = {"all": [], "band": []}
    for _ in range(shuffles):
        targets = list(rng.permutation([first[key]["accuracy"] for key in train]))
        row = judged("", dict(zip(rest, predict_from([features[key] for key in train], targets,
                                                     [features[key] for key in rest]))),
                     found, cost=None)
        for scope in taus:
            taus[scope].append(row[scope]["kendall"])
    return {"signal": f"learned predictor, k = {k}, architecture only, shuffled proxy targets "
                      f"(control: median and range over {shuffles} shuffles)",
            "cpu_seconds_per_network": None,
            **{scope: {"n": row[scope]["n"], "kendall": round(statistics.median(values), 4),
                       "kendall_ci": [round(min(values), 4), round(max(values), 4)]}
               for scope, values in taus.items()}}


def plot(scatter: dict, found: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot

    for name, values in scatter.items():
        if not values:
            continue
        figure, axis = pyplot.subplots(figsize=(5.5, 4.2))
        keys = list(values)
        inside = [BAND[0] <= found[key]["flops"] <= BAND[1] for key in keys]
        for flag, colour, label in ((False, "#bbbbbb", "outside the band"),
                                    (True, "#d62728", "in the band")):
            chosen = [key for key, is_in in zip(keys, inside) if is_in == flag]
            axis.scatter([values[key] for key in chosen],
                         [100 * found[key]["truth"] for key in chosen], s=6, c=colour,
                         label=label)
        axis.set_xlabel(name)
        axis.set_ylabel("NAS-Bench-Macro mean accuracy (%)")
        axis.legend(loc="lower right")
        figure.tight_layout()
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        figure.savefig(RESULTS / f"truth_fidelity_{slug}.png", dpi=80)
        pyplot.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shard", type=shard_argument, default=(0, 1))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--protocols", type=lambda text: [] if text == "none" else text.split(","),
                        default=["default"],
                        help=f"trained-proxy protocols among "
                             f"{', '.join(protocols('digits'))}, or none")
    parser.add_argument("--zero-cost", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--zero-cost-proxies", type=lambda text: text.split(","),
                        default=list(ZERO_COST_PROXIES),
                        help=f"which zero-cost proxies to measure, among "
                             f"{', '.join(ZERO_COST_PROXIES)} (default: all)")
    parser.add_argument("--zero-cost-at", choices=sorted(ZERO_COST_AT), default="full",
                        help="score the network itself (full) or as nas search's pre-screen "
                             "does (search: the default proxy's width and strides)")
    parser.add_argument("--supernet-epochs", type=int, default=0,
                        help="train the supernet to this many epochs (shard 0), then score "
                             "every network with it; 0: off")
    parser.add_argument("--report", action="store_true", help="only summarise what exists")
    args = parser.parse_args()
    space = load_space("nasbench_macro")
    found = networks(space, open_table(str(ROOT / TABLE), space))
    chosen = sample(found)
    if not args.report:
        run(args, found, chosen)
    summarise(found, chosen)


if __name__ == "__main__":
    main()
