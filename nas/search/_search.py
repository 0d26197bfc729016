"""``nas search``: sample architectures from a space, count their FLOPs (or predict their
latency) at the target, train proxies on real data (or score them with weights inherited from a
supernet), and reward accuracy under the FLOP (or latency) budget, as resumable Optuna
studies."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import optuna
from nas._progress import progress_bar

from nas._checks import check_int
from nas._errors import ConfigError
from nas.search._evaluate import (
    best_originals,
    open_run,
    record_candidate,
    record_worker,
    share_result,
    trained_twin,
)
from nas.cost import LatencySettings, LatencyTable, count, default_cache, device_name
from nas.cost import measure_latency
from nas.scoring import ZERO_COST_PROXIES, ProxySettings, blind_choices, faithful_resolution
from nas.scoring import CALIBRATION_IMAGES, SupernetFile, get_data, load_supernet
from nas.scoring import Table, open_table, score_inherited, table_path, train_candidate
from nas.search._prescreen import DONE_KEY, default_candidates, is_new, prescreen
from nas.search._options import OBJECTIVES, data_slug, flops_label, latency_label
from nas.search._reward import Reward
from nas.search._summary import search_summary, write_best
from nas.space import PARAMETER_ENCODING, Space, load_space
from nas.study import StudyRun, StudySettings, is_feasible, make_pruner, make_sampler, run_study
from nas.study import CONFIRM_KEY, count_confirmations, run_confirmations
from nas.study import study_lock, trials_remaining


@dataclass(frozen=True, kw_only=True)
class SearchOptions:
    """Everything ``nas search`` takes.

    Attributes:
        space: search space name (``search_spaces/<name>.yaml``) or YAML path.
        target_flops: T, the FLOP budget at the space's target resolution (fvcore FLOPs);
            ignored when ``target_latency_ms`` is given.
        target_latency_ms: T as a latency in milliseconds per forward pass at the space's
            target resolution, on this machine (MnasNet's reward on latency): each candidate's
            latency is predicted from the per-block table of ``latency`` (timing any part it
            lacks; see :class:`nas.cost.LatencyTable`), and every trained candidate is also
            measured end to end. ``None``: FLOPs are the target (exact and noise-free).
        latency: where and how latency is measured (device, runtime, batch, threads).
        reward: ``soft`` or ``hard`` (see :class:`~nas.search.Reward`).
        w: reward exponent override.
        slack: over-budget tolerance: a candidate above T × (1 + slack) is infeasible, in every
            mode, and is recorded but never trained (it could not win).
        objective: ``single`` (the reward) or ``multi`` (accuracy ↑, FLOPs ↓ with NSGA-II).
        baseline: enqueue the space's baseline (e.g. EfficientNet-B0) as the first trial.
        prescreen: candidates scored with a zero-cost proxy before the first trial, the best
            queued (0: off; ``None``: 500 for a new study that trains; see ``_prescreen``).
        prescreen_proxy: the zero-cost proxy that scores them (the measured best; ``_prescreen``).
        confirm: after the trials, train the K feasible trials with the highest reward again
            with another seed; the winner is the best mean reward over seeds among them, and
            summaries mark the trials within seed noise of it (0: off; single objective only).
            With a supernet, "again with another seed" is a second inherited score whose
            batch-norm calibration images are drawn with another seed.
        supernet: a file written by ``nas supernet`` (:func:`nas.scoring.train_supernet`):
            each candidate is scored with the weights it inherits from it
            (:func:`nas.scoring.score_inherited`) instead of training its proxy. Its space must
            be ``space``; the data, proxy geometry and split are the file's, and ``proxy``'s
            must agree with them (the training options do not apply).
        calibration_images: with a supernet, training images for each candidate's batch-norm
            recalibration.
        strict: an unreadable image of a folder is an error (by default it is left out and
            counted in the summary's ``skipped_images``).
        evaluate: ``train`` (train each candidate's proxy on the data) or ``table:FILE``: look
            the accuracy up in a tabular benchmark (:func:`nas.scoring.open_table`), in the
            published training that the trial's seed picks; milliseconds per trial, and
            every sampler, reward, budget, slack, confirmation and worker count behaves as
            with training. The proxy and data options do not apply.
    """

    space: str = "efficientnet_b0"
    target_flops: int = 400_000_000
    reward: str = "soft"
    w: float | None = None
    slack: float = 0.1
    objective: str = "single"
    baseline: bool = False
    prescreen: int | None = None
    prescreen_proxy: str = "naswot"
    confirm: int = 0
    target_latency_ms: float | None = None
    latency: LatencySettings = field(default_factory=LatencySettings)
    proxy: ProxySettings = field(default_factory=ProxySettings)
    study: StudySettings = field(default_factory=StudySettings)
    supernet: str | None = None
    calibration_images: int = CALIBRATION_IMAGES
    strict: bool = False
    evaluate: str = "train"

    def __post_init__(self) -> None:
        if table_path(self.evaluate) is not None and self.supernet is not None:
            raise ConfigError(f"evaluator must be train with a supernet (it scores candidates "
                              f"itself), but got {self.evaluate!r}")
        check_int("calibration images", self.calibration_images, minimum=1)
        if self.calibration_images != CALIBRATION_IMAGES and self.supernet is None:
            raise ConfigError(f"calibration images must come with a supernet (--supernet), but "
                              f"got {self.calibration_images} without one")
        if self.objective not in OBJECTIVES:
            raise ConfigError(f"objective must be one of {', '.join(OBJECTIVES)}, "
                              f"but got {self.objective!r}")
        self.reward_function()
        if self.prescreen is not None:
            check_int("prescreen", self.prescreen, minimum=0)
        check_int("confirm", self.confirm, minimum=0)
        if self.confirm and self.multi:
            raise ConfigError(f"confirm must be 0 with the multi objective (there is no single "
                              f"winner to confirm), but got {self.confirm}")
        if self.prescreen_proxy not in ZERO_COST_PROXIES:
            raise ConfigError(f"prescreen proxy must be one of {', '.join(ZERO_COST_PROXIES)}, "
                              f"but got {self.prescreen_proxy!r}")

    @property
    def multi(self) -> bool:
        return self.objective == "multi"

    def reward_function(self) -> Reward:
        if self.target_latency_ms is not None:
            return Reward(mode=self.reward, target_latency_ms=self.target_latency_ms,
                          exponent=self.w, slack=self.slack)
        return Reward(mode=self.reward, target_flops=self.target_flops, exponent=self.w,
                      slack=self.slack)

    def study_name(self, space: Space) -> str:
        if self.study.name:
            return self.study.name
        target = (flops_label(self.target_flops) if self.target_latency_ms is None
                  else latency_label(self.target_latency_ms))
        parts = [space.name, data_slug(self.proxy.data), target, self.reward]
        if self.supernet is not None:
            parts.append("supernet")
        if table_path(self.evaluate) is not None:
            parts[1] = "table"
        if self.multi:
            parts.append("multi")
        if self.study.seed:
            parts.append(f"seed{self.study.seed}")
        return "-".join(parts)

    def identity(self, space: Space) -> dict:
        """What a study is: refused if a re-run under the same name differs in any of it."""
        reward = self.reward_function()
        if self.target_latency_ms is None:
            target = {"target_flops": self.target_flops}
        else:  # a latency target means this device, runtime, batch and threads
            target = {"target_latency_ms": self.target_latency_ms, "latency": {
                **self.latency.context(), "device_name": device_name(self.latency.device)}}
        return {
            "kind": "search", "space": space.name, "space_fingerprint": space.fingerprint,
            **target, "target_resolution": space.target_resolution,
            "target_num_classes": space.target_num_classes, "reward": self.reward,
            "w": reward.w, "slack": self.slack, "objective": self.objective,
            "seed": self.study.seed, "parameter_encoding": PARAMETER_ENCODING,
            **self.proxy.identity(),
            # absent without a supernet, so studies created before the option existed resume
            **({"supernet_calibration_images": self.calibration_images}
               if self.supernet else {}),
        }


@dataclass
class Prepared:
    """A search ready to run in this process."""

    options: SearchOptions
    space: Space
    reward: Reward
    name: str
    study: optuna.Study
    threads: int
    confirmations: int = 0
    table: LatencyTable | None = None
    """The per-block latency table (latency targets only)."""
    supernet: SupernetFile | None = None
    """The supernet that scores candidates (``--supernet`` only)."""
    benchmark: Table | None = None
    """The tabular benchmark that answers candidates (``--evaluate table:FILE`` only)."""

    @property
    def total(self) -> int:
        """Finished trials the study should hold (the trials, then their confirmations)."""
        return self.options.study.trials + self.confirmations

    @property
    def surplus_limit(self) -> int:
        return self.total

    def remaining(self, trials) -> int:
        return trials_remaining(self.total)(trials)


def prepare(options: SearchOptions, *, threads: int | None = None) -> Prepared:
    """Validate everything (space, data, device, storage), then open or create the study.
    Nothing is written before all input has been checked."""
    space = load_space(options.space)
    reward = options.reward_function()
    table = None  # checks the latency device and runtime before anything is written
    if options.target_latency_ms is not None:
        table = LatencyTable(options.latency, root=options.study.root)
    supernet = None
    identity = options.identity(space)
    if options.supernet is not None:
        supernet = load_supernet(options.supernet, device=options.proxy.train.device)
        check_supernet(supernet, space, options.proxy)
        identity["supernet"] = supernet.fingerprint
    benchmark = None
    if table_path(options.evaluate) is not None:
        benchmark = open_table(table_path(options.evaluate), space)
        identity["evaluate"] = benchmark.identity()
    name = options.study_name(space)
    sampler_kind = options.study.sampler or ("nsga2" if options.multi else "tpe")
    if options.multi and sampler_kind == "evolution":
        raise ConfigError("sampler must be nsga2, tpe, gp or random with the multi objective "
                          "(regularized evolution ranks one objective), but got 'evolution'")
    study, threads = open_run(
        options, name=name, identity=identity,
        directions=["maximize", "minimize"] if options.multi else ["maximize"],
        sampler=make_sampler(sampler_kind, seed=options.study.seed),
        pruner=make_pruner(options.study.pruner, epochs=options.proxy.train.epochs,
                           warmup_epochs=options.proxy.train.warmup_epochs),
        threads=threads, load_data=benchmark is None)
    if options.baseline:
        study.enqueue_trial(space.trial_params(space.baseline_params()),
                            user_attrs={"baseline": True}, skip_if_exists=True)
    return Prepared(options, space, reward, name, study, threads,
                    confirmations=count_confirmations(study), table=table, supernet=supernet,
                    benchmark=benchmark)


SUPERNET_PROTOCOL_FIELDS = ("data", "resolution", "width", "strides_removed", "train_size",
                            "validation_fraction")
"""What a supernet fixes of the proxy protocol: its data, geometry and split."""


def adopt_supernet_protocol(proxy: ProxySettings, path: str, *,
                            given: set[str]) -> ProxySettings:
    """``proxy`` with each of :data:`SUPERNET_PROTOCOL_FIELDS` not in ``given`` (the fields the
    user set) taken from the supernet file at ``path``: what ``nas search --supernet`` does
    with data and proxy options left out. Fields given are kept, and checked by
    :func:`check_supernet`."""
    trained = load_supernet(path).proxy
    return dataclasses.replace(proxy, **{key: getattr(trained, key)
                                         for key in SUPERNET_PROTOCOL_FIELDS
                                         if key not in given})


def check_supernet(supernet: SupernetFile, space: Space, proxy: ProxySettings) -> None:
    """Raise :class:`ConfigError` unless ``supernet`` was trained on ``space`` and on the data,
    proxy geometry and split of ``proxy`` (the training protocol may differ)."""
    path = str(supernet.path)
    if supernet.supernet.space.fingerprint != space.fingerprint:
        raise ConfigError(f"--space must be the supernet's space, but {path} was trained on "
                          f"space {supernet.supernet.space.name!r} and got {space.name!r} "
                          f"(or the same name with other choices)")
    supernet.require_complete()
    trained = supernet.identity["proxy"]  # fingerprinted when it was trained
    wanted = proxy.identity()
    for key, option in (("data", "--data"), ("proxy_resolution", "--proxy-resolution"),
                        ("proxy_width", "--proxy-width"),
                        ("strides_removed", "--proxy-strides-removed"),
                        ("train_size", "--train-size"),
                        ("validation_fraction", "--validation-fraction")):
        if trained.get(key) != wanted.get(key):
            raise ConfigError(f"{option} must be the supernet's, but {path} was trained with "
                              f"{trained.get(key)!r} and got {wanted.get(key)!r}")


def make_objective(prepared: Prepared, *, progress: bool) -> Callable[[optuna.Trial], object]:
    options, space, reward = prepared.options, prepared.space, prepared.reward
    proxy, seed = options.proxy, options.study.seed

    def objective(trial: optuna.Trial) -> object:
        trial_seed = record_worker(trial, study_seed=seed, threads=prepared.threads,
                                   device=proxy.train.device)
        target = space.sample(trial)
        cost = record_candidate(trial, target)
        if prepared.table is None:
            spent = cost.flops
            trial.set_user_attr("flops_ratio", round(cost.flops / reward.target, 6))
        else:
            spent = prepared.table.predict(target).latency_ms
            trial.set_user_attr("latency_predicted_ms", spent)
            trial.set_user_attr("latency_ratio", round(spent / reward.target, 6))
        trial.set_constraint(reward.metric, reward.constraint(spent))
        if spent > reward.budget:  # infeasible in every mode: it can never win
            reason = (f"over the FLOP budget: {cost.flops:,} > {int(reward.budget):,} FLOPs "
                      if prepared.table is None else
                      f"over the latency budget: {spent:.3f} > {reward.budget:.3f} ms "
                      f"predicted ")
            trial.set_user_attr("skipped", reason + "(T x (1 + slack)); not trained")
            raise optuna.TrialPruned(reason + "(T x (1 + slack)); not trained")
        confirming = CONFIRM_KEY in trial.user_attrs  # another seed of a top trial
        twin = None if confirming else trained_twin(trial.study, target)
        if twin is not None:  # never train the same network twice: share its result
            share_result(trial, twin)
            return tuple(twin.values) if options.multi else twin.value
        if prepared.table is not None and not confirming:
            measured = measure_latency(target, options.latency,
                                       cache=default_cache(options.study.root))
            trial.set_user_attr("latency_measured_ms", measured.median_ms)
        if prepared.supernet is not None:
            return _score_with_supernet(prepared, trial, target, spent, seed=trial_seed)
        if prepared.benchmark is not None:
            return _answer_from_table(prepared, trial, target, spent, seed=trial_seed)
        data = get_data(proxy, resolution=proxy.resolution, seed=seed)

        def on_epoch(result) -> None:
            if options.multi or confirming:
                return
            trial.report(reward(result.validation_accuracy, spent), result.epoch)
            # after the last epoch there is nothing left to save: a trained trial completes
            if result.epoch < proxy.train.epochs and trial.should_prune():
                raise optuna.TrialPruned(f"pruned after epoch {result.epoch}")

        with progress_bar(total=proxy.train.epochs, desc=f"trial {trial.number}",
                          unit="epoch", leave=False, position=1, disable=not progress) as bar:
            def advance(result) -> None:
                bar.update()
                bar.set_postfix(accuracy=f"{result.validation_accuracy:.4f}")

            result = train_candidate(trial, target, proxy=proxy, data=data, seed=trial_seed,
                                     threads=prepared.threads, on_epoch=on_epoch,
                                     progress=advance)
        value = reward(result.accuracy, spent)
        trial.set_user_attr("reward", value)
        return (result.accuracy, spent) if options.multi else value

    return objective


def _score_with_supernet(prepared: Prepared, trial: optuna.Trial, target, spent: float, *,
                         seed: int) -> object:
    """The candidate's reward from the accuracy of its subnet with inherited weights (batch
    norm recalibrated on images drawn with the trial's seed), on the supernet's split."""
    options, file = prepared.options, prepared.supernet
    # the data the user named (checked against the file's fingerprint), the file's split
    data = get_data(options.proxy, resolution=options.proxy.resolution, seed=file.seed)
    score = score_inherited(file.supernet, target, data, seed=seed,
                            calibration_images=options.calibration_images,
                            device=options.proxy.train.device, threads=prepared.threads,
                            channels_last=options.proxy.train.channels_last)
    for key, value in (("fidelity", "supernet"), ("proxy_resolution", data.resolution),
                       ("proxy_params", score.proxy_params), ("accuracy", score.accuracy),
                       ("score_seconds", score.seconds), ("score_cpu_seconds", score.cpu_seconds)):
        trial.set_user_attr(key, value)
    value = prepared.reward(score.accuracy, spent)
    trial.set_user_attr("reward", value)
    return (score.accuracy, spent) if options.multi else value


def _answer_from_table(prepared: Prepared, trial: optuna.Trial, target, spent: float, *,
                       seed: int) -> object:
    """The candidate's reward from its accuracy in the tabular benchmark: the published
    training that the trial's seed picks (realistic noise; a confirmation picks one its
    original did not read); the mean is recorded beside it."""
    avoid = None  # a confirmation reads a training its original did not
    if CONFIRM_KEY in trial.user_attrs:
        avoid = trial.study.get_trials(deepcopy=False)[
            trial.user_attrs[CONFIRM_KEY]].user_attrs.get("table_seed")
    answer = prepared.benchmark.answer(target, seed=seed, avoid=avoid)
    for key, value in (("fidelity", "table"), ("accuracy", answer.accuracy),
                       ("table_seed", answer.seed_index),
                       ("table_mean_accuracy", round(answer.mean_accuracy, 6))):
        trial.set_user_attr(key, value)
    value = prepared.reward(answer.accuracy, spent)
    trial.set_user_attr("reward", value)
    return (answer.accuracy, spent) if prepared.options.multi else value


def proxy_warnings(space: Space, resolution: int, strides_removed: int = 0) -> list[str]:
    """One line per searched stage whose choices the proxy (its resolution, and the strides it
    removes) cannot tell apart."""
    blind = blind_choices(space, resolution, strides_removed)
    if not blind:
        return []
    faithful = faithful_resolution(space, strides_removed=strides_removed)
    advice = f"; --proxy-resolution {faithful} sees every kernel choice"
    if strides_removed:
        advice += f" with {strides_removed} stride(s) removed"
    return [choice.describe() + advice for choice in blind]


def run_search(options: SearchOptions, *, progress: bool = True,
               log: Callable[[str], None] | None = None) -> StudyRun:
    """Prepare, run the trials (in ``options.study.workers`` processes), write the best
    architecture to ``studies/<study>/best.yaml``, and return the :class:`~nas.study.StudyRun`
    (``outputs["best"]``: that file; ``summary``: the document ``nas search --json`` prints)."""
    prepared = prepare(options)
    answered = prepared.supernet is not None or prepared.benchmark is not None
    warnings = [] if answered else proxy_warnings(
        prepared.space, options.proxy.resolution, options.proxy.strides_removed)
    for line in warnings if log is not None else ():
        log(f"warning: {line}")
    candidates = default_candidates(options.prescreen, trained=not answered,
                                    fresh=is_new(prepared.study))
    if candidates:
        with study_lock(options.study.storage, options.study.root, prepared.name):
            queued = prescreen(prepared.study, prepared.space, candidates=candidates,
                               proxy_name=options.prescreen_proxy, proxy=options.proxy,
                               feasible=lambda arch: (_cost(prepared, arch)
                                                      <= prepared.reward.budget),
                               trials=options.study.trials, seed=options.study.seed)
        if queued and log is not None:
            log(f"prescreen: scored {candidates} candidates with "
                f"{options.prescreen_proxy}; queued the best {len(queued)} as the first trials")
    run = run_study(prepared, worker=_worker_entry, make_objective=make_objective,
                    settings=options.study, progress=progress, log=log)
    if options.confirm:
        run = run_confirmations(
            run, prepared,
            pick=lambda study: best_originals(study, options.confirm, keep=is_feasible),
            settings=options.study, worker=_worker_entry, make_objective=make_objective,
            progress=progress, log=log)
    best = write_best(run.study, run.name, options.study.root)
    if best is not None:
        run.outputs["best"] = str(best)
    target = ({"target_flops": options.target_flops} if options.target_latency_ms is None
              else {"target_latency_ms": options.target_latency_ms,
                    "latency": options.latency.context()})
    run.summary = search_summary(run, extra={**target,
                                             "reward": options.reward,
                                             "proxy_warnings": warnings,
                                             "prescreen": run.study.user_attrs.get(DONE_KEY),
                                             "supernet": options.supernet,
                                             "evaluate": options.evaluate})
    return run


def _cost(prepared: Prepared, arch) -> float:
    """What the reward's target constrains: FLOPs, or predicted latency in ms."""
    if prepared.table is None:
        return count(arch).flops
    return prepared.table.predict(arch).latency_ms


def _worker_entry(options: SearchOptions, threads: int):
    """Child-process side of ``--workers``: open the same study and run trials."""
    return prepare(options, threads=threads)
