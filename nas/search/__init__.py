"""FLOP-constrained architecture search with resumable Optuna studies."""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_evaluate": ["get_data", "proxy_arch", "record_candidate", "train_candidate"],
    "_options": ["PRUNERS", "SAMPLERS", "OBJECTIVES", "ProxySettings", "StudySettings"],
    "_reward": ["REWARD_MODES", "Reward"],
    "_runner": ["RunFailed"],
    "_search": ["SearchOptions", "prepare", "run_search"],
    "_storage": ["describe_storage", "load_existing_study", "study_directory"],
    "_summary": ["Counts", "arch_of", "best_trial", "count_trials", "find_trial",
                 "pareto_trials", "ranked_trials", "trial_frame", "trial_record"],
    "_workers": ["StudyRun"],
})
