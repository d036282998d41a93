"""Supernets: built from the discrete networks' skeletons; the fused mixed edge computes what the per-edge one does;
``none`` and zero-weighted candidates cost nothing; the derived genotype is valid and the strongest."""

from __future__ import annotations

import pytest
import torch

from hypernas.errors import InternalError, SpaceError
from hypernas.estimate.models import DARTSNetwork, NB201Network
from hypernas.oneshot import MixedEdges, MixedOp, Mixing, darts_supernet, nb201_supernet
from hypernas.oneshot.mixed import SourceGroup
from hypernas.space import DARTSCell, NB201Cell

TINY_NB201 = dict(channels=4, cells=1)
TINY_DARTS = dict(channels=4, layers=3, steps=2)
BUILDS = [
    (nb201_supernet, TINY_NB201),
    (darts_supernet, TINY_DARTS),
    (nb201_supernet, dict(channels=8, cells=1, partial_channels=2, edge_normalization=True)),
    (darts_supernet, dict(channels=8, layers=3, steps=2, partial_channels=2, edge_normalization=True)),
]


def test_supernets_are_the_discrete_networks_skeletons():
    assert isinstance(nb201_supernet(**TINY_NB201).network, NB201Network)
    assert isinstance(darts_supernet(**TINY_DARTS).network, DARTSNetwork)
    net = darts_supernet(**TINY_DARTS)
    assert {k: tuple(a.shape) for k, a in net.alphas.items()} == {"normal": (5, 8), "reduce": (5, 8)}
    assert net.edge_labels["normal"] == ["0->2", "1->2", "0->3", "1->3", "2->3"]


@pytest.mark.parametrize(("build", "kwargs"), BUILDS)
def test_fused_edges_give_the_per_edge_outputs_and_gradients(build, kwargs):
    fused, plain = build(**kwargs, fused=True, seed=3), build(**kwargs, fused=False, seed=3)
    assert fused.mixing.fused and not plain.mixing.fused
    plain.load_state_dict(fused.state_dict())
    x = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    out_fused, out_plain = fused(x), plain(x)
    assert torch.allclose(out_fused, out_plain, rtol=0, atol=1e-6)
    fused.double(), plain.double()
    fused(x.double()).square().sum().backward()
    plain(x.double()).square().sum().backward()
    grads = dict(plain.named_parameters())
    for name, p in fused.named_parameters():
        assert p.grad is not None, name
        assert torch.allclose(p.grad, grads[name].grad, rtol=1e-9, atol=1e-12), name


@pytest.mark.parametrize("fused", [True, False])
def test_none_and_zero_weights_are_not_computed(fused):
    net = nb201_supernet(**TINY_NB201, fused=fused)
    edges = [m for m in net.modules() if isinstance(m, MixedOp)]
    assert all("none" not in edge.ops for edge in edges)
    calls: dict[str, int] = {}
    for edge in edges:
        for name, op in edge.ops.items():
            for part in op.modules():  # the fused form calls an operation's layers, not the operation
                part.register_forward_hook(lambda *_, name=name: calls.__setitem__(name, calls.get(name, 0) + 1))
    weights = torch.zeros(6, 5)
    weights[:, 0] = 1.0  # every edge is none: the cells output zeros
    x = torch.randn(2, 3, 8, 8)
    net(x, weights={"cell": weights})
    assert calls == {}
    weights[:, 0], weights[:, 1] = 0.5, 0.5  # none and skip
    net(x, weights={"cell": weights})
    assert set(calls) == {"skip_connect"}


def test_an_edge_of_only_none_outputs_zeros():
    mixing = Mixing()
    net = NB201Network([("none", "skip_connect")] * 3, channels=4, cells=1, edge=MixedEdges(mixing))
    edge = next(m for m in net.modules() if isinstance(m, MixedOp))
    edge.bind("cell", 0, SourceGroup([edge]))
    x = torch.randn(2, 4, 8, 8)
    with mixing.use({"cell": torch.tensor([[1.0, 0.0]])}):
        assert torch.equal(edge(x), torch.zeros_like(x))


def test_an_edge_outside_its_supernets_forward_is_refused():
    net = nb201_supernet(**TINY_NB201)
    with pytest.raises(InternalError, match="inside its supernet"):
        net.network(torch.randn(1, 3, 8, 8))


def test_bad_candidates_and_partial_channels_are_refused():
    with pytest.raises(SpaceError, match="unknown operation 'conv_9x9'"):
        nb201_supernet(["none", "conv_9x9"], **TINY_NB201)
    with pytest.raises(SpaceError, match="partial channels 3"):
        nb201_supernet(**TINY_NB201, partial_channels=3)
    with pytest.raises(SpaceError, match="an operation other than 'none'"):
        darts_supernet(["none"], **TINY_DARTS)
    with pytest.raises(SpaceError, match="tuple of candidate operations"):
        MixedEdges(Mixing())("skip_connect", 4, 1)


def test_nb201_derivation_takes_the_strongest_operation_other_than_none():
    net = nb201_supernet(**TINY_NB201)
    with torch.no_grad():
        net.alphas["cell"].zero_()
        net.alphas["cell"][:, 0] = 5.0  # none strongest everywhere: ignored
        net.alphas["cell"][:, 3] = 1.0  # nor_conv_3x3 next
        net.alphas["cell"][2, 1] = 2.0  # skip on edge 1->2
    genotype = net.derive()
    assert NB201Cell().validate(genotype) == genotype
    assert NB201Cell().to_ops(genotype) == ["nor_conv_3x3", "nor_conv_3x3", "skip_connect"] + ["nor_conv_3x3"] * 3
    signal = net.collapse_signal(genotype)
    assert signal["skips"] == {"cell": 1}
    assert 0 < signal["skip_weight"]["cell"] < 0.2


def test_darts_derivation_keeps_the_two_strongest_inputs_per_node():
    net = darts_supernet(channels=4, layers=3, steps=3)
    with torch.no_grad():
        for alpha in net.alphas.values():
            alpha.zero_()
            alpha[:, 0] = 9.0  # none: never chosen, never counts
        normal = net.alphas["normal"]
        normal[0, 4] = 3.0   # 0->2 sep_conv_3x3
        normal[1, 3] = 2.0   # 1->2 skip
        normal[4, 6] = 4.0   # 2->3 dil_conv_3x3
        normal[2, 1] = 3.0   # 0->3 max_pool
        normal[8, 2] = 1.0   # 3->4 avg_pool ...
        normal[6, 5] = 2.0   # 1->4 sep_conv_5x5 beats it
        normal[5, 7] = 3.0   # 0->4 dil_conv_5x5
    genotype = net.derive()
    assert DARTSCell(steps=3).validate(genotype) == genotype
    assert genotype["normal"] == [["sep_conv_3x3", 0], ["skip_connect", 1], ["dil_conv_3x3", 2],
                                  ["max_pool_3x3", 0], ["dil_conv_5x5", 0], ["sep_conv_5x5", 1]]
    assert net.collapse_signal()["skips"]["normal"] == 1
