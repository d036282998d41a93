"""One-shot NAS: supernets whose edges mix candidate operations, the searches that train them (DARTS, ENAS),
and ``OneShotObjective``, a search run as a study's trial."""

from hypernas.oneshot.darts import DARTSSearch
from hypernas.oneshot.enas import ENASSearch
from hypernas.oneshot.mixed import MixedEdges, MixedOp, Mixing
from hypernas.oneshot.objective import OneShotObjective
from hypernas.oneshot.result import SearchResult
from hypernas.oneshot.supernet import Supernet, darts_supernet, nb201_supernet

__all__ = ["DARTSSearch", "ENASSearch", "MixedEdges", "MixedOp", "Mixing", "OneShotObjective", "SearchResult", "Supernet",
           "darts_supernet", "nb201_supernet"]
