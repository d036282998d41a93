"""Network morphisms: a child started from its parent by morph_transfer computes the parent's function."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from hypernas.estimate.models import build_chain
from hypernas.estimate.models.morph import morph_transfer
from hypernas.estimate.models.nb201 import build_nb201
from hypernas.space import ChainSpace, NB201Cell

SHAPE = (3, 8, 8)


def _trained(net: nn.Module, seed: int = 0) -> nn.Module:
    """A few SGD steps on random data, then non-trivial batch-norm statistics and biases, in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(16, *SHAPE, generator=gen)
    y = torch.randint(0, 5, (16,), generator=gen)
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    net.train()
    for _ in range(3):
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.5, 0.5, generator=gen)
                m.running_var.uniform_(0.5, 2.0, generator=gen)
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.uniform_(-0.5, 0.5, generator=gen)
            elif isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
                m.bias.uniform_(-0.3, 0.3, generator=gen)
    return net.eval()


def _assert_same_function(parent: nn.Module, child: nn.Module) -> None:
    x = torch.randn(8, *SHAPE, generator=torch.Generator().manual_seed(9))
    child.eval()
    with torch.no_grad():
        assert torch.allclose(parent(x), child(x), atol=1e-5), (parent(x) - child(x)).abs().max()


def _chain(layers):
    return build_chain(layers, SHAPE, 5)


PARENT = [{"type": "conv", "filters": 4, "kernel": 3}, {"type": "pool"}, {"type": "conv", "filters": 6, "kernel": 1},
          {"type": "dense", "units": 7}]
