"""What an architecture costs: exact FLOPs and parameters from its config (``count``), and
latency measured on this machine (``measure_latency``) or predicted from a per-block table
(``LatencyTable``)."""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_flops": ["FLOP_UNIT", "Cost", "StageCost", "count"],
    "_timing": ["LATENCY_DEVICES", "RUNTIMES", "LatencySettings", "Timing", "time_runs"],
    "_latency": ["LATENCY_UNIT", "Latency", "default_cache", "device_name", "measure_latency"],
    "_table": ["LatencyTable", "Prediction", "Validation", "parts", "validate_table"],
    "_store": ["JsonStore"],
})
