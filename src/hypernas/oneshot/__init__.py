"""One-shot NAS: supernets whose edges mix candidate operations, and the searches that train them (DARTS, GDAS)."""

from hypernas.oneshot.darts import DARTSSearch
from hypernas.oneshot.gdas import GDASSearch
from hypernas.oneshot.mixed import MixedEdges, MixedOp, Mixing
from hypernas.oneshot.result import SearchResult
from hypernas.oneshot.supernet import Supernet, darts_supernet, nb201_supernet

__all__ = ["DARTSSearch", "GDASSearch", "MixedEdges", "MixedOp", "Mixing", "SearchResult", "Supernet", "darts_supernet", "nb201_supernet"]
