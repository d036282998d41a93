"""Pruning: channel pruning makes smaller dense networks that reach the asked fraction, magnitude pruning zeroes
the asked fraction, the config refuses bad values, prune_and_finetune reports costs, latency and accuracy."""

from __future__ import annotations

import importlib.util

import pytest
import torch
from torch import nn

from hypernas.errors import ConfigError
from hypernas.estimate.models import build_chain, build_model, count_flops, count_params
from hypernas.estimate.train import TrainConfig, Trainer
from hypernas.estimate.train.pruning import (
    PruneConfig,
    measure_costs,
    prune_and_finetune,
    prune_model,
    remove_masks,
)
from hypernas.estimate.train.trainer import seeded

CELL = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"


def built(name, input_shape=(1, 8, 8), **options):
    with seeded(0):
        return build_model(name, input_shape, 10, **options)


NETWORKS = {
    "cnn": lambda: built("cnn", blocks=2, channels=16, dense=64, dropout=0.2),
    "cnn_bn": lambda: built("cnn", blocks=2, channels=16, dense=64, batch_norm=True),
    "mlp": lambda: built("mlp", width=64),
    "mlp_bn": lambda: built("mlp", width=64, batch_norm=True),
    "chain": lambda: built("chain", layers=[{"type": "conv", "filters": 12}, {"type": "batchnorm"}, {"type": "pool"},
                                            {"type": "conv", "filters": 24, "kernel": 1}, {"type": "global_pool"},
                                            {"type": "dense", "units": 32}]),
    "nb201": lambda: built("nb201", (3, 8, 8), cell=CELL, channels=8, cells=2),
}


@pytest.mark.parametrize("name", sorted(NETWORKS))
@pytest.mark.parametrize("target", ["params", "flops"])
def test_channel_pruning_removes_the_asked_fraction_and_the_network_still_runs(name, target):
    net = NETWORKS[name]()
    shape = (3, 8, 8) if name == "nb201" else (1, 8, 8)
    params, flops = count_params(net), count_flops(net, shape)
    x = torch.rand(4, *shape)
    report = prune_model(net, shape, PruneConfig(method="channel", amount=0.5, target=target))
    removed = 1 - (count_params(net) / params if target == "params" else count_flops(net, shape) / flops)
    assert removed >= 0.5 and report.structural and 0 < report.channel_ratio < 1
    assert report.before.params == params and report.after.params == count_params(net)
    assert report.before.flops == flops and report.after.flops == count_flops(net, shape)
    assert (report.params_removed if target == "params" else report.flops_removed) == pytest.approx(removed)
    assert net.eval()(x).shape == (4, 10)
    assert report.after.sparsity == 0.0


def test_channel_pruning_makes_smaller_layers_keeps_the_output_layer_and_updates_a_chain_genotype():
    net = NETWORKS["cnn_bn"]()
    prune_model(net, (1, 8, 8), PruneConfig(amount=0.6))
    convs = [m for m in net if isinstance(m, nn.Conv2d)]
    dense = [m for m in net if isinstance(m, nn.Linear)]
    assert convs[0].out_channels < 16 and convs[1].out_channels < 32 and dense[0].out_features < 64
    assert dense[-1].out_features == 10
    assert [g["filters"] for g in net.genotype if g["type"] == "conv"] == [c.out_channels for c in convs]
    rebuilt = build_chain(net.genotype, (1, 8, 8), 10)
    assert count_params(rebuilt) == count_params(net)


def test_nb201_cells_with_residual_edges_are_pruned_consistently():
    net = NETWORKS["nb201"]()
    prune_model(net, (3, 8, 8), PruneConfig(amount=0.5))
    stem = net.features[0].out_channels
    assert stem < 8
    for module in net.modules():  # every conv reads what its stage carries, every batch norm matches its conv
        if isinstance(module, nn.BatchNorm2d):
            assert module.num_features > 0
    first_cell = net.features[2]
    for op in first_cell.ops:
        for conv in (m for m in op.modules() if isinstance(m, nn.Conv2d)):
            assert conv.in_channels == conv.out_channels == stem
    assert net.classifier.out_features == 10 and net.eval()(torch.rand(2, 3, 8, 8)).shape == (2, 10)


@pytest.mark.parametrize("target", ["sparsity", "params"])
def test_magnitude_pruning_zeroes_the_asked_fraction_and_makes_it_permanent(target):
    net = NETWORKS["cnn_bn"]()
    params, flops = count_params(net), count_flops(net, (1, 8, 8))
    report = prune_model(net, (1, 8, 8), PruneConfig(method="magnitude", amount=0.7, target=target))
    layers = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert not any(hasattr(m, "weight_mask") for m in layers) and layers[-1].weight.ne(0).all()
    zeros = sum(int((m.weight == 0).sum()) for m in layers[:-1])
    weights = sum(m.weight.numel() for m in layers[:-1])
    if target == "sparsity":
        assert zeros / weights >= 0.7 and report.after.sparsity == pytest.approx(zeros / weights)
    else:
        assert zeros / params >= 0.7 and report.params_removed >= 0.7
    assert count_params(net) == params and not report.structural  # dense sizes stay
    assert report.after.params == params - zeros and report.after.flops < flops


