"""nas: FLOP-constrained MBConv search and EfficientNet compound scaling."""

__version__ = "0.1.0"
