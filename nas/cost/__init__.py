"""What an architecture costs: exact FLOPs and parameters from its config (``count``)."""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_flops": ["FLOP_UNIT", "Cost", "StageCost", "count"],
})
