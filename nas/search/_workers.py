"""Running a study in this process or in ``--workers`` processes, with one progress bar and one
log line per finished trial."""

from __future__ import annotations

import dataclasses
import multiprocessing
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import optuna
from optuna.trial import FrozenTrial, TrialState
from tqdm import tqdm

from nas._errors import NasError
from nas.search._runner import Outcome, RunFailed, Terminated, run_worker, terminate_on_sigterm
from nas.search._storage import worker_threads
from nas.search._summary import state_label
from nas.search._sweeper import sweep_dead_workers

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_CRASHED = 3


@dataclass
class StudyRun:
    """What a run did; the study itself holds the results."""

    study: optuna.Study
    name: str
    ran: int
    signal: int | None = None
    failure: str | None = None


def describe(trial: FrozenTrial) -> str:
    """One log line for a finished trial (FLOPs in millions, fvcore count)."""
    attrs = trial.user_attrs
    parts = [f"trial {trial.number} {state_label(trial)}"]
    if attrs.get("flops") is not None:
        parts.append(f"{attrs['flops'] / 1e6:,.2f} MFLOPs")
    if attrs.get("accuracy") is not None:
        parts.append(f"accuracy {attrs['accuracy']:.4f}")
    if trial.values is not None and len(trial.values) == 1:
        parts.append(f"value {trial.values[0]:.4f}")
    if attrs.get("train_seconds") is not None:
        parts.append(f"{attrs['train_seconds']:.1f} s")
    reason = attrs.get("skipped") or attrs.get("fail_reason")
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
                    self.log(describe(trial))


def _child(worker, make_objective, options, threads: int, index: int) -> None:
    """Entry point of a worker process: the parent forwards Ctrl-C as SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
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

    bar = tqdm(total=total, initial=done(), desc=name, unit="trial", position=0,
               disable=not progress, dynamic_ncols=True)
    run = StudyRun(study=study, name=name, ran=0)

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
    return run


def _run_processes(prepared, worker, make_objective, settings, run: StudyRun, refresh) -> None:
    context = multiprocessing.get_context("spawn")
    threads = worker_threads(settings.workers, prepared.options.proxy.train.threads)
    processes = [context.Process(target=_child, name=f"nas-worker-{index}",
                                 args=(worker, make_objective, prepared.options, threads, index))
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
