"""``nas scale``: grid-search the compound coefficients (α, β, γ) at φ = 1 by proxy training.

Every grid point (plus the base and the single-dimension baselines) is one trial of an Optuna
study driven by ``GridSampler``, so a run resumes, and several workers share it, like a search.
A trial scales the base by depth α^φ, width β^φ and resolution γ^φ (rounded as ``nas family``
rounds), counts the scaled target's FLOPs, trains the proxy at the proxy resolution × γ^φ
(rounded to an integer), and reports validation accuracy. A point that rounds to a network
already trained shares that result (``same_network_as``) instead of training it again. After
the grid, the top ``confirm`` compound points train again under another seed (see
:mod:`nas.study` ``run_confirmations``), which measures seed noise for the choice
(:func:`nas.scaling.chosen`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import optuna
from optuna.trial import FrozenTrial, TrialState
from nas._progress import progress_bar

from nas._checks import check_int
from nas._errors import ConfigError
from nas.arch import Arch, round_resolution, scale, to_dict
from nas.cost import count
from nas.scaling._family import RESOLUTION_DIVISOR
from nas.scaling._grid import Point, all_points, enumerate_grid, parse_decimal, parse_point
from nas.scaling._results import point_trials, scale_summary, scaling_document, seed_accuracies
from nas.scaling._results import write_scaling
from nas.scoring import ProxySettings, get_data, train_candidate
from nas.search import (
    best_originals,
    data_slug,
    open_run,
    record_candidate,
    record_worker,
    share_result,
    trained_twin,
)
from nas.study import RETRY_KEY, StudyRun, StudySettings, make_pruner, make_sampler, run_study
from nas.study import CONFIRM_KEY, count_confirmations, run_confirmations
from nas.study import study_lock

PARAMETER = "point"


@dataclass(frozen=True, kw_only=True)
class ScaleOptions:
    """Everything ``nas scale`` takes.

    Attributes:
        base: the architecture to scale (at its target resolution and classes).
        base_name: a short name for it (used in the default study name).
        phi: compound coefficient φ of the trials (EfficientNet uses 1).
        step, max_coefficient, tolerance: the grid, as decimal strings.
        points: extra ``A,B,G`` points to evaluate.
        confirm: after the grid, the K compound points with the highest grid accuracy (distinct
            networks) are trained again with another seed; their differences measure seed
            noise, and points within noise of the best tie (see :func:`chosen`). 0: off.
    """

    base: Arch
    base_name: str
    phi: float = 1.0
    step: str = "0.05"
    max_coefficient: str = "2.0"
    tolerance: str = "0.1"
    points: tuple[str, ...] = ()
    confirm: int = 3
    proxy: ProxySettings = field(default_factory=ProxySettings)
    study: StudySettings = field(default_factory=StudySettings)

    def __post_init__(self) -> None:
        if not (isinstance(self.phi, (int, float)) and 0 < self.phi <= 10):
            raise ConfigError(f"phi must be a number in (0, 10], but got {self.phi!r}")
        check_int("confirm", self.confirm, minimum=0)
        self.grid()

    def grid(self) -> list[Point]:
        step = parse_decimal("step", self.step, minimum=Decimal("0.001"))
        maximum = parse_decimal("max coefficient", self.max_coefficient, minimum=Decimal(1))
        tolerance = parse_decimal("tolerance", self.tolerance, minimum=Decimal(0))
        return enumerate_grid(step=step, max_coefficient=maximum, tolerance=tolerance)

    def all_points(self) -> list[Point]:
        return all_points(self.grid(), [parse_point(text) for text in self.points])

    def study_name(self) -> str:
        if self.study.name:
            return self.study.name
        name = f"scale-{self.base_name}-{data_slug(self.proxy.data)}-step{self.step}"
        return f"{name}-seed{self.study.seed}" if self.study.seed else name

    def identity(self) -> dict:
        return {"kind": "scale", "base": to_dict(self.base), "phi": self.phi,
                "points": [point.label for point in self.all_points()],
                "seed": self.study.seed, **self.proxy.identity()}


@dataclass
class PreparedScale:
    options: ScaleOptions
    name: str
    study: optuna.Study
    threads: int
    points: list[Point]
    base_flops: int
    surplus_limit: None = None
    confirmations: int = 0

    @property
    def total(self) -> int:
        return len(self.points) + self.confirmations

    def claim(self, trial: optuna.Trial) -> None:
        """Fix the trial's point while the study lock is held, so other workers see it as
        taken (the objective's own suggest then returns the same value)."""
        trial.suggest_categorical(PARAMETER, [point.label for point in self.points])

    def remaining(self, trials: list[FrozenTrial]) -> int:
        """Points with no finished trial yet (a failed point waits for the next run), plus
        trials waiting in the queue."""
        done = {t.params.get(PARAMETER) for t in trials
                if t.state.is_finished() or t.state == TrialState.RUNNING}
        waiting = sum(t.state == TrialState.WAITING for t in trials)
        return sum(point.label not in done for point in self.points) + waiting


def _requeue_failed_points(study: optuna.Study, points: list[Point]) -> None:
    """A re-run retries points whose every trial failed (unless already queued or running)."""
    trials = study.get_trials(deepcopy=False)
    by_label: dict[str, list[FrozenTrial]] = {}
    for trial in trials:
        by_label.setdefault(trial.params.get(PARAMETER) or trial.system_attrs.get(
            "fixed_params", {}).get(PARAMETER), []).append(trial)
    for point in points:
        history = by_label.get(point.label, [])
        if history and all(t.state == TrialState.FAIL for t in history):
            study.enqueue_trial({PARAMETER: point.label},
                                user_attrs={RETRY_KEY: history[-1].number})


def prepare_scale(options: ScaleOptions, *, threads: int | None = None,
                  requeue: bool = True) -> PreparedScale:
    """Validate input, then open or create the grid study."""
    points = options.all_points()
    name = options.study_name()
    grid = {PARAMETER: [point.label for point in points]}
    study, threads = open_run(
        options, name=name, identity=options.identity(), directions=["maximize"],
        sampler=make_sampler("grid", seed=options.study.seed, grid=grid),
        pruner=make_pruner("none", epochs=options.proxy.train.epochs), threads=threads)
    if requeue:
        with study_lock(options.study.storage, options.study.root, name):
            _requeue_failed_points(study, points)
    return PreparedScale(options, name, study, threads, points, count(options.base).flops,
                         confirmations=count_confirmations(study))


def scaled_arch(base: Arch, point: Point, phi: float) -> Arch:
    """Depth α^φ, width β^φ, resolution γ^φ, rounded exactly as ``nas family`` rounds its
    members (the target side to a multiple of 8), so the φ = 1 member of the chosen point is
    the very network that was evaluated."""
    alpha, beta, gamma = point.floats()
    return scale(base, depth=alpha ** phi, width=beta ** phi, resolution=gamma ** phi,
                 resolution_divisor=RESOLUTION_DIVISOR)


def make_scale_objective(prepared: PreparedScale, *, progress: bool
                         ) -> Callable[[optuna.Trial], float]:
    options = prepared.options
    proxy, seed, phi = options.proxy, options.study.seed, options.phi
    by_label = {point.label: point for point in prepared.points}

    def objective(trial: optuna.Trial) -> float:
        trial_seed = record_worker(trial, study_seed=seed, threads=prepared.threads,
                                   device=proxy.train.device)
        point = by_label[trial.suggest_categorical(PARAMETER, list(by_label))]
        for key, value in (("alpha", point.alpha), ("beta", point.beta),
                           ("gamma", point.gamma), ("product", point.product)):
            trial.set_user_attr(key, float(value))
        trial.set_user_attr("kind", point.kind)
        target = scaled_arch(options.base, point, phi)
        cost = record_candidate(trial, target)
        trial.set_user_attr("flops_ratio", cost.flops / prepared.base_flops)
        resolution = round_resolution(proxy.resolution * float(point.gamma) ** phi)
        confirming = CONFIRM_KEY in trial.user_attrs  # a second seed: trained on purpose
        twin = None if confirming else trained_twin(trial.study, target,
                                                    proxy_resolution=resolution)
        if twin is not None:  # never train the same network twice
            share_result(trial, twin)
            return twin.value
        data = get_data(proxy, resolution=resolution, seed=seed)
        with progress_bar(total=proxy.train.epochs, desc=f"point {point.label}",
                          unit="epoch", leave=False, position=1, disable=not progress) as bar:
            result = train_candidate(trial, target, proxy=proxy, data=data, seed=trial_seed,
                                     threads=prepared.threads,
                                     progress=lambda epoch: bar.update())
        return result.accuracy

    return objective


def _worker_entry(options: ScaleOptions, threads: int) -> PreparedScale:
    return prepare_scale(options, threads=threads, requeue=False)


def run_scale(options: ScaleOptions, *, progress: bool = True,
              log: Callable[[str], None] | None = None) -> StudyRun:
    """Prepare and run the grid, choose (α, β, γ) and write ``studies/<study>/scaling.yaml``;
    return the :class:`~nas.study.StudyRun` (``outputs["scaling"]``: that file; ``summary``:
    the document ``nas scale --json`` prints)."""
    prepared = prepare_scale(options)
    run = run_study(prepared, worker=_worker_entry, make_objective=make_scale_objective,
                    settings=options.study, progress=progress, log=log)
    if options.confirm:
        run = run_confirmations(
            run, prepared, pick=lambda study: best_originals(
                study, options.confirm, keep=lambda t: t.user_attrs["kind"].startswith("compound")),
            settings=options.study, worker=_worker_entry, make_objective=make_scale_objective,
            progress=progress, log=log)
    trials, groups = point_trials(run.study), seed_accuracies(run.study)
    document = scaling_document(base=options.base, base_name=options.base_name, phi=options.phi,
                                study_name=run.name, storage=run.storage, trials=trials,
                                groups=groups)
    if document is not None:
        run.outputs["scaling"] = str(write_scaling(document, options.study.root, run.name))
    run.summary = scale_summary(run, grid_points=len(options.grid()),
                                trials_needed=prepared.total, trials=trials,
                                document=document, groups=groups)
    return run
