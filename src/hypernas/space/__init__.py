"""What can be searched: hyperparameters and architectures, with conditions; what architecture spaces offer."""

from hypernas.space.arch import (
    ChainSpace,
    DARTSCell,
    HierarchicalSpace,
    MobileNetSpace,
    NB201Cell,
    ShuffleNetSpace,
    TokenOneHot,
)
from hypernas.space.capabilities import Crossable, Growable, HasDistance, HasFeatures, Morphable, Tokenizable, missing_capability
from hypernas.space.nested import Nested
from hypernas.space.params import (
    PARAM_TYPES,
    Categorical,
    Fixed,
    Float,
    Int,
    NumericParam,
    Param,
    register_param_type,
    value_key,
)
from hypernas.space.space import Space, param_from_config

__all__ = [
    "PARAM_TYPES",
    "Categorical",
    "ChainSpace",
    "Crossable",
    "DARTSCell",
    "Fixed",
    "Float",
    "Growable",
    "HasDistance",
    "HasFeatures",
    "HierarchicalSpace",
    "Int",
    "MobileNetSpace",
    "Morphable",
    "NB201Cell",
    "Nested",
    "NumericParam",
    "Param",
    "ShuffleNetSpace",
    "Space",
    "TokenOneHot",
    "Tokenizable",
    "missing_capability",
    "param_from_config",
    "register_param_type",
    "value_key",
]
