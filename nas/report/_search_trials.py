"""A search study's trials sorted into what the plots draw: complete, pruned, skipped and
confirmation trials, each with its FLOPs and accuracy; the Pareto front; the seed noise of the
accuracy. Only finished trials carry values: RUNNING and WAITING ones are left out here and
counted in report.md."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import optuna
from optuna.trial import FrozenTrial, TrialState

from nas.report._figures import FLOPS_LABEL, LATENCY_LABEL, millions
from nas.search import best_trial, noise_margin, pooled_seed_std, seed_noise
from nas.study import CONFIRM_KEY, is_confirmation, is_skipped, study_identity


def accuracy_of(trial: FrozenTrial) -> float | None:
    """Final validation accuracy (fraction); for a pruned trial, its last epoch's."""
    attrs = trial.user_attrs
    if "accuracy" in attrs:
        return attrs["accuracy"]
    epochs = attrs.get("accuracy_per_epoch")
    return epochs[-1] if epochs else None


@dataclass(frozen=True)
class SearchTrials:
    """The trials of a search study, as the plots use them.

    Attributes:
        target: T, in the plotted cost unit (millions of fvcore FLOPs, or milliseconds of
            predicted latency in a latency-targeted study); budget: T × (1 + slack), same unit,
            above which a candidate is infeasible and never trained.
        cost_label: the axis label of that cost.
        complete: complete original trials with an accuracy (confirmations excluded).
        pruned: pruned trials that trained at least one epoch.
        skipped: over-budget trials (FLOPs only, never trained).
        confirmations: complete confirmations (another training seed of ``confirm_of``).
        best: the winner (:func:`nas.search.best_trial`), or None.
        accuracy_seed_std: pooled seed std of the accuracy over confirmed trials (fraction),
            or None without confirmations.
        best_mean_accuracy: the winner's accuracy averaged over its seeds (fraction).
    """

    target: float
    budget: float
    cost_label: str
    multi: bool
    space: str
    complete: list[FrozenTrial]
    pruned: list[FrozenTrial]
    skipped: list[FrozenTrial]
    confirmations: list[FrozenTrial]
    best: FrozenTrial | None
    accuracy_seed_std: float | None
    best_mean_accuracy: float | None

    @property
    def noise_margin(self) -> float:
        """The within-noise margin of the accuracy (fraction): 2·√2·σ (0 if unknown)."""
        return noise_margin(self.accuracy_seed_std)

    @property
    def cost_name(self) -> str:
        """``FLOPs`` or ``predicted latency``: what the target constrains."""
        return "predicted latency" if self.cost_label == LATENCY_LABEL else "FLOPs"

    def cost(self, trial: FrozenTrial) -> float:
        """The trial's cost in the plotted unit: MFLOPs, or predicted latency in ms."""
        if self.cost_label == LATENCY_LABEL:
            return trial.user_attrs["latency_predicted_ms"]
        return millions(trial.user_attrs["flops"])

    def baselines(self) -> list[FrozenTrial]:
        return [t for t in self.complete + self.pruned if t.user_attrs.get("baseline")]

    def pareto(self) -> list[FrozenTrial]:
        """Complete trials no other complete trial beats on both accuracy (up) and FLOPs
        (down), cheapest first."""
        front, best = [], -1.0
        for trial in sorted(self.complete, key=lambda t: (self.cost(t),
                                                          -accuracy_of(t))):
            if accuracy_of(trial) > best:
                front.append(trial)
                best = accuracy_of(trial)
        return front


def search_trials(study: optuna.Study) -> SearchTrials:
    identity = study_identity(study)
    trials = study.get_trials(deepcopy=False)
    originals = [t for t in trials if not is_confirmation(t) and "flops" in t.user_attrs]
    complete = [t for t in originals
                if t.state == TrialState.COMPLETE and accuracy_of(t) is not None]
    pruned = [t for t in originals if t.state == TrialState.PRUNED and not is_skipped(t)
              and accuracy_of(t) is not None]
    skipped = [t for t in originals if is_skipped(t)]
    confirmations = [t for t in trials if is_confirmation(t) and t.state == TrialState.COMPLETE
                     and accuracy_of(t) is not None]
    groups = {t.number: [accuracy_of(t)] for t in complete}
    for trial in confirmations:
        groups.get(trial.user_attrs[CONFIRM_KEY], []).append(accuracy_of(trial))
    best = best_trial(study)
    known = len(study.directions) == 1 and seed_noise(study).seed_std is not None
    if "target_latency_ms" in identity:
        target, label = identity["target_latency_ms"], LATENCY_LABEL
    else:
        target, label = millions(identity["target_flops"]), FLOPS_LABEL
    return SearchTrials(
        target=target, budget=target * (1 + identity["slack"]), cost_label=label,
        multi=len(study.directions) == 2, space=identity.get("space", "space"),
        complete=complete, pruned=pruned, skipped=skipped, confirmations=confirmations,
        best=best, accuracy_seed_std=pooled_seed_std(groups.values()) if known else None,
        best_mean_accuracy=statistics.fmean(groups[best.number])
        if best is not None and best.number in groups else None)
