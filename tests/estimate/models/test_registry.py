import numpy as np
import pytest
import torch
from torch import nn

from hypernas.errors import ConfigError
from hypernas.estimate.models import MODELS, build_model
from hypernas.space import DARTSCell


def test_unknown_model_or_option():
    with pytest.raises(ConfigError, match="unknown model 'resnet'; known models: chain, cnn, darts, hierarchical, mlp, mobilenet, nb201, nn_model, shufflenet"):
        build_model("resnet", (1, 8, 8), 10)
    with pytest.raises(ConfigError, match="model 'mlp': unknown option 'blocks'; allowed: width, depth"):
        build_model("mlp", (1, 8, 8), 10, blocks=2)


def test_genotype_networks_are_training_models():
    cell = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"
    net = build_model("nb201", (1, 8, 8), 10, cell=cell, channels=4, cells=1)
    assert net(torch.randn(3, 1, 8, 8)).shape == (3, 10)
    genotype = DARTSCell().sample(np.random.default_rng(0))
    assert build_model("darts", (1, 8, 8), 10, genotype=genotype, channels=4, layers=3)(torch.randn(2, 1, 8, 8)).shape == (2, 10)


def test_a_model_registered_for_a_while():
    def tiny(input_shape, num_classes, *, hidden=3):
        return nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(input_shape)), hidden), nn.Linear(hidden, num_classes))

    with MODELS.temporarily("tiny", tiny):
        assert MODELS.options("tiny") == ["hidden"]
        assert build_model("tiny", [1, 2, 2], 5, hidden=4)(torch.zeros(1, 1, 2, 2)).shape == (1, 5)
    assert "tiny" not in MODELS
