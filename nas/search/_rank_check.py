"""``nas rank-check``: how well does a cheap signal rank architectures, against a stronger
reference protocol, on the user's own space and data?

N architectures are drawn from the space, spread evenly over their target FLOPs. Each is trained
with the cheap protocol under test (the search's proxy settings: per-epoch accuracy, plus zero-cost
scores at initialisation) and with a reference protocol (more epochs, all the training data, and a
resolution at which no searched kernel choice is blind). A subset is trained again with a second
seed, which measures seed noise. Every training is one trial of an Optuna study (a fixed job
list driven by ``GridSampler``), so a run resumes and can be shared by workers like a search.
The statistics are in :mod:`nas.search._rank_statistics`.

With ``truth`` (``--truth table:FILE``, a tabular benchmark of the space) the table is the
reference: no reference protocol is trained, and every signal is judged against the table's
mean accuracy, over all sampled architectures and within the FLOP band around the budget
(T ± 10 %, what a constrained search must rank), beside FLOPs and params and the table's own
seed-against-seed ceiling. Sampling rule then: N architectures spread evenly over the FLOPs of
the whole space, and N more spread evenly over the FLOPs inside the band (distinct ones).
``train_proxy=False`` scores only the cheap signals (zero-cost, supernet, predictor).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy
import optuna
from optuna.trial import FrozenTrial, TrialState

from nas._checks import check_int
from nas._errors import ConfigError
from nas.arch import Arch, to_dict
from nas.cost import count
from nas.scoring import ZERO_COST_PROXIES, ProxySettings, faithful_resolution, get_data
from nas.scoring import load_supernet, proxy_arch, score_inherited, train_candidate
from nas.scoring import open_table, table_path, zero_cost_scores
from nas.search._evaluate import open_run, record_candidate, record_worker
from nas.search._options import data_slug
from nas.search._rank_statistics import TRUTH_KEY, TRUTH_SEEDS_KEY, rank_report, truth_report
from nas.space import Space, load_space
from nas.study import StudyRun, StudySettings, derived_seed, make_pruner, make_sampler
from nas.study import run_study

PARAMETER = "job"
PROTOCOLS = ("proxy", "reference")
BAND = 0.1
"""With a truth table: the FLOP band is T × (1 ± BAND)."""
DRAWS = 2000
"""Random architectures drawn from the space before picking N spread over FLOPs."""


def default_reference(proxy: ProxySettings, space: Space) -> ProxySettings:
    """The documented default reference: 3 × the proxy's epochs, all training images (no
    ``train_size``), and the larger of the proxy resolution and the smallest resolution at which
    every searched kernel choice changes the function (with the proxy's strides removed);
    everything else as the proxy."""
    faithful = faithful_resolution(space, strides_removed=proxy.strides_removed)
    return dataclasses.replace(
        proxy, train_size=None, resolution=max(proxy.resolution, faithful),
        train=dataclasses.replace(proxy.train, epochs=3 * proxy.train.epochs))


@dataclass(frozen=True, kw_only=True)
class RankCheckOptions:
    """Everything ``nas rank-check`` takes.

    Attributes:
        space: search space name or YAML path.
        samples: architectures drawn (spread evenly over target FLOPs), at least 4.
        repeats: how many of them are trained again with a second seed (None: a quarter of
            ``samples``, at least 2).
        proxy: the cheap protocol under test (the search's proxy settings).
        reference: the reference protocol (None: :func:`default_reference`).
        zero_cost: zero-cost proxies scored on every architecture at initialisation.
        bootstrap: bootstrap resamples for the confidence intervals.
        supernet: a file written by ``nas supernet`` for ``space``: every architecture is
            also scored with the weights it inherits from it (signal ``supernet``; on the
            supernet's own data split and geometry).
        truth: ``table:FILE``, a tabular benchmark covering ``space``: the reference (see the
            module docstring); None: the reference protocol is trained.
        target_flops: with ``truth``, T of the FLOP band (fvcore FLOPs at the space's target);
            None: the median FLOPs of the architectures sampled over the whole space.
        train_proxy: with ``truth``, False scores only the signals that need no training.
    """

    space: str = "efficientnet_b0"
    samples: int = 16
    repeats: int | None = None
    proxy: ProxySettings = field(default_factory=ProxySettings)
    reference: ProxySettings | None = None
    zero_cost: tuple[str, ...] = ZERO_COST_PROXIES
    bootstrap: int = 1000
    study: StudySettings = field(default_factory=StudySettings)
    supernet: str | None = None
    truth: str | None = None
    target_flops: int | None = None
    train_proxy: bool = True

    def __post_init__(self) -> None:
        if self.truth is not None and table_path(self.truth) is None:
            raise ConfigError(f"truth must be table:FILE, but got {self.truth!r}")
        if self.truth is None and not self.train_proxy:
            raise ConfigError("the proxy must be trained without a truth table (--truth), "
                              "since the reference protocol is what it is judged against")
        if self.target_flops is not None:
            check_int("target FLOPs", self.target_flops, minimum=1)
        check_int("samples", self.samples, minimum=4)
        if self.repeats is not None:
            check_int("repeats", self.repeats, minimum=2)
            if self.repeats > self.samples:
                raise ConfigError(f"repeats must be at most samples ({self.samples}), "
                                  f"but got {self.repeats}")
        check_int("bootstrap", self.bootstrap, minimum=100)
        unknown = [name for name in self.zero_cost if name not in ZERO_COST_PROXIES]
        if unknown:
            raise ConfigError(f"zero-cost proxy must be one of {', '.join(ZERO_COST_PROXIES)}, "
                              f"but got {unknown[0]!r}")

    @property
    def repeated(self) -> int:
        return self.repeats if self.repeats is not None else max(2, self.samples // 4)

    def reference_settings(self, space: Space) -> ProxySettings:
        return self.reference or default_reference(self.proxy, space)

    def study_name(self, space: Space) -> str:
        if self.study.name:
            return self.study.name
        name = f"rank-{space.name}-{data_slug(self.proxy.data)}-n{self.samples}"
        if self.truth is not None:
            name += "-truth"
        return f"{name}-seed{self.study.seed}" if self.study.seed else name


def _drawn(space: Space, *, seed: int, keep=lambda flops: True,
           exclude: tuple[Arch, ...] = ()) -> list[Arch]:
    """The distinct architectures among :data:`DRAWS` random draws seeded with ``seed`` whose
    target FLOPs pass ``keep``, none of ``exclude``, from the lowest FLOPs to the highest."""
    rng = numpy.random.default_rng(seed)
    taken = {json.dumps(to_dict(arch), sort_keys=True) for arch in exclude}
    pool: dict[str, tuple[int, Arch]] = {}
    for _ in range(DRAWS):
        arch = space.arch(space.random_params(rng))
        key = json.dumps(to_dict(arch), sort_keys=True)
        if key not in pool and key not in taken:
            flops = count(arch).flops
            if keep(flops):
                pool[key] = (flops, arch)
    return [arch for _, arch in sorted(pool.values(), key=lambda item: item[0])]


def _spread(ranked: list[Arch], samples: int) -> list[Arch]:
    """``samples`` of ``ranked`` at evenly spaced positions (all of them if there are fewer)."""
    if len(ranked) <= samples:
        return ranked
    return [ranked[round(i * (len(ranked) - 1) / (samples - 1))] for i in range(samples)]


def sample_architectures(space: Space, samples: int, *, seed: int) -> list[Arch]:
    """``samples`` distinct architectures at evenly spaced FLOPs quantiles of :data:`DRAWS`
    seeded random draws (lowest to highest target FLOPs)."""
    ranked = _drawn(space, seed=seed)
    if len(ranked) < samples:
        raise ConfigError(f"samples must be at most the {len(ranked)} distinct architectures "
                          f"found in space {space.name!r}, but got {samples}")
    return _spread(ranked, samples)


def sample_band(space: Space, samples: int, *, low: float, high: float, seed: int,
                exclude: list[Arch]) -> list[Arch]:
    """Up to ``samples`` distinct architectures with FLOPs in [low, high], at evenly spaced
    FLOPs quantiles of :data:`DRAWS` seeded random draws, none of ``exclude``."""
    return _spread(_drawn(space, seed=seed + 1, keep=lambda flops: low <= flops <= high,
                          exclude=tuple(exclude)), samples)


def band_of(options: RankCheckOptions, spread: list[Arch]) -> tuple[float, float]:
    """The FLOP band (low, high) of a truth-judged rank check."""
    target = options.target_flops or float(numpy.median([count(a).flops for a in spread]))
    return target * (1 - BAND), target * (1 + BAND)


def job_labels(samples: int, repeated: int) -> list[str]:
    """``protocol:architecture:seed`` for every training: all architectures with seed 0 under
    both protocols, then the evenly spaced ``repeated`` ones again with seed 1."""
    again = sorted({round(i * (samples - 1) / (repeated - 1)) for i in range(repeated)})
    return ([f"{protocol}:{index}:0" for index in range(samples) for protocol in PROTOCOLS]
            + [f"{protocol}:{index}:1" for index in again for protocol in PROTOCOLS])


@dataclass
class PreparedRankCheck:
    options: RankCheckOptions
    space: Space
    name: str
    study: optuna.Study
    threads: int
    archs: list[Arch]
    jobs: list[str]
    surplus_limit: None = None
    supernet: object = None
    """The loaded :class:`nas.scoring.SupernetFile`, or None."""
    truth: object = None
    """The :class:`nas.scoring.Table` that is the reference, or None."""
    band: tuple[float, float] | None = None

    @property
    def total(self) -> int:
        return len(self.jobs)

    def claim(self, trial: optuna.Trial) -> None:
        trial.suggest_categorical(PARAMETER, self.jobs)

    def remaining(self, trials: list[FrozenTrial]) -> int:
        done = {t.params.get(PARAMETER) for t in trials
                if t.state.is_finished() or t.state == TrialState.RUNNING}
        return sum(job not in done for job in self.jobs)


def prepare_rank_check(options: RankCheckOptions, *, threads: int | None = None
                       ) -> PreparedRankCheck:
    """Validate input, draw the architectures, then open or create the study."""
    space = load_space(options.space)
    reference = options.reference_settings(space)
    archs = sample_architectures(space, options.samples, seed=options.study.seed)
    jobs = job_labels(options.samples, options.repeated)
    truth, band = None, None
    if options.truth is not None:
        truth = open_table(table_path(options.truth), space)
        band = band_of(options, archs)
        archs += sample_band(space, options.samples, low=band[0], high=band[1],
                             seed=options.study.seed, exclude=archs)
        jobs = [label for label in job_labels(len(archs), options.repeated)
                if label.startswith("proxy:")
                and (options.train_proxy or label.endswith(":0"))]
    identity = {"kind": "rank-check", "space": space.name,
                "space_fingerprint": space.fingerprint, "samples": options.samples,
                "repeats": options.repeated, "zero_cost": list(options.zero_cost),
                "seed": options.study.seed, "proxy": options.proxy.identity(),
                "reference": reference.identity()}
    if truth is not None:
        identity.update(truth=truth.identity(), band=[int(band[0]), int(band[1])],
                        train_proxy=options.train_proxy)
        del identity["reference"]
    supernet = None
    if options.supernet is not None:
        supernet = load_supernet(options.supernet, device=options.proxy.train.device)
        if supernet.supernet.space.fingerprint != space.fingerprint:
            raise ConfigError(f"--space must be the supernet's space, but {options.supernet} "
                              f"was trained on space {supernet.supernet.space.name!r} and got "
                              f"{space.name!r}")
        supernet.require_complete()
        identity["supernet"] = supernet.fingerprint
    if truth is None:
        get_data(reference, resolution=reference.resolution, seed=options.study.seed)
    study, threads = open_run(
        options, name=options.study_name(space), identity=identity, directions=["maximize"],
        sampler=make_sampler("grid", seed=options.study.seed, grid={PARAMETER: jobs}),
        pruner=make_pruner("none", epochs=1), threads=threads)
    return PreparedRankCheck(options, space, options.study_name(space), study, threads, archs,
                             jobs, supernet=supernet, truth=truth, band=band)


def make_rank_objective(prepared: PreparedRankCheck, *, progress: bool
                        ) -> Callable[[optuna.Trial], float]:
    options, seed = prepared.options, prepared.options.study.seed
    settings = {"proxy": options.proxy, "reference": options.reference_settings(prepared.space)}

    def objective(trial: optuna.Trial) -> float:
        record_worker(trial, study_seed=seed, threads=prepared.threads,
                      device=options.proxy.train.device)
        protocol, index, repeat = trial.suggest_categorical(PARAMETER, prepared.jobs).split(":")
        target, protocol_settings = prepared.archs[int(index)], settings[protocol]
        training_seed = derived_seed(seed, int(index), int(repeat))
        for key, value in (("protocol", protocol), ("architecture", int(index)),
                           ("repeat", int(repeat)), ("training_seed", training_seed)):
            trial.set_user_attr(key, value)
        record_candidate(trial, target)
        if prepared.truth is not None:
            seeds = prepared.truth.seeds_of(target)
            trial.set_user_attr(TRUTH_KEY, prepared.truth.mean_accuracy(target))
            trial.set_user_attr(TRUTH_SEEDS_KEY, list(seeds))
        data = get_data(protocol_settings, resolution=protocol_settings.resolution, seed=seed)
        if protocol == "proxy" and repeat == "0" and options.zero_cost:
            start = time.process_time()
            arch = proxy_arch(target, num_classes=data.num_classes, resolution=data.resolution,
                              width=protocol_settings.width,
                              strides_removed=protocol_settings.strides_removed)
            trial.set_user_attr("zero_cost", zero_cost_scores(
                arch, data, names=options.zero_cost, seed=training_seed))
            trial.set_user_attr("zero_cost_cpu_seconds", round(time.process_time() - start, 3))
        if protocol == "proxy" and repeat == "0" and prepared.supernet is not None:
            file = prepared.supernet
            score = score_inherited(
                file.supernet, target,
                get_data(file.proxy, resolution=file.proxy.resolution, seed=file.seed),
                seed=training_seed, device=options.proxy.train.device,
                threads=prepared.threads)
            trial.set_user_attr("supernet_accuracy", score.accuracy)
            trial.set_user_attr("supernet_cpu_seconds", score.cpu_seconds)
        if not options.train_proxy:
            return trial.user_attrs[TRUTH_KEY]
        start = time.process_time()
        result = train_candidate(trial, target, proxy=protocol_settings, data=data,
                                 seed=training_seed, threads=prepared.threads)
        trial.set_user_attr("cpu_seconds", round(time.process_time() - start, 3))
        return result.accuracy

    return objective


def _worker_entry(options: RankCheckOptions, threads: int) -> PreparedRankCheck:
    return prepare_rank_check(options, threads=threads)


def run_rank_check(options: RankCheckOptions, *, progress: bool = True,
                   log: Callable[[str], None] | None = None) -> StudyRun:
    """Run (or resume) every training job; return the :class:`~nas.study.StudyRun` whose
    ``summary`` is the rank-fidelity report (see :func:`rank_report`)."""
    prepared = prepare_rank_check(options)
    run = run_study(prepared, worker=_worker_entry, make_objective=make_rank_objective,
                    settings=options.study, progress=progress, log=log)
    if prepared.truth is not None:
        run.summary = {"study": run.name, "storage": run.storage, "truth": options.truth,
                       **truth_report(run.study, samples=len(prepared.archs),
                                      zero_cost=options.zero_cost, bootstrap=options.bootstrap,
                                      seed=options.study.seed, band=prepared.band),
                       "supernet": options.supernet, "train_proxy": options.train_proxy,
                       "proxy": dataclasses.asdict(options.proxy),
                       "interrupted": run.signal is not None, "error": run.failure}
        return run
    run.summary = {"study": run.name, "storage": run.storage,
                   **rank_report(run.study, samples=options.samples,
                                 zero_cost=options.zero_cost, bootstrap=options.bootstrap,
                                 seed=options.study.seed),
                   "supernet": options.supernet,
                   "proxy": dataclasses.asdict(options.proxy),
                   "reference": dataclasses.asdict(options.reference_settings(prepared.space)),
                   "interrupted": run.signal is not None, "error": run.failure}
    return run
