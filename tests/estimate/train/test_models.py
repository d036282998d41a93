"""Model builders, the chain genotype, and cost measures."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from hypernas.errors import ConfigError
from hypernas.estimate.train import build_chain, build_model, count_flops, count_params, measure_latency


def test_cnn_doubles_channels_and_has_the_dense_head():
    model = build_model("cnn", (3, 32, 32), 10)
    convs = [m for m in model if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 64, 128]
    assert all(c.kernel_size == (3, 3) and c.stride == (1, 1) and c.padding == (1, 1) for c in convs)
    assert sum(isinstance(m, nn.MaxPool2d) for m in model) == 3
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [l.out_features for l in linears] == [512, 256, 10] and linears[0].in_features == 128 * 4 * 4
    assert sum(isinstance(m, nn.Dropout) for m in model) == 2
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_cnn_too_deep_for_the_image_and_on_features():
    with pytest.raises(ConfigError, match="4 blocks halve the 8x8 image 4 times, below 1x1; at most 3 blocks fit"):
        build_model("cnn", (1, 8, 8), 10, blocks=4)
    with pytest.raises(ConfigError, match="model 'cnn' needs image samples"):
        build_model("cnn", (64,), 10)


def test_mlp_and_unknown_model_or_option():
    model = build_model("mlp", (1, 8, 8), 10, width=16, depth=3, dropout=0.1, batch_norm=True)
    assert model(torch.zeros(4, 1, 8, 8)).shape == (4, 10)
    assert sum(isinstance(m, nn.Linear) for m in model) == 4
    with pytest.raises(ConfigError, match="unknown model 'resnet'; known models: chain, cnn, darts, hierarchical, mlp, mobilenet, nb201"):
        build_model("resnet", (1, 8, 8), 10)
    with pytest.raises(ConfigError, match="model 'mlp' has no option 'blocks'; options: width, depth"):
        build_model("mlp", (1, 8, 8), 10, blocks=2)


def test_chain_genotype_builds_every_layer_type():
    genotype = [{"type": "conv", "filters": 4, "kernel": 5, "stride": 1}, {"type": "batchnorm"},
                {"type": "pool", "kind": "avg"}, {"type": "conv", "filters": 8, "activation": "tanh"},
                {"type": "activation", "fn": "gelu"}, {"type": "global_pool", "kind": "max"},
                {"type": "dense", "units": 12}, {"type": "batchnorm"}, {"type": "dropout", "rate": 0.3}]
    model = build_model("chain", (1, 12, 12), 3, layers=genotype)
    assert model(torch.zeros(2, 1, 12, 12)).shape == (2, 3)
    assert model.genotype[0] == {"type": "conv", "filters": 4, "kernel": 5, "stride": 1, "padding": "same",
                                 "activation": "relu"}
    assert isinstance(model[2], nn.BatchNorm2d) and isinstance(model[-3], nn.BatchNorm1d)
    assert build_chain([], (5,), 2)(torch.zeros(1, 5)).shape == (1, 2)


@pytest.mark.parametrize("genotype, message", [
    ([{"type": "pool"}] * 4, r"layer 3 .*feature map is 1x1 after 3 pooling\(s\).*allows at most 3 2x2 poolings"),
    ([{"type": "dense", "units": 4}, {"type": "conv", "filters": 2}], r"layer 1 .*needs a feature map"),
    ([{"type": "conv", "filters": 2, "kernel": 11, "padding": 0}], r"kernel 11 does not fit the 8x8 feature map"),
    ([{"type": "lstm"}], r"unknown layer type 'lstm'; allowed: conv, pool"),
    ([{"type": "conv", "filters": 2, "size": 3}], r"unknown key 'size' for a conv layer; allowed: filters, kernel"),
    ([{"type": "dense"}], r"a dense layer needs 'units'"),
    ([{"type": "dropout", "rate": 1.5}], r"dropout rate must be in \[0, 1\), got 1.5"),
    ([{"type": "conv", "filters": 0}], r"filters must be an integer >= 1, got 0"),
    ([{"type": "activation", "fn": "swish2"}], r"unknown activation 'swish2'"),
    ("conv", r"must be a list of layer specs"),
])
def test_impossible_or_malformed_genotypes_are_rejected(genotype, message):
    with pytest.raises(ConfigError, match=message):
        build_model("chain", (1, 8, 8), 10, layers=genotype)


def test_cost_measures():
    model = build_chain([{"type": "dense", "units": 5}], (3,), 2)
    assert count_params(model) == (3 * 5 + 5) + (5 * 2 + 2)
    assert count_flops(model, (3,)) == 2 * (3 * 5 + 5 * 2)
    conv = build_chain([{"type": "conv", "filters": 2, "kernel": 3}], (1, 4, 4), 2)
    assert count_flops(conv, (1, 4, 4)) == 2 * (2 * 9 * 16) + 2 * (32 * 2)
    assert measure_latency(model, (3,), repeats=3, warmup=1) > 0
    assert model.training  # measuring does not change the model's mode
