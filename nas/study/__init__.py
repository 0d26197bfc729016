"""Crash-safe Optuna studies: storages and the study lock, identity checks, per-trial seeds,
samplers and pruners, the worker loop and worker processes, and crash recovery (dead workers'
trials failed and re-queued once). Used by :mod:`nas.search` and :mod:`nas.scaling`."""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_catalog": ["STUDY_KINDS", "StudySummary", "list_studies", "study_identity",
                 "study_kind"],
    "_confirm": ["CONFIRM_KEY", "best_by_seeds", "count_confirmations", "is_confirmation",
                 "is_feasible", "queue_confirmations", "run_confirmations", "seed_groups"],
    "_evolution": ["RegularizedEvolutionSampler"],
    "_counts": ["Counts", "count_trials", "is_skipped", "state_label", "trials_remaining"],
    "_runner": ["RunFailed", "Terminated", "terminate_on_sigterm"],
    "_sampling": ["derived_seed", "first_prunable_epoch", "make_pruner", "make_sampler", "trial_seed"],
    "_settings": ["PRUNERS", "RECOVERING_STORAGES", "SAMPLERS", "STORAGE_HELP", "StudySettings"],
    "_stores": ["describe_storage", "load_existing_study", "make_storage", "manifest",
                "open_settings_study", "storage_kind", "study_directory", "study_lock",
                "worker_threads"],
    "_sweeper": ["RETRY_KEY", "fail_reason"],
    "_workers": ["EXIT_INTERRUPTED", "StudyRun", "describe", "run_study", "worker_device"],
})
