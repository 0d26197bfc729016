"""FLOP-constrained architecture search with resumable Optuna studies."""

from nas.search._evaluate import get_data, proxy_arch, record_candidate, train_candidate
from nas.search._options import PRUNERS, SAMPLERS, ProxySettings, StudySettings
from nas.search._reward import REWARD_MODES, Reward
from nas.search._runner import RunFailed
from nas.search._search import SearchOptions, prepare, run_search
from nas.search._storage import describe_storage, load_existing_study, study_directory
from nas.search._summary import (
    Counts,
    arch_of,
    best_trial,
    count_trials,
    find_trial,
    pareto_trials,
    ranked_trials,
    trial_frame,
    trial_record,
)
from nas.search._workers import StudyRun

__all__ = ["get_data", "proxy_arch", "record_candidate", "train_candidate", "PRUNERS", "SAMPLERS",
           "ProxySettings", "StudySettings", "REWARD_MODES", "Reward", "RunFailed",
           "SearchOptions", "prepare", "run_search", "describe_storage", "load_existing_study",
           "study_directory", "Counts", "arch_of", "best_trial", "count_trials", "find_trial",
           "pareto_trials", "ranked_trials", "trial_frame", "trial_record", "StudyRun"]
