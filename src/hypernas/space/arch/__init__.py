"""Architecture spaces: parameters whose values are genotypes (JSON-serializable)."""

from hypernas.space.arch.nb201 import NB201_OPS, NB201Cell

__all__ = ["NB201_OPS", "NB201Cell"]
