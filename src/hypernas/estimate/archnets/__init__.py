"""PyTorch models built from architecture genotypes (the spaces in :mod:`hypernas.space.arch`)."""

from hypernas.estimate.archnets.darts import DARTSNetwork, build_darts
from hypernas.estimate.archnets.hierarchical import HierarchicalNetwork, build_hierarchical
from hypernas.estimate.archnets.mobilenet import MobileNetNetwork, build_mobilenet
from hypernas.estimate.archnets.nb201 import NB201Network, build_nb201

__all__ = ["DARTSNetwork", "HierarchicalNetwork", "build_hierarchical", "MobileNetNetwork", "NB201Network", "build_darts", "build_mobilenet", "build_nb201"]
