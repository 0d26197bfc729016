"""Training: the shared protocol (TrainConfig), the loop (Trainer, fit), full runs with
checkpoints (train_full)."""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_distributed": ["World", "average_gradients", "from_main", "joined_world", "mean_across",
                     "world_from_environment"],
    "_config": ["OPTIMIZERS", "POLICIES", "RECIPE_DEFAULTS", "RECIPES", "SCHEDULES",
                "TrainConfig"],
    "_recipe": ["RECIPE_DROP_PATH_RATE", "BatchAugmentation", "RMSpropTF",
                "apply_recipe", "centre_crop", "efficientnet_recipe",
                "exponential_moving_average"],
    "_full": ["FullTrainOptions", "FullTrainResult", "initialise_from", "load_checkpoint",
              "load_trained", "state_dict_of", "train_full"],
    "_trainer": ["EpochResult", "FitResult", "Timing", "Trainer", "TrainingError", "fit",
                 "flips", "loader_workers_for", "resolve_device", "steps_per_epoch"],
})
