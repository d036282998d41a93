"""DARTS: the unrolled hypergradient matches exact double backpropagation; a seeded search is reproducible bitwise;
the result holds a valid genotype and a JSON-able history of the architecture weights."""

from __future__ import annotations

import json

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from hypernas.errors import ConfigError
from hypernas.oneshot import DARTSSearch, darts_supernet, nb201_supernet
from hypernas.oneshot.hypergradient import first_order_grads, loss_with, second_order_grads
from hypernas.space import DARTSCell, NB201Cell


def _data(n: int, seed: int, dtype: torch.dtype = torch.float32, size: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=g, dtype=dtype), torch.randint(0, 10, (n,), generator=g)


def _exact_unrolled_grads(net, train, val, xi, buffers, momentum, weight_decay):
    names, weights = zip(*net.named_weight_parameters())
    grads = torch.autograd.grad(loss_with(net, train), weights, create_graph=True)
    virtual = {n: w - xi * (momentum * m + g + weight_decay * w) for n, w, m, g in zip(names, weights, buffers, grads)}
    return torch.autograd.grad(loss_with(net, val, virtual), net.arch_parameters())


SMOOTH_DARTS_OPS = ("none", "skip_connect", "sep_conv_3x3", "avg_pool_3x3", "dil_conv_3x3")


@pytest.mark.parametrize(("build", "size"), [
    (lambda: nb201_supernet(channels=4, cells=1, seed=0), 16),
    (lambda: darts_supernet(SMOOTH_DARTS_OPS, channels=4, layers=3, steps=2, seed=0, edge_normalization=True), 8),
])
def test_second_order_gradient_matches_exact_double_backpropagation(build, size, monkeypatch):
    # A finite difference across a ReLU's kink (or a max pooling's switch) is no derivative at all: with ReLU a tiny
    # network's few units make the published step cross kinks. Softplus keeps the check on the algebra (the error
    # left is the central difference's, which shrinks with the square of the step); max pooling is left out.
    softplus = torch.nn.functional.softplus
    monkeypatch.setattr(torch.nn.functional, "relu", lambda x, inplace=False: softplus(x))
    net = build().double()
    with torch.no_grad():  # architecture parameters away from their near-uniform start
        for p in net.arch_parameters():
            p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(2), dtype=p.dtype))
    train, val = _data(8, 0, torch.float64, size), _data(8, 1, torch.float64, size)
    g = torch.Generator().manual_seed(3)
    buffers = [0.1 * torch.randn(w.shape, generator=g, dtype=w.dtype) for w in net.weight_parameters()]
    xi, momentum, weight_decay = 0.5, 0.9, 3e-4  # a large step: the second-order term matters
    approx, _ = second_order_grads(net, train, val, xi, momentum_buffers=buffers, momentum=momentum,
                                   weight_decay=weight_decay)
    exact = _exact_unrolled_grads(net, train, val, xi, buffers, momentum, weight_decay)
    first, _ = first_order_grads(net, val)
    approx_flat, exact_flat = torch.cat([a.flatten() for a in approx]), torch.cat([e.flatten() for e in exact])
    first_flat = torch.cat([f.flatten() for f in first])
    assert (approx_flat - exact_flat).norm() <= 1e-3 * exact_flat.norm()
    assert (first_flat - exact_flat).norm() > 0.1 * exact_flat.norm()  # the check tells first from second order


def _search(order: int, seed: int, **kwargs):
    net = nb201_supernet(channels=4, cells=1, seed=seed, **kwargs)
    return DARTSSearch(order=order, epochs=2, batch_size=4, seed=seed).search(net, _data(8, 0), _data(8, 1)), net


@pytest.mark.parametrize("order", [1, 2])
def test_same_seed_gives_bitwise_the_same_search(order):
    (a, net_a), (b, net_b) = _search(order, 5), _search(order, 5)
    for p, q in zip(net_a.arch_parameters(), net_b.arch_parameters()):
        assert torch.equal(p, q)
    assert a.to_dict() == b.to_dict()
    _, net_c = _search(order, 6)
    assert not torch.equal(net_a.alphas["cell"], net_c.alphas["cell"])


def test_result_holds_a_valid_genotype_and_the_weights_of_every_epoch():
    result, net = _search(2, 0)
    assert NB201Cell().validate(result.genotype) == result.genotype
    assert [r["epoch"] for r in result.history] == [1, 2]
    record = result.history[-1]
    assert torch.allclose(torch.tensor(record["cell"]), net.op_weights()["cell"].detach())
    assert set(record["collapse"]) == {"skip_weight", "skips"}
    assert result.op_names == ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    assert result.edge_labels == {"cell": ["0->1", "0->2", "1->2", "0->3", "1->3", "2->3"]}
    assert json.loads(json.dumps(result.to_dict())) == result.to_dict()


def test_pc_darts_search_on_data_loaders_gives_a_valid_darts_genotype():
    net = darts_supernet(channels=8, layers=3, steps=2, partial_channels=2, edge_normalization=True)
    loader = DataLoader(TensorDataset(*_data(8, 0)), batch_size=4)
    seen: list[int] = []
    result = DARTSSearch(order=1, epochs=1, seed=0).search(net, loader, loader, callback=lambda r: seen.append(r["epoch"]))
    assert seen == [1]
    assert DARTSCell(steps=2).validate(result.genotype) == result.genotype
    assert set(result.history[0]["edges"]) == {"normal", "reduce"}
    assert set(result.history[0]["collapse"]["skips"]) == {"normal", "reduce"}


def test_the_settings_are_a_config():
    config = DARTSSearch(order=2, epochs=3).to_config()
    assert config["type"] == "darts" and config["order"] == 2 and config["epochs"] == 3
    assert config["lr"] == 0.025 and config["arch_betas"] == [0.5, 0.999] and config["arch_weight_decay"] == 1e-3
    assert json.loads(json.dumps(config)) == config


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="order must be one of 1, 2, got 3"):
        DARTSSearch(order=3)
    with pytest.raises(ConfigError, match="needs a Supernet"):
        DARTSSearch().search(torch.nn.Linear(2, 2), _data(4, 0), _data(4, 1))  # type: ignore[arg-type]
    net = nb201_supernet(channels=4, cells=1)
    with pytest.raises(ConfigError, match="train needs as many labels as inputs"):
        DARTSSearch().search(net, (torch.zeros(4, 3, 8, 8), torch.zeros(3)), _data(4, 1))
    with pytest.raises(ConfigError, match="val must be a data loader"):
        DARTSSearch().search(net, _data(4, 0), 5)  # type: ignore[arg-type]
