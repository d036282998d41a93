"""The networks a candidate is trained as, registered by name for ``model:`` in a training objective.

Each network registers its builder in the module that defines it; importing this package imports
them all. The cell-based networks (NB201, DARTS, mobile, shuffle, hierarchical) are skeletons that ask an
edge factory (:class:`~hypernas.estimate.models.ops.EdgeFactory`) for the module on every edge, so
discrete networks and supernets share the stem, the reductions and the channel bookkeeping.
"""

from hypernas.estimate.models.chain import ACTIVATIONS, LAYER_KEYS, ChainNet, build_chain
from hypernas.estimate.models.cnn import cnn_genotype
from hypernas.estimate.models.darts import DARTSNetwork, build_darts
from hypernas.estimate.models.hierarchical import HierarchicalNetwork, build_hierarchical
from hypernas.estimate.models.measure import count_flops, count_params, measure_latency
from hypernas.estimate.models.mlp import mlp_model
from hypernas.estimate.models.mobilenet import MobileNetNetwork, MobileStage, build_mobilenet
from hypernas.estimate.models.morph import morph_transfer
from hypernas.estimate.models.nb201 import NB201Network, build_nb201
from hypernas.estimate.models.nn_model import know_model, nn_model
from hypernas.estimate.models.ops import EdgeFactory, MobileBlock, cell_edge, mobile_edge, motif_edge
from hypernas.estimate.models.registry import MODELS, build_model
from hypernas.estimate.models.shufflenet import (
    ShuffleNetNetwork,
    ShuffleStage,
    ShuffleUnit,
    build_shufflenet,
    channel_shuffle,
    shuffle_edge,
)

__all__ = [
    "ACTIVATIONS", "LAYER_KEYS", "MODELS", "ChainNet", "DARTSNetwork", "EdgeFactory", "HierarchicalNetwork",
    "MobileBlock", "MobileNetNetwork", "MobileStage", "NB201Network", "ShuffleNetNetwork", "ShuffleStage", "ShuffleUnit",
    "build_chain", "build_darts", "build_hierarchical", "build_mobilenet", "build_model", "build_nb201",
    "build_shufflenet", "cell_edge", "channel_shuffle", "cnn_genotype", "count_flops", "count_params", "know_model",
    "measure_latency", "mlp_model", "mobile_edge", "morph_transfer", "motif_edge", "nn_model", "shuffle_edge",
]
