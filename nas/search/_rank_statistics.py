"""Rank fidelity statistics for ``nas rank-check``: Spearman ρ and Kendall τ of every cheap
signal against the reference accuracy, with percentile bootstrap confidence intervals over the
architectures; seed noise from the architectures trained twice; CPU-seconds per protocol.

Besides the measured signals, a *learned predictor* (:func:`nas.scoring.predict_out_of_sample`)
is scored: a ridge regression from architecture features, FLOPs, params, the zero-cost scores
and (when present) the supernet score to the reference accuracy, each architecture predicted by
a model fitted on the others only (leave-one-out), so its correlation is out-of-sample."""

from __future__ import annotations

import math
import statistics
import warnings
import zlib

import numpy
import optuna
from optuna.trial import FrozenTrial, TrialState
from scipy import stats

CONFIDENCE = 0.95


def _correlations(signal: numpy.ndarray, reference: numpy.ndarray) -> tuple[float, float]:
    with warnings.catch_warnings():  # a constant resample has no rank correlation
        warnings.simplefilter("ignore")
        rho = stats.spearmanr(signal, reference).statistic
        tau = stats.kendalltau(signal, reference).statistic
    return float(rho), float(tau)


def fidelity(signal: list[float], reference: list[float], *, bootstrap: int,
             seed: int) -> dict:
    """ρ and τ of ``signal`` against ``reference`` (paired, one value per architecture), each
    with a 95 % percentile bootstrap interval (resampling architectures with replacement)."""
    x, y = numpy.asarray(signal, dtype=float), numpy.asarray(reference, dtype=float)
    rho, tau = _correlations(x, y)
    rng = numpy.random.default_rng(seed)
    samples = []
    for _ in range(bootstrap):
        index = rng.integers(len(x), size=len(x))
        pair = _correlations(x[index], y[index])
        if all(math.isfinite(value) for value in pair):
            samples.append(pair)
    low, high = (1 - CONFIDENCE) / 2 * 100, (1 + CONFIDENCE) / 2 * 100
    values = numpy.asarray(samples) if samples else numpy.full((1, 2), math.nan)
    return {"n": len(x), "spearman": _rounded(rho), "kendall": _rounded(tau),
            "spearman_ci": [_rounded(numpy.percentile(values[:, 0], low)),
                            _rounded(numpy.percentile(values[:, 0], high))],
            "kendall_ci": [_rounded(numpy.percentile(values[:, 1], low)),
                           _rounded(numpy.percentile(values[:, 1], high))]}


def _rounded(value: float) -> float | None:
    return None if not math.isfinite(value) else round(float(value), 4)


def _complete_jobs(study: optuna.Study) -> dict[tuple[str, int, int], FrozenTrial]:
    """Complete jobs by (protocol, architecture index, repeat)."""
    jobs = {}
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        attrs = trial.user_attrs
        jobs[(attrs["protocol"], attrs["architecture"], attrs["repeat"])] = trial
    return jobs


def rank_signals(study: optuna.Study, *, samples: int, zero_cost: tuple[str, ...]
                 ) -> tuple[list[float], dict[str, list[float]]]:
    """The pairs :func:`rank_report` correlates: the reference validation accuracy (fraction)
    of every architecture whose seed-0 proxy and reference jobs are complete, and per cheap
    signal its values for the same architectures (proxy accuracy per epoch as a fraction,
    zero-cost scores, params, FLOPs)."""
    return _signals(_complete_jobs(study), samples=samples, zero_cost=zero_cost)


def _signals(jobs: dict, *, samples: int, zero_cost: tuple[str, ...],
             indices: list[int] | None = None, truth: bool = False
             ) -> tuple[list[float], dict[str, list[float]]]:
    """``truth``: the reference is the table's mean accuracy (:data:`TRUTH_KEY`) recorded on
    each proxy job; ``indices``: only these architectures."""
    if indices is None:
        indices = [i for i in range(samples) if ("proxy", i, 0) in jobs
                   and (truth or ("reference", i, 0) in jobs)]
    reference = [jobs[("proxy", i, 0)].user_attrs[TRUTH_KEY] if truth
                 else jobs[("reference", i, 0)].value for i in indices]
    signals: dict[str, list[float]] = {}
    if indices:
        epochs = min(len(jobs[("proxy", i, 0)].user_attrs.get("accuracy_per_epoch", ()))
                     for i in indices)
        for epoch in range(1, epochs + 1):
            signals[f"proxy accuracy, epoch {epoch}"] = [
                jobs[("proxy", i, 0)].user_attrs["accuracy_per_epoch"][epoch - 1]
                for i in indices]
        for name in zero_cost:
            signals[f"zero-cost {name}"] = [jobs[("proxy", i, 0)].user_attrs["zero_cost"][name]
                                            for i in indices]
        if all("supernet_accuracy" in jobs[("proxy", i, 0)].user_attrs for i in indices):
            signals["supernet"] = [jobs[("proxy", i, 0)].user_attrs["supernet_accuracy"]
                                   for i in indices]
        signals["params"] = [jobs[("proxy", i, 0)].user_attrs["params"] for i in indices]
        signals["FLOPs"] = [jobs[("proxy", i, 0)].user_attrs["flops"] for i in indices]
        if len(indices) >= PREDICTOR_MINIMUM:
            signals["learned predictor (leave-one-out)"] = _predictor_signal(
                [jobs[("proxy", i, 0)] for i in indices], reference, signals)
    return reference, signals


