"""FLOP-constrained architecture search: the reward, the search and its zero-cost pre-screen, the
rank check, recording candidates in a study and reading results back. Scoring one candidate
(proxy protocol, data, trained proxy, zero-cost scores) is :mod:`nas.scoring`, whose names are
re-exported here too; the crash-safe study machinery is :mod:`nas.study`."""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_evaluate": ["SAME_NETWORK_KEY", "best_originals", "open_run", "record_candidate",
                  "record_worker", "share_result", "trained_twin"],
    "_rank_check": ["RankCheckOptions", "default_reference", "job_labels", "run_rank_check",
                    "sample_architectures"],
    "_rank_statistics": ["fidelity", "rank_report", "rank_signals"],
    "_latency": ["validate_latency"],
    "_noise": ["NOISE_MULTIPLE", "noise_margin", "pooled_seed_std", "within_noise"],
    "_options": ["DEFAULT_CANDIDATES", "OBJECTIVES", "data_slug"],
    "_prescreen": ["default_candidates", "prescreen", "queued_count"],
    "_reward": ["REWARD_MODES", "Reward"],
    "_search": ["SUPERNET_PROTOCOL_FIELDS", "Prepared", "SearchOptions",
                "adopt_supernet_protocol", "check_supernet", "make_objective", "prepare",
                "proxy_warnings", "run_search"],
    "_summary": ["BEST_FILE", "SeedNoise", "arch_of", "best_trial", "find_trial", "pareto_trials",
                 "ranked_trials", "search_summary", "seed_noise", "trial_frame", "trial_record",
                 "write_best"],
    "_targets": ["TARGET_HELP", "LoadedTarget", "load_weighted_target", "resolve_target",
                 "study_arch", "study_target"],
    # candidate scoring, re-exported from the layer below (the very same objects)
    "nas.scoring": ["BlindChoice", "DATA_CACHE_SIZE", "ProxySettings", "ZERO_COST_PROXIES",
                    "blind_choices", "faithful_resolution", "get_data", "proxy_arch",
                    "train_candidate", "zero_cost_scores"],
})
