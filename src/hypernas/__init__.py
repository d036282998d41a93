"""hypernas: neural architecture search and hyperparameter optimization for PyTorch."""

__version__ = "0.1.0"
