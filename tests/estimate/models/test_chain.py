"""The chain genotype and the networks built as chains (cnn, mlp)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from hypernas.errors import ConfigError
from hypernas.estimate.models import build_chain, build_model

from .helpers import assert_fingerprint, fingerprint

LAYERS = [{"type": "conv", "filters": 4, "kernel": 5, "stride": 1}, {"type": "batchnorm"},
          {"type": "pool", "kind": "avg"}, {"type": "conv", "filters": 8, "activation": "tanh"},
          {"type": "activation", "fn": "gelu"}, {"type": "global_pool", "kind": "max"},
          {"type": "dense", "units": 12}, {"type": "batchnorm"}, {"type": "dropout", "rate": 0.3}]


def test_cnn_doubles_channels_and_has_the_dense_head():
    model = build_model("cnn", (3, 32, 32), 10)
    convs = [m for m in model if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 64, 128]
    assert all(c.kernel_size == (3, 3) and c.stride == (1, 1) and c.padding == (1, 1) for c in convs)
    assert sum(isinstance(m, nn.MaxPool2d) for m in model) == 3
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [lin.out_features for lin in linears] == [512, 256, 10] and linears[0].in_features == 128 * 4 * 4
    assert sum(isinstance(m, nn.Dropout) for m in model) == 2
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_cnn_too_deep_for_the_image_and_on_features():
    with pytest.raises(ConfigError, match="4 blocks halve the 8x8 image 4 times, below 1x1; at most 3 blocks fit"):
        build_model("cnn", (1, 8, 8), 10, blocks=4)
    with pytest.raises(ConfigError, match="model 'cnn' needs image samples"):
        build_model("cnn", (64,), 10)
    with pytest.raises(ConfigError, match=r"model 'cnn': dense\[1\] must be an integer >= 1, got 0"):
        build_model("cnn", (1, 8, 8), 10, dense=[4, 0])


def test_mlp():
    model = build_model("mlp", (1, 8, 8), 10, width=16, depth=3, dropout=0.1, batch_norm=True)
    assert model(torch.zeros(4, 1, 8, 8)).shape == (4, 10)
    assert sum(isinstance(m, nn.Linear) for m in model) == 4
    with pytest.raises(ConfigError, match="model 'mlp': depth must be an integer >= 0, got -1"):
        build_model("mlp", (1, 8, 8), 10, depth=-1)


def test_chain_genotype_builds_every_layer_type():
    model = build_model("chain", (1, 12, 12), 3, layers=LAYERS)
    assert model(torch.zeros(2, 1, 12, 12)).shape == (2, 3)
    assert model.genotype[0] == {"type": "conv", "filters": 4, "kernel": 5, "stride": 1, "padding": "same",
                                 "activation": "relu"}
    assert isinstance(model[2], nn.BatchNorm2d) and isinstance(model[-3], nn.BatchNorm1d)
    assert build_chain([], (5,), 2)(torch.zeros(1, 5)).shape == (1, 2)


@pytest.mark.parametrize("genotype, message", [
    ([{"type": "pool"}] * 4, r"layer 3 .*feature map is 1x1 after 3 pooling\(s\).*allows at most 3 2x2 poolings"),
    ([{"type": "dense", "units": 4}, {"type": "conv", "filters": 2}], r"layer 1 .*needs a feature map"),
    ([{"type": "conv", "filters": 2, "kernel": 11, "padding": 0}], r"kernel 11 does not fit the 8x8 feature map"),
    ([{"type": "lstm"}], r"type must be one of 'conv', 'pool', .*, got 'lstm'"),
    ([{"type": "conv", "filters": 2, "size": 3}], r"unknown key 'size' for a conv layer; allowed: filters, kernel"),
    ([{"type": "dense"}], r"a dense layer needs 'units'"),
    ([{"type": "dropout", "rate": 1.5}], r"\): rate must be a number in \[0, 1\), got 1.5"),
    ([{"type": "conv", "filters": 0}], r"\): filters must be an integer >= 1, got 0"),
    ([{"type": "activation", "fn": "swish2"}], r"\): fn must be one of 'relu', .*'none', got 'swish2'"),
    ([{"type": "pool", "kind": "min"}], r"\): kind must be one of 'max', 'avg', got 'min'"),
    ("conv", r"must be a list of layer specs"),
])
def test_impossible_or_malformed_genotypes_are_rejected(genotype, message):
    with pytest.raises(ConfigError, match=message):
        build_model("chain", (1, 8, 8), 10, layers=genotype)


@pytest.mark.parametrize("name, shape, classes, options, params, checksum, out", [
    ("chain", (1, 12, 12), 3, {"layers": LAYERS}, 579, 344.385533,
     [[0.040285, 0.391274, -0.449639], [0.03263, 0.420545, -0.471165]]),
    ("cnn", (1, 8, 8), 10, {"blocks": 2, "channels": 8, "convs_per_block": 2, "dense": 32, "batch_norm": True},
     6658, 1630.096693,
     [[-0.107065, -0.098091, 0.153541, -0.044052, -0.072676, 0.104418, 0.161911, -0.143247, -0.024493, 0.045408],
      [-0.104447, -0.095378, 0.145781, -0.042076, -0.071549, 0.099168, 0.160276, -0.145753, -0.023158, 0.048147]]),
    ("mlp", (1, 8, 8), 10, {"width": 16, "depth": 3, "dropout": 0.1, "batch_norm": True}, 1850, 1108.196274,
     [[0.001478, -0.050026, 0.073851, -0.146078, -0.237093, -0.100334, -0.008018, 0.195759, 0.230645, -0.045991],
      [0.001696, -0.048519, 0.052697, -0.102521, -0.266246, -0.077456, -0.00953, 0.229848, 0.22823, -0.077969]]),
])
def test_chain_networks_are_the_ones_built_before_the_move(name, shape, classes, options, params, checksum, out):
    assert_fingerprint(fingerprint(name, shape, classes, **options), params, checksum, out)
