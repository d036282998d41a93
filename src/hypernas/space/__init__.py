"""What can be searched: hyperparameters and architectures, with conditions."""

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
from hypernas.space.arch import ChainSpace, DARTSCell, HierarchicalSpace, MobileNetSpace, NB201Cell

__all__ = [
    "PARAM_TYPES",
    "Categorical",
    "ChainSpace",
    "DARTSCell",
    "Fixed",
    "Float",
    "HierarchicalSpace",
    "Int",
    "MobileNetSpace",
    "NB201Cell",
    "NumericParam",
    "Param",
    "Space",
    "param_from_config",
    "register_param_type",
    "value_key",
]
