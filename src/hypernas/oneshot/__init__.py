"""One-shot NAS: supernets whose edges mix candidate operations, the searches that train them (DARTS, GDAS, ENAS),
and ``OneShotObjective``, a search run as a study's trial; single-path supernets trained by SPOS, whose subnets any
strategy searches through a ``SupernetObjective``; both kinds also built from a model written with ``hypernas.nn``
choices."""

from hypernas.oneshot.darts import DARTSSearch
from hypernas.oneshot.enas import ENASSearch
from hypernas.oneshot.gdas import GDASSearch
from hypernas.oneshot.mixed import MixedEdges, MixedOp, Mixing
from hypernas.oneshot.model_supernet import ModelSupernet, model_single_path, model_supernet
from hypernas.oneshot.objective import OneShotObjective
from hypernas.oneshot.result import SearchResult
from hypernas.oneshot.single_path import (
    ChoiceEdges,
    ChoiceOp,
    SinglePathSupernet,
    mobilenet_single_path,
    nb201_single_path,
    shufflenet_single_path,
)
from hypernas.oneshot.spos import SPOSSearch
from hypernas.oneshot.spos_objective import SPOSObjective
from hypernas.oneshot.subnet import SupernetObjective
from hypernas.oneshot.supernet import Supernet, darts_supernet, nb201_supernet

__all__ = ["ChoiceEdges", "ChoiceOp", "DARTSSearch", "ENASSearch", "GDASSearch", "MixedEdges", "MixedOp", "Mixing",
           "ModelSupernet",
           "OneShotObjective", "SPOSObjective", "SPOSSearch", "SearchResult", "SinglePathSupernet", "Supernet", "SupernetObjective",
           "darts_supernet", "mobilenet_single_path", "model_single_path", "model_supernet", "nb201_single_path", "nb201_supernet", "shufflenet_single_path"]
