"""Architecture spaces: parameters whose values are genotypes (JSON-serializable)."""

from hypernas.space.arch.chain import ChainSpace
from hypernas.space.arch.darts import DARTS_OPS, DARTSCell
from hypernas.space.arch.hierarchical import HIERARCHICAL_OPS, HierarchicalSpace
from hypernas.space.arch.mobilenet import MobileNetSpace
from hypernas.space.arch.nb201 import NB201_OPS, NB201Cell
from hypernas.space.arch.shuffle import SHUFFLE_BLOCKS, ShuffleNetSpace
from hypernas.space.arch.token_encoding import TokenOneHot
from hypernas.space.arch.vocabulary import CELL_OPS

__all__ = ["CELL_OPS", "DARTS_OPS", "HIERARCHICAL_OPS", "NB201_OPS", "SHUFFLE_BLOCKS", "ChainSpace", "DARTSCell",
           "HierarchicalSpace", "MobileNetSpace", "NB201Cell", "ShuffleNetSpace", "TokenOneHot"]