CASES = {
    "widen conv": ([{"type": "conv", "filters": 9, "kernel": 3}, *PARENT[1:]], {"layer 0 conv": "widened", "layer 2 conv": "widened"}),
    "widen conv before flatten": ([*PARENT[:2], {"type": "conv", "filters": 10, "kernel": 1}, PARENT[3]],
                                  {"layer 2 conv": "widened", "layer 3 dense": "widened"}),
    "widen dense": ([*PARENT[:3], {"type": "dense", "units": 12}], {"layer 3 dense": "widened", "classifier": "widened"}),
    "kernel": ([*PARENT[:2], {"type": "conv", "filters": 6, "kernel": 5}, PARENT[3]], {"layer 2 conv": "widened"}),
    "deepen after conv": ([PARENT[0], {"type": "conv", "filters": 4, "kernel": 3}, *PARENT[1:]], {"layer 1 conv": "identity"}),
    "deepen after pool": ([*PARENT[:2], {"type": "conv", "filters": 4, "kernel": 5}, *PARENT[2:]], {"layer 2 conv": "identity"}),
    "deepen dense": ([*PARENT, {"type": "dense", "units": 7}], {"layer 4 dense": "identity"}),
    "deepen wider": ([PARENT[0], {"type": "conv", "filters": 8, "kernel": 3}, *PARENT[1:]], {"layer 1 conv": "identity"}),
    "batchnorm and dropout": ([PARENT[0], {"type": "batchnorm"}, *PARENT[1:], {"type": "dropout", "rate": 0.5}],
                              {"layer 1 batchnorm": "identity", "layer 5 dropout": "identity"}),
    "two at once": ([{"type": "conv", "filters": 8, "kernel": 5}, {"type": "conv", "filters": 8, "kernel": 3}, *PARENT[1:3],
                     {"type": "dense", "units": 9}], {"layer 0 conv": "widened", "layer 1 conv": "identity", "layer 4 dense": "widened"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_chain_morphisms_preserve_the_function(case):
    layers, expected = CASES[case]
    parent = _trained(_chain(PARENT))
    child = _chain(layers)
    x = torch.randn(4, *SHAPE)
    with torch.no_grad():
        assert not torch.allclose(parent(x), child.eval()(x), atol=1e-3)  # before the transfer
    report = morph_transfer(parent, child, np.random.default_rng(1))
    assert report is not None
    assert {k: report[k] for k in expected} == expected
    assert set(report) == {f"layer {i} {layer['type']}" for i, layer in enumerate(layers)} | {"classifier"}
    assert "fresh" not in report.values()
    _assert_same_function(parent, child)


def test_widening_a_batchnorm_chain_keeps_the_statistics():
    layers = [{"type": "conv", "filters": 4}, {"type": "batchnorm"}, {"type": "conv", "filters": 5}, {"type": "global_pool"}]
    parent = _trained(_chain(layers))
    child = _chain([{"type": "conv", "filters": 7}, *layers[1:]])
    assert morph_transfer(parent, child)["layer 1 batchnorm"] == "widened"
    _assert_same_function(parent, child)


def test_a_layer_that_cannot_be_the_identity_is_fresh():
    parent = _trained(_chain(PARENT))
    first = _chain([{"type": "conv", "filters": 3, "kernel": 3}, *PARENT])  # its input (the image) may be negative
    assert morph_transfer(parent, first)["layer 0 conv"] == "fresh"
    pooled = _chain([*PARENT[:3], {"type": "pool"}, PARENT[3]])
    report = morph_transfer(parent, pooled)
    assert report["layer 3 pool"] == "fresh" and report["layer 4 dense"] == "fresh"


def test_unrelated_networks_give_none():
    parent = _chain(PARENT)
    assert morph_transfer(parent, _chain(PARENT[:2] + PARENT[3:])) is None  # a layer removed
    assert morph_transfer(parent, _chain([{"type": "conv", "filters": 2, "kernel": 3}, *PARENT[1:]])) is None  # narrower
    assert morph_transfer(parent, build_chain(PARENT, SHAPE, 3)) is None  # other classes
    assert morph_transfer(parent, build_nb201("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 5, 4, 1)) is None
    assert morph_transfer(nn.Linear(2, 2), nn.Linear(2, 2)) is None


def test_every_chain_space_morphism_preserves_the_function():
    space = ChainSpace(input_size=8, filters=(4, 8), kernels=(1, 3), units=(6, 12), max_layers=5, name="arch")
    genotype = [{"type": "conv", "filters": 4, "kernel": 1}, {"type": "pool", "size": 2}, {"type": "dense", "units": 6}]
    parent = _trained(_chain(genotype))
    moves = space.morphisms(genotype)
    assert {name for name, _ in moves} >= {"widen layer 0 to 8", "kernel 1->3 at layer 0", "deepen after layer 0 with conv 3x3",
                                           "deepen after layer 1 with conv 1x1", "deepen after layer 2 with dense 6",
                                           "widen layer 2 to 12"}
    rng = np.random.default_rng(0)
    for _, first in moves:
        for name, second in [("", first), *space.morphisms(first)[:3]]:
            child = _chain(second)
            report = morph_transfer(parent, child, rng)
            assert report is not None and "fresh" not in report.values(), (name, second, report)
            _assert_same_function(parent, child)


CELL = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|"


def test_connecting_a_removed_nb201_edge_starts_at_zero():
    parent = _trained(build_nb201(CELL, 5, channels=4, cells=1))
    space = NB201Cell(name="cell")
    moves = dict(space.morphisms(CELL))
    assert set(moves) == {f"connect edge {e} with {op}" for e in ("2<-0", "3<-1") for op in ("nor_conv_1x1", "nor_conv_3x3")}
    child = build_nb201(moves["connect edge 3<-1 with nor_conv_3x3"], 5, channels=4, cells=1)
    report = morph_transfer(parent, child)
    assert report["cell 0 edge 3<-1"] == "zero" and report["cell 2 edge 3<-1"] == "zero"
    assert report["cell 0 edge 1<-0"] == "copied" and report["classifier"] == "copied" and report["features.0"] == "copied"
    _assert_same_function(parent, child)


def test_nb201_changes_that_are_not_morphisms():
    parent = build_nb201(CELL, 5, channels=4, cells=1)
    skip_to_conv = build_nb201(CELL.replace("skip_connect~1", "nor_conv_3x3~1"), 5, channels=4, cells=1)
    assert morph_transfer(parent, skip_to_conv)["cell 0 edge 2<-1"] == "fresh"
    assert morph_transfer(parent, build_nb201(CELL, 5, channels=8, cells=1)) is None  # another width
    assert morph_transfer(parent, build_nb201(CELL, 5, channels=4, cells=2)) is None
