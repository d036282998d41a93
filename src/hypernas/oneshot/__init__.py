"""One-shot NAS: supernets whose edges mix candidate operations, and the searches that train them (DARTS)."""

from hypernas.oneshot.mixed import MixedEdges, MixedOp, Mixing
from hypernas.oneshot.supernet import Supernet, darts_supernet, nb201_supernet

__all__ = ["MixedEdges", "MixedOp", "Mixing", "Supernet", "darts_supernet", "nb201_supernet"]
