"""FLOP-constrained architecture search: the proxy protocol, the reward, candidate evaluation
and reading results back (the crash-safe study machinery is :mod:`nas.study`)."""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_evaluate": ["DATA_CACHE_SIZE", "SAME_NETWORK_KEY", "best_originals", "get_data", "open_run", "proxy_arch",
                  "record_candidate", "record_worker", "share_result", "train_candidate",
                  "trained_twin"],
    "_fidelity": ["BlindChoice", "blind_choices", "faithful_resolution"],
    "_rank_check": ["RankCheckOptions", "default_reference", "job_labels", "run_rank_check",
                    "sample_architectures"],
    "_rank_statistics": ["fidelity", "rank_report", "rank_signals"],
    "_latency": ["validate_latency"],
    "_noise": ["NOISE_MULTIPLE", "noise_margin", "pooled_seed_std", "within_noise"],
    "_options": ["OBJECTIVES", "ProxySettings", "ZERO_COST_PROXIES", "data_slug"],
    "_reward": ["REWARD_MODES", "Reward"],
    "_search": ["SearchOptions", "prepare", "proxy_warnings", "run_search"],
    "_summary": ["BEST_FILE", "SeedNoise", "arch_of", "best_trial", "find_trial", "pareto_trials",
                 "ranked_trials", "search_summary", "seed_noise", "trial_frame", "trial_record",
                 "write_best"],
    "_zero_cost": ["zero_cost_scores"],
})
