"""nas: FLOP-constrained MBConv search and EfficientNet compound scaling.

The public surface, imported on first use (``import nas`` itself loads neither torch nor optuna)::

    arch = nas.load("my_arch.yaml")                 # or nas.preset("efficientnet-b0")
    nas.count(arch).flops                           # fvcore FLOPs: 1 fused multiply-add = 1 FLOP
    model = nas.build_model(arch)                   # torch.nn.Module
    bigger = nas.scale(arch, width=1.1, depth=1.2, resolution=1.15)
    nas.export(arch, "timm")                        # or "yaml", "json"
    run = nas.run_search(nas.SearchOptions(target_flops=400_000_000))  # a nas.StudyRun
    run.outputs["best"], run.summary                # best.yaml, the summary document
"""

from nas._lazy import attach

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = attach(__name__, {
    "arch": ["Arch", "Stage", "decode", "encode", "load", "save", "preset", "scale"],
    "space": ["Space", "load_space"],
    "cost": ["FLOP_UNIT", "Cost", "count"],
    "model": ["build_model"],
    "data": ["load_data"],
    "train": ["TrainConfig", "FullTrainOptions", "train_full"],
    "study": ["StudySettings", "StudyRun"],
    "search": ["SearchOptions", "ProxySettings", "Reward", "resolve_target", "run_search"],
    "scaling": ["ScaleOptions", "run_scale", "compound_family", "published_family"],
    "exporting": ["EXPORT_FORMATS", "export", "to_timm"],
})
