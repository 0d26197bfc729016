"""Zero-cost pre-screening: before the first trial, score K random candidates of the space at
initialisation with one zero-cost proxy and queue the best as the search's first trials.

A candidate is scored at the proxy's geometry (``ProxySettings`` width and removed strides, at
its resolution, on its data), the network its trial will train. Scored as itself instead (full
width, every stride), naswot ranks NAS-Bench-Macro's networks of equal FLOPs better (Kendall τ
0.58 against 0.48), but the short list it queues is no better (its best network in the top 1 %
in 96 % of replayed pre-screens at 52 M FLOPs, against 99 %; ``benchmarks/prescreen_truth.py``),
so the geometry stayed.

Only feasible candidates (target FLOPs, or predicted latency, within T × (1 + slack)) are
scored. The best
``max(1, min(K // 10, trials // 2))`` are queued, best first, each with the user attribute
``prescreen`` = {proxy, score, rank}. It runs once per study (the study records it), so a re-run
or another worker never queues them again.

By default (:func:`default_candidates`) a search whose candidates' proxies are trained scores
500: judged by NAS-Bench-Macro at equal CPU, that pipeline found better networks than TPE or
random search alone at 52 M and 66 M FLOPs (``benchmarks/search_vs_truth.py``).
The default proxy, naswot, ranks NAS-Bench-Macro's networks of equal FLOPs best of the four
measured (``benchmarks/truth_fidelity.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy
import optuna
import torch

from nas.arch import Arch, to_dict
from nas.scoring import get_data, proxy_arch, zero_cost_scores
from nas.search._options import DEFAULT_CANDIDATES
from nas.space import Space

DONE_KEY = "nas.prescreen"


def is_new(study: optuna.Study) -> bool:
    """Whether ``study`` holds no trials but queued ones (a baseline, say): nothing has run."""
    waiting = optuna.trial.TrialState.WAITING
    return all(trial.state == waiting for trial in study.get_trials(deepcopy=False))


def default_candidates(requested: int | None, *, trained: bool, fresh: bool) -> int:
    """How many candidates a search pre-screens: ``requested`` if given; otherwise
    :data:`DEFAULT_CANDIDATES` for a ``fresh`` study (no trials but queued ones) whose
    candidates are ``trained``, and 0 when a table or a supernet answers them (milliseconds to
    seconds each) or when resuming a study that began without a pre-screen."""
    if requested is not None:
        return requested
    return DEFAULT_CANDIDATES if trained and fresh else 0


def queued_count(candidates: int, trials: int) -> int:
    """How many of the pre-screened candidates are queued."""
    return max(1, min(candidates // 10, trials // 2))


def scored_arch(target: Arch, proxy, data) -> Arch:
    """What the pre-screen scores for ``target``: its proxy network (``proxy``'s width and
    removed strides, at the data's resolution and classes)."""
    return proxy_arch(target, num_classes=data.num_classes, resolution=data.resolution,
                      width=proxy.width, strides_removed=proxy.strides_removed)


def prescreen(study: optuna.Study, space: Space, *, candidates: int, proxy_name: str,
              proxy, feasible: Callable[[Arch], bool], trials: int, seed: int) -> list[dict]:
    """Score ``candidates`` random architectures that are ``feasible`` (within the budget) with
    ``proxy_name`` (on ``proxy.train.threads`` when set) and queue the best; return what was
    queued (params and score), or nothing if this study already had its pre-screening. Call it
    under the study lock."""
    if DONE_KEY in study.user_attrs:
        return []
    if proxy.train.threads is not None:  # --threads, as the trials' training will set it
        torch.set_num_threads(proxy.train.threads)
    rng = numpy.random.default_rng([seed, candidates])
    data = get_data(proxy, resolution=proxy.resolution, seed=seed)
    seen: set[str] = set()
    scored = []
    for _ in range(50 * candidates):  # draws, feasible or not
        if len(scored) == candidates:
            break
        params = space.random_params(rng)
        target = space.arch(params)
        key = json.dumps(to_dict(target), sort_keys=True)
        if key in seen or not feasible(target):
            continue
        seen.add(key)
        arch = scored_arch(target, proxy, data)
        score = zero_cost_scores(arch, data, names=(proxy_name,), seed=seed)[proxy_name]
        scored.append((score, params))
    scored.sort(key=lambda item: -item[0])
    queued = []
    for rank, (score, params) in enumerate(scored[:queued_count(len(scored), trials)], start=1):
        record = {"proxy": proxy_name, "score": score, "rank": rank}
        study.enqueue_trial(space.trial_params(params), user_attrs={"prescreen": record})
        queued.append({**record, "params": params})
    study.set_user_attr(DONE_KEY, {"proxy": proxy_name, "candidates": len(scored),
                                   "queued": len(queued)})
    return queued