def test_the_config_refuses_bad_values_in_one_line():
    cases = [
        ({"method": "random"}, "pruning: method must be one of 'channel', 'magnitude', got 'random'"),
        ({"amount": 1.0}, r"pruning: amount must be a number in \[0, 1\), got 1.0"),
        ({"amount": -0.1}, r"pruning: amount must be a number in \[0, 1\), got -0.1"),
        ({"target": "sparsity"}, "pruning: target must be one of 'params', 'flops' for channel pruning, got 'sparsity'"),
        ({"method": "magnitude", "target": "flops"}, "target must be one of 'params', 'sparsity' for magnitude pruning"),
        ({"norm": 3}, "pruning: norm must be one of 1, 2, got 3"),
        ({"steps": 0}, "pruning: steps must be an integer >= 1, got 0"),
        ({"finetune_epochs": -1}, "pruning: finetune_epochs must be an integer >= 0, got -1"),
        ({"finetune_lr": 0}, "pruning: finetune_lr must be a number > 0 or None, got 0"),
        ({"ratio": 0.5}, "unknown pruning option 'ratio'; options: method, amount, target, norm, steps"),
    ]
    for options, message in cases:
        with pytest.raises(ConfigError, match=message) as info:
            PruneConfig.from_options(options)
        assert "\n" not in str(info.value)
    assert PruneConfig.from_options({"amount": 0.25, "steps": 2}).to_dict()["amount"] == 0.25


def test_channel_pruning_without_torch_pruning_names_the_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch_pruning" else real(name, *a))
    with pytest.raises(ConfigError, match=r'channel pruning needs the torch-pruning package; install it with '
                                          r'pip install "hypernas\[prune\]"'):
        PruneConfig(method="channel")
    assert PruneConfig(method="magnitude").method == "magnitude"


def test_an_amount_pruning_cannot_reach_is_a_clear_error():
    net = built("mlp", width=4, depth=1)
    with pytest.raises(ConfigError, match="channel pruning cannot remove 99.0% of this network's params; at most"):
        prune_model(net, (1, 8, 8), PruneConfig(amount=0.99))
    with pytest.raises(ConfigError, match="magnitude pruning cannot zero 99.0% of this network's params; its prunable "
                                          r"weights \(all but the output layer's\) are"):
        prune_model(net, (1, 8, 8), PruneConfig(method="magnitude", amount=0.99))


def trained(splits, **options):
    net = built("cnn", blocks=2, channels=16, dense=64, batch_norm=True)
    config = TrainConfig(epochs=3, batch_size=32, lr=3e-3, **options)
    Trainer(net, config).fit(splits.train, splits.val)
    return net, config


@pytest.mark.parametrize("method", ["channel", "magnitude"])
def test_prune_and_finetune_reports_costs_latency_and_accuracy(digits_splits, method):
    net, config = trained(digits_splits)
    target = "flops" if method == "channel" else "sparsity"
    result = prune_and_finetune(net, digits_splits, config,
                                PruneConfig(method=method, amount=0.5, target=target, steps=2, finetune_epochs=2))
    report = result.report
    assert result.model is net and len(result.steps) == 2 and len(result.finetuning) == 2
    assert [s.amount for s in result.steps] == [0.25, 0.5]
    assert all(fit.epochs_trained == 2 for fit in result.finetuning)
    assert report.before.params == result.steps[0].before.params and report.after == result.steps[-1].after
    assert (report.flops_removed if method == "channel" else report.after.sparsity) >= 0.5
    assert result.latency_ms_before > 0 and result.latency_ms_after > 0
    assert result.val_accuracy_after > 0.6 and result.test_accuracy_after > 0.6
    assert result.val_accuracy_before > 0.6 and result.test_accuracy_before is not None
    values = result.to_dict()
    for key in ("params_before", "params_after", "flops_before", "flops_after", "latency_ms_before",
                "latency_ms_after", "val_accuracy_after", "test_accuracy_after", "sparsity_after"):
        assert key in values
    assert values["structural"] is (method == "channel")
    assert not any(hasattr(m, "weight_mask") for m in net.modules())


def test_magnitude_masks_keep_pruned_weights_at_zero_through_finetuning(digits_splits):
    net, config = trained(digits_splits)
    prune_model(net, (1, 8, 8), PruneConfig(method="magnitude", amount=0.6, target="sparsity"), permanent=False)
    zero_before = [m.weight.eq(0).clone() for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    Trainer(net, config, epochs=1).fit(digits_splits.train, digits_splits.val)
    remove_masks(net)
    zero_after = [m.weight.eq(0) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert all(after[before].all() for before, after in zip(zero_before, zero_after, strict=True))
    assert measure_costs(net, (1, 8, 8)).sparsity >= 0.6


def test_no_finetuning_and_a_zero_amount(digits_splits):
    net, config = trained(digits_splits)
    params = count_params(net)
    result = prune_and_finetune(net, digits_splits, config, PruneConfig(amount=0.0, finetune_epochs=0))
    assert result.finetuning == [] and count_params(net) == params and result.report.params_removed == 0
    assert result.val_accuracy_after == result.val_accuracy_before
