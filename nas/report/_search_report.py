"""The search part of a report: its four figures and markdown sections, built with the same
functions ``nas search`` prints its summary with (so the numbers agree)."""

from __future__ import annotations

from pathlib import Path

import optuna

from nas.cost import FLOP_UNIT
from nas.report._markdown import figure, frame_table
from nas.report._plot_arch import plot_arch
from nas.report._plot_importance import importances, plot_importances
from nas.report._plot_search import plot_accuracy_flops, plot_history
from nas.report._search_trials import search_trials
from nas.search import arch_of, best_trial, pareto_trials, ranked_trials, seed_noise
from nas.search import trial_frame, trial_record
from nas.study import study_identity


def search_part(study: optuna.Study, out: Path) -> tuple[list[Path], list[str]]:
    """Write the search figures into ``out``; return them and the markdown sections."""
    identity = study_identity(study)
    trials = search_trials(study)
    multi = trials.multi
    latency = trials.cost_name != "FLOPs"
    reward_label = (f"accuracy × ({'LAT' if latency else 'FLOPs'}/T)^w, {identity['reward']}, "
                    f"w = {identity['w']:g}")
    sections = [_settings(identity), _top(study)]
    name = "accuracy_vs_latency.png" if latency else "accuracy_vs_flops.png"
    figures = [plot_accuracy_flops(trials, out / name)]
    unit = ("milliseconds per forward pass, from the per-block table" if latency
            else "millions, at the target resolution")
    captions = [figure(figures[-1], f"validation accuracy against {trials.cost_name}", (
        f"Each evaluated trial's validation accuracy against its {trials.cost_name} ({unit}), "
        "with the target T, the infeasible region above T·(1+slack) "
        "(skipped trials as crosses on the axis), the Pareto front, the baseline and the "
        "winner" + ("; the green band spans the winner's mean accuracy minus 2√2σ, "
                    "σ the accuracy's seed std pooled over the confirmed trials."
                    if trials.accuracy_seed_std is not None else ".")))]
    figures.append(plot_history(trials, out / "history.png", reward_label=reward_label))
    captions.append(figure(figures[-1], "reward over trial number", (
        ("Validation accuracy" if multi else "The reward")
        + " of every trial in the order trials started, and the running best single-seed "
          "value as a step line.")))
    values, why = importances(study)
    if values is not None:
        objective = "accuracy" if multi else "reward"
        figures.append(plot_importances(values, out / "importances.png", objective=objective))
        captions.append(figure(figures[-1], "parameter importances", (
            f"How much of the variance of the {objective} over the complete trials Optuna's "
            f"fANOVA attributes to each searched parameter (few trials make this rough).")))
    else:
        captions.append(f"No parameter-importance figure: {why}.")
    if trials.best is not None:
        best = trials.best
        path = out / "best_architecture.png"
        figures.append(plot_arch(arch_of(best), path, title=_arch_title(best)))
        captions.append(figure(path, "best architecture", (
            "The winner's stem, stages and head: block type, kernel, expand ratio, SE ratio, "
            "layers, output channels, stride, and the output feature-map side at the target "
            "resolution (after the stem's stride 2 and every stage's stride).")))
    sections.append(_best(study, seed_noise(study) if not multi else None))
    sections.append("## Figures\n\n" + "\n\n".join(captions))
    return figures, sections


def _settings(identity: dict) -> str:
    if "target_latency_ms" in identity:
        target, latency = identity["target_latency_ms"], identity["latency"]
        return (f"## Search\n\nSpace `{identity['space']}`, latency target T = {target:g} ms "
                f"per forward pass ({latency['runtime']} on {latency['device']}: "
                f"{latency['device_name']}, {latency['threads']} thread(s), batch "
                f"{latency['batch']}), predicted from the per-block table; infeasible above "
                f"T·(1 + {identity['slack']:g}) = {target * (1 + identity['slack']):.4g} ms, "
                f"reward `{identity['reward']}` (ACC·(LAT/T)^w, w = {identity['w']:g}), "
                f"objective `{identity['objective']}`. FLOPs: {FLOP_UNIT}, counted at the "
                f"target resolution ({identity['target_resolution']} px).")
    target = identity["target_flops"]
    return (f"## Search\n\nSpace `{identity['space']}`, target T = {target:,} FLOPs, "
            f"infeasible above T·(1 + {identity['slack']:g}) = "
            f"{int(target * (1 + identity['slack'])):,} FLOPs, reward `{identity['reward']}` "
            f"(w = {identity['w']:g}), objective `{identity['objective']}`. "
            f"FLOPs: {FLOP_UNIT}, counted at the target resolution "
            f"({identity['target_resolution']} px); MFLOPs = millions of FLOPs.")


def _top(study: optuna.Study) -> str:
    if len(study.directions) == 2:
        return ("## Pareto front (accuracy up, FLOPs down)\n\n"
                + frame_table(trial_frame(pareto_trials(study))))
    noise = seed_noise(study)
    text = "## Top trials\n\n" + frame_table(trial_frame(ranked_trials(study), limit=10,
                                                        noise=noise))
    if noise.seed_std is not None:
        described = noise.describe()
        text += (f"\n\nSeed noise: std {noise.seed_std:.4f} of the reward over "
                 f"{described['confirmed']} trials trained with two seeds; trials within "
                 f"{described['noise_margin']:.4f} of the winner's mean are within noise.")
    return text


def _best(study: optuna.Study, noise) -> str:
    trial = best_trial(study)
    if trial is None:
        return "## Best trial\n\nNo complete trial yet."
    record = {**trial_record(trial, study), **(noise.record(trial) if noise else {})}
    line = (f"Trial {record['number']}: {record['flops']:,} FLOPs, {record['params']:,} "
            f"parameters, validation accuracy {record['accuracy']:.4f}")
    if record["reward"] is not None:
        line += f", reward {record['reward']:.4f}"
    if len(record.get("seed_rewards") or ()) > 1:
        line += (f"; mean reward over {len(record['seed_rewards'])} seeds "
                 f"{record['mean_reward']:.4f}")
    blocks = "\n".join(record["blocks"] or ())
    return f"## Best trial\n\n{line}.\n\n```\n{blocks}\n```"


def _arch_title(trial) -> str:
    attrs = trial.user_attrs
    return (f"Best architecture: trial {trial.number}, {attrs['flops'] / 1e6:,.1f} MFLOPs "
            f"(fvcore), {attrs['params'] / 1e6:,.2f} M parameters, at "
            f"{attrs.get('target_resolution', '?')} px")