TRUTH_KEY = "truth_accuracy"
"""User attribute of a rank-check job with ``--truth``: the table's mean accuracy."""
TRUTH_SEEDS_KEY = "truth_seeds"
"""User attribute: the table's accuracy of every published training."""

PREDICTOR_MINIMUM = 6
"""Architectures needed before the learned predictor is scored (it is fitted on n - 1)."""


def _predictor_signal(trials: list[FrozenTrial], reference: list[float],
                      signals: dict[str, list[float]]) -> list[float]:
    from nas.arch import from_dict
    from nas.scoring import aligned_rows, predict_out_of_sample

    measured = [name for name in signals if name.startswith(("zero-cost ", "supernet"))]
    features = aligned_rows([from_dict(trial.user_attrs["arch"]) for trial in trials])
    rows = [features[number] + [signals[name][number] for name in measured]
            for number in range(len(trials))]
    return predict_out_of_sample(rows, reference)


def rank_report(study: optuna.Study, *, samples: int, zero_cost: tuple[str, ...],
                bootstrap: int, seed: int) -> dict:
    """The report of a rank-check study so far (complete jobs only)."""
    jobs = _complete_jobs(study)
    reference, signals = _signals(jobs, samples=samples, zero_cost=zero_cost)
    rows = []
    if len(reference) >= 3:
        for number, (name, values) in enumerate(signals.items()):
            rows.append({"signal": name, **fidelity(values, reference, bootstrap=bootstrap,
                                                    seed=seed + number)})
    noise = {}
    for protocol in ("proxy", "reference"):
        pairs = [(jobs[(protocol, i, 0)].value, jobs[(protocol, i, 1)].value)
                 for i in range(samples) if (protocol, i, 0) in jobs and (protocol, i, 1) in jobs]
        seconds = [t.user_attrs["cpu_seconds"] for key, t in jobs.items() if key[0] == protocol]
        noise[protocol] = {
            "pairs": len(pairs),
            "seed_std": _rounded(math.sqrt(statistics.mean((a - b) ** 2 / 2 for a, b in pairs)))
            if pairs else None,
            "seed_kendall": _rounded(_correlations(*zip(*pairs))[1]) if len(pairs) >= 3
            else None,
            "cpu_seconds_per_architecture": round(statistics.mean(seconds), 2)
            if seconds else None}
    zero_seconds = [t.user_attrs["zero_cost_cpu_seconds"] for key, t in jobs.items()
                    if "zero_cost_cpu_seconds" in t.user_attrs]
    return {"architectures": len(reference), "jobs_complete": len(jobs),
            "fidelity": rows, "noise": noise,
            "zero_cost_cpu_seconds_per_architecture":
                round(statistics.mean(zero_seconds), 3) if zero_seconds else None,
            "reference_accuracy": {"min": min(reference, default=None),
                                   "max": max(reference, default=None)}}


def truth_report(study: optuna.Study, *, samples: int, zero_cost: tuple[str, ...],
                 bootstrap: int, seed: int, band: tuple[float, float]) -> dict:
    """The report of a rank-check study judged by a table (``--truth``): every signal's ρ and τ
    against the table's mean accuracy over all sampled architectures and over those whose
    FLOPs lie in ``band`` (low, high), with the table's own seed-against-seed ceiling on the
    same architectures (its first two published trainings)."""
    jobs = _complete_jobs(study)
    done = [i for i in range(samples) if ("proxy", i, 0) in jobs]
    in_band = [i for i in done if band[0] <= jobs[("proxy", i, 0)].user_attrs["flops"]
               <= band[1]]
    report = {}
    for scope, indices in (("all", done), ("band", in_band)):
        reference, signals = _signals(jobs, samples=samples, zero_cost=zero_cost,
                                      indices=indices, truth=True)
        rows = []
        if len(reference) >= 3:
            for name, values in signals.items():
                rows.append({"signal": name, **fidelity(values, reference, bootstrap=bootstrap,
                                                        seed=_signal_seed(seed, name))})
            seeds = [jobs[("proxy", i, 0)].user_attrs[TRUTH_SEEDS_KEY] for i in indices]
            if all(len(values) >= 2 for values in seeds):
                rows.append({"signal": "table seed vs seed (ceiling)", **fidelity(
                    [values[1] for values in seeds], [values[0] for values in seeds],
                    bootstrap=bootstrap, seed=_signal_seed(seed, "ceiling"))})
        report[scope] = {"architectures": len(reference), "fidelity": rows}
    proxy_seconds = [t.user_attrs["cpu_seconds"] for key, t in jobs.items()
                     if "cpu_seconds" in t.user_attrs]
    zero_seconds = [t.user_attrs["zero_cost_cpu_seconds"] for t in jobs.values()
                    if "zero_cost_cpu_seconds" in t.user_attrs]
    return {"architectures": len(done), "jobs_complete": len(jobs),
            "band_flops": [int(band[0]), int(band[1])],
            "fidelity": report["all"]["fidelity"], "band": report["band"],
            "proxy_cpu_seconds_per_architecture":
                round(statistics.mean(proxy_seconds), 2) if proxy_seconds else None,
            "zero_cost_cpu_seconds_per_architecture":
                round(statistics.mean(zero_seconds), 3) if zero_seconds else None}


def _signal_seed(seed: int, name: str) -> int:
    """A bootstrap seed per signal name, so adding a signal moves no other interval."""
    return seed + zlib.crc32(name.encode()) % 100_000
