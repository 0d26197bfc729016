"""Running a study in this process or in ``--workers`` processes, with one progress bar and one
log line per finished trial."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import optuna
from optuna.trial import FrozenTrial, TrialState
from nas._progress import progress_bar

from nas._errors import NasError
from nas.study._counts import state_label
from nas.study._runner import Outcome, RunFailed, Terminated, run_worker, terminate_on_sigterm
from nas.study._stores import describe_storage, lock_path, study_lock, worker_threads
from nas.study._sweeper import fail_reason, sweep_dead_workers, unresolved_running

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_CRASHED = 3
EXIT_INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143}


@dataclass
class StudyRun:
    """What a run (``run_search``, ``run_scale``) did; the study itself holds the results.

    Attributes:
        study: the Optuna study.
        name: its name.
        storage: where it lives, as ``--storage`` would name it.
        ran: trials this run started and finished (in this process, or counted by workers).
        signal: SIGINT / SIGTERM if the run was interrupted.
        failure: why the run stopped early (too many failures, a worker that died), if it did.
        unresolved: RUNNING trials left at the end whose owner is alive or on another host
            (their outcome is not known yet; Optuna's heartbeat settles them on RDB storages).
        outputs: files the run wrote, by role (``best``: best.yaml, ``scaling``: scaling.yaml).
        summary: the run's summary document (what ``--json`` prints).
    """

    study: optuna.Study
    name: str
    storage: str = ""
    ran: int = 0
    signal: int | None = None
    failure: str | None = None
    unresolved: list[int] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """1 after a failure, 130 / 143 after Ctrl-C / SIGTERM, else 0."""
        if self.failure:
            return EXIT_FAILED
        if self.signal is not None:
            return EXIT_INTERRUPTED[self.signal]
        return 0


def describe(trial: FrozenTrial, reason: str | None = None) -> str:
    """One log line for a finished trial (FLOPs in millions, fvcore count)."""
    attrs = trial.user_attrs
    parts = [f"trial {trial.number} {state_label(trial)}"]
    if attrs.get("flops") is not None:
        parts.append(f"{attrs['flops'] / 1e6:,.2f} MFLOPs")
    if attrs.get("latency_predicted_ms") is not None:
        measured = attrs.get("latency_measured_ms")
        parts.append(f"{attrs['latency_predicted_ms']:.3f} ms predicted"
                     + (f", {measured:.3f} ms measured" if measured is not None else ""))
    if attrs.get("accuracy") is not None:
        parts.append(f"accuracy {attrs['accuracy']:.4f}")
    if trial.values is not None and len(trial.values) == 1:
        parts.append(f"value {trial.values[0]:.4f}")
    if attrs.get("train_seconds") is not None:
        parts.append(f"{attrs['train_seconds']:.1f} s")
    elif attrs.get("score_seconds") is not None:  # scored with inherited weights
        parts.append(f"{attrs['score_seconds']:.1f} s")
    reason = reason or attrs.get("skipped") or attrs.get("fail_reason")
    if trial.state == TrialState.PRUNED and not reason:
        reason = f"pruned after epoch {len(attrs.get('accuracy_per_epoch', []))}"
    if reason:
        parts.append(reason)
    return "  ".join(parts)


class TrialLog:
    """Prints each trial once, when it has finished."""

    def __init__(self, study: optuna.Study, log: Callable[[str], None] | None) -> None:
        self.study = study
        self.log = log
        self.seen = {t.number for t in study.get_trials(deepcopy=False) if t.state.is_finished()}

    def update(self) -> None:
        for trial in self.study.get_trials(deepcopy=False):
            if trial.state.is_finished() and trial.number not in self.seen:
                self.seen.add(trial.number)
                if self.log is not None:
                    self.log(describe(trial, fail_reason(self.study, trial)))


def worker_device(device: str, index: int, gpus: int) -> str:
    """The device of worker ``index`` when the run names ``device``: plain ``cuda`` with
    several GPUs is ``cuda:<index mod gpus>`` (round robin, a GPU per worker); anything else
    (``cpu``, an explicit ``cuda:N``, one GPU) is kept."""
    if device == "cuda" and gpus > 1:
        return f"cuda:{index % gpus}"
    return device


def _on_own_device(options, index: int):
    """``options`` with its proxy training device spread over the GPUs (``worker_device``)."""
    train = options.proxy.train
    gpus = 0
    if train.device == "cuda":
        import torch

        gpus = torch.cuda.device_count()
    device = worker_device(train.device, index, gpus)
    if device == train.device:
        return options
    return dataclasses.replace(options, proxy=dataclasses.replace(
        options.proxy, train=dataclasses.replace(train, device=device)))


def _child(worker, make_objective, options, threads: int, index: int, directory: str,
           environment: dict[str, str]) -> None:
    """Entry point of a worker process: the parent forwards Ctrl-C as SIGTERM. A forkserver
    child starts in the server's working directory and environment, which are the parent's
    as they were when the server started: the parent's present ones are put back first."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.chdir(directory)
    if os.environ != environment:
        os.environ.clear()
        os.environ.update(environment)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    options = _on_own_device(options, index)
    try:
        prepared = worker(options, threads)
        settings = dataclasses.replace(options.study, workers=1)
        outcome = run_worker(prepared.study, make_objective(prepared, progress=False),
                             settings=settings, name=prepared.name,
                             remaining=prepared.remaining, surplus_limit=prepared.surplus_limit,
                             claim=getattr(prepared, "claim", None))
    except RunFailed as error:
        print(f"nas worker {index}: error: {error}", file=sys.stderr)
        sys.exit(EXIT_FAILED)
    except NasError as error:
        print(f"nas worker {index}: error: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except Exception as error:  # a bug or a broken storage: report it, let the parent sweep
        print(f"nas worker {index}: error: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(EXIT_CRASHED)
    if outcome.signal is not None:
        sys.exit(128 + outcome.signal)


def run_study(prepared, *, worker, make_objective, settings, progress: bool,
              log: Callable[[str], None] | None) -> StudyRun:
    """Run ``prepared``'s study to ``settings.trials`` finished trials."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study, name = prepared.study, prepared.name
    trial_log = TrialLog(study, log)
    total = prepared.total

    def done() -> int:
        return max(0, min(total, total - prepared.remaining(study.get_trials(deepcopy=False))))

    bar = progress_bar(total=total, initial=done(), desc=name, unit="trial", position=0,
                       disable=not progress, dynamic_ncols=True)
    run = StudyRun(study=study, name=name,
                   storage=describe_storage(settings.storage, settings.root, name))

    def refresh() -> None:
        trial_log.update()
        bar.n = done()
        bar.refresh()

    try:
        if settings.workers == 1:
            try:
                outcome: Outcome = run_worker(
                    study, make_objective(prepared, progress=progress), settings=settings,
                    name=name, remaining=prepared.remaining,
                    surplus_limit=prepared.surplus_limit, claim=getattr(prepared, "claim", None),
                    on_trial_end=lambda trial: refresh())
            except RunFailed as error:
                run.failure = str(error)
            else:
                run.ran, run.signal = outcome.ran, outcome.signal
        else:
            _run_processes(prepared, worker, make_objective, settings, run, refresh)
    finally:
        refresh()
        bar.close()
    locked = lock_path(settings.storage, settings.root, name) is not None
    with study_lock(settings.storage, settings.root, name):
        # nothing counted may be a dead worker's RUNNING trial
        sweep_dead_workers(study, holding_lock=locked)
    run.unresolved = [t.number for t in unresolved_running(study)]
    return run


# What every worker imports before its first trial (torch's _dynamo comes with the first
# optimiser): ~7 CPU-s a process on this project's 2-core CPU, paid once by the forkserver.
_PRELOAD = ("torch", "torch._dynamo", "optuna", "numpy")
_PRELOAD_IF_LOADED = ("sklearn.datasets", "sklearn.model_selection", "PIL.Image")


def _worker_context(*entry_modules: str) -> multiprocessing.context.BaseContext:
    """How worker processes start: from a forkserver that has imported torch, Optuna and the
    modules of the workers' entry points (``entry_modules``) once, where the platform has one
    (Linux, macOS); by ``spawn`` elsewhere, each worker importing everything itself. Neither
    forks the caller, whose threads and CUDA state a fork would copy."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    loaded = [name for name in _PRELOAD_IF_LOADED if name in sys.modules]
    # takes effect when the server starts, i.e. on this process's first worker
    context.set_forkserver_preload([*_PRELOAD, *loaded, *entry_modules])
    return context


def _run_processes(prepared, worker, make_objective, settings, run: StudyRun, refresh) -> None:
    context = _worker_context(worker.__module__, make_objective.__module__)
    threads = worker_threads(settings.workers, prepared.options.proxy.train.threads)
    here = (os.getcwd(), dict(os.environ))
    processes = [context.Process(target=_child, name=f"nas-worker-{index}",
                                 args=(worker, make_objective, prepared.options, threads, index,
                                       *here))
                 for index in range(settings.workers)]
    for process in processes:
        process.start()
    with terminate_on_sigterm():
        try:
            while any(process.is_alive() for process in processes):
                time.sleep(1.0)
                refresh()
        except KeyboardInterrupt as interrupt:
            run.signal = signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT
            for process in processes:
                if process.is_alive():
                    process.terminate()  # SIGTERM: the worker fails its trial as "interrupted"
            for process in processes:
                process.join()
    codes = [process.exitcode for process in processes]
    if run.signal is None and EXIT_FAILED in codes:
        run.failure = "a worker stopped after too many consecutive failed trials"
    elif run.signal is None and EXIT_BAD_INPUT in codes:
        run.failure = "a worker could not start (its error is printed above)"
    elif run.signal is None and any(code != 0 for code in codes):
        sweep_dead_workers(run.study)
        run.failure = f"a worker process ended abnormally (exit codes {codes})"
