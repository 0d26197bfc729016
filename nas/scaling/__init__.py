"""Compound scaling: the (α, β, γ) grid search and model families."""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_family": ["Member", "RESOLUTION_DIVISOR", "compound_family", "compound_member",
                "member_rows", "parse_phis", "published_family", "write_family"],
    "_grid": ["KINDS", "Point", "all_points", "enumerate_grid", "parse_point",
              "single_dimension_points"],
    "_results": ["SCALING_FILE", "chosen", "mean_accuracy", "point_trials",
                 "ranking_rows", "read_scaling", "scale_summary", "scaling_document",
                 "seed_accuracies", "seed_noise_report", "write_scaling"],
    "_scale": ["ScaleOptions", "prepare_scale", "run_scale", "scaled_arch"],
})
