"""Model builders registered by name, the chain genotype format, and model cost measures."""

from hypernas.estimate.train.models.chain import ACTIVATIONS, LAYER_KEYS, ChainNet, build_chain
from hypernas.estimate.train.models.measure import count_flops, count_params, measure_latency
from hypernas.estimate.train.models.registry import (
    MODELS,
    build_model,
    cnn_genotype,
    model_options,
    register_model,
)

import hypernas.estimate.archnets.models  # noqa: E402,F401  (registers nb201, darts, mobilenet, hierarchical)

__all__ = ["ACTIVATIONS", "LAYER_KEYS", "MODELS", "ChainNet", "build_chain", "build_model", "cnn_genotype",
           "count_flops", "count_params", "measure_latency", "model_options", "register_model"]
