"""DARTS's collapse signal and remedies: the Hessian eigenvalue is the dense Hessian's, DARTS-'s auxiliary skip
decays to nothing, beta-DARTS's term has the published form, DARTS+ stops at the right epoch."""

from __future__ import annotations

import pytest
import torch
from torch.func import functional_call

from hypernas.errors import ConfigError
from hypernas.oneshot import DARTSSearch, darts_supernet, nb201_supernet
from hypernas.oneshot.hypergradient import loss_with
from hypernas.oneshot.remedies import EarlyStop, aux_skip_coefficient, beta_regularization, beta_weight, hessian_eigenvalue


def _data(n: int, seed: int, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 8, 8, generator=g, dtype=dtype), torch.randint(0, 10, (n,), generator=g)


def test_hessian_eigenvalue_is_the_dense_hessians_dominant_eigenvalue():
    net = nb201_supernet(channels=4, cells=1, seed=0).double()
    with torch.no_grad():
        net.alphas["cell"].copy_(torch.randn(6, 5, generator=torch.Generator().manual_seed(3), dtype=torch.float64))
    batch = _data(8, 0, torch.float64)
    found = hessian_eigenvalue(net, batch, 40, torch.Generator().manual_seed(0))

    def loss(alpha: torch.Tensor) -> torch.Tensor:
        out = functional_call(net, {"alphas.cell": alpha.view(6, 5)}, (batch[0],))
        return torch.nn.functional.cross_entropy(out, batch[1])

    dense = torch.autograd.functional.hessian(loss, net.alphas["cell"].detach().flatten())
    eigenvalues = torch.linalg.eigvalsh((dense + dense.T) / 2)
    dominant = eigenvalues[eigenvalues.abs().argmax()]
    assert abs(found - float(dominant)) <= 1e-6 * abs(float(dominant))
    assert loss_with(net, batch).dtype == torch.float64


def test_the_search_records_a_finite_eigenvalue_every_epoch_without_changing_the_architecture():
    plain = DARTSSearch(epochs=2, batch_size=4).search(nb201_supernet(channels=4, cells=1), _data(8, 0), _data(8, 1))
    watched = DARTSSearch(epochs=2, batch_size=4, hessian=True, hessian_iterations=3).search(
        nb201_supernet(channels=4, cells=1), _data(8, 0), _data(8, 1))
    values = [r["collapse"]["hessian_eigenvalue"] for r in watched.history]
    assert len(values) == 2 and all(torch.isfinite(torch.tensor(v)) for v in values)
    assert [r["cell"] for r in watched.history] == [r["cell"] for r in plain.history]


def test_darts_minus_auxiliary_skip_decays_from_one_to_zero():
    assert [aux_skip_coefficient(e, 5) for e in range(1, 6)] == [1.0, 0.75, 0.5, 0.25, 0.0]
    net = nb201_supernet(channels=4, cells=1)
    result = DARTSSearch(epochs=3, batch_size=4, aux_skip=True).search(net, _data(8, 0), _data(8, 1))
    assert [r["aux_skip"] for r in result.history] == [1.0, 0.5, 0.0]
    assert net.aux_skip == 0.0  # nothing left behind: the last epoch and after search without it
    x = _data(4, 2)[0]
    net.eval()
    skip = net.op_names.index("skip_connect")
    net.aux_skip = 0.3
    boosted = net(x)
    weights = {k: w.clone() for k, w in net.op_weights().items()}
    weights["cell"][:, skip] += 0.3
    assert torch.allclose(boosted, net(x, weights))  # the auxiliary term is 0.3 times every edge's skip
    net.aux_skip = 0.0
    assert not torch.allclose(boosted, net(x))


def test_darts_minus_needs_a_skip_candidate():
    net = nb201_supernet(("none", "nor_conv_1x1", "avg_pool_3x3"), channels=4, cells=1)
    with pytest.raises(ConfigError, match="aux_skip .* needs 'skip_connect'"):
        DARTSSearch(epochs=1, aux_skip=True).search(net, _data(4, 0), _data(4, 1))


def test_beta_darts_term_has_the_published_form():
    net = nb201_supernet(channels=4, cells=1)
    with torch.no_grad():
        net.alphas["cell"].copy_(torch.randn(6, 5, generator=torch.Generator().manual_seed(1)))
    alpha = net.alphas["cell"]
    term = beta_regularization(net)
    assert torch.allclose(term, torch.log(torch.exp(alpha).sum(dim=1)).mean())
    (grad,) = torch.autograd.grad(term, [alpha])
    assert torch.allclose(grad, torch.softmax(alpha, dim=1) / 6)  # each edge's softmax over the edge count
    assert [beta_weight(e, 4, 2.0) for e in range(1, 5)] == [0.0, 0.5, 1.0, 1.5]
    cells = darts_supernet(channels=4, layers=3, steps=2)  # normal and reduction edges in one mean, as published
    with torch.no_grad():
        cells.alphas["normal"].add_(1.0)
    both = torch.cat([cells.alphas["normal"], cells.alphas["reduce"]])
    assert torch.allclose(beta_regularization(cells), torch.log(torch.exp(both).sum(dim=1)).mean())


def test_beta_darts_changes_the_search_only_from_its_second_epoch():
    plain = DARTSSearch(epochs=2, batch_size=4).search(nb201_supernet(channels=4, cells=1), _data(8, 0), _data(8, 1))
    reg = DARTSSearch(epochs=2, batch_size=4, beta_decay=100.0).search(
        nb201_supernet(channels=4, cells=1), _data(8, 0), _data(8, 1))
    assert [r["beta_weight"] for r in reg.history] == [0.0, 50.0]
    assert reg.history[0]["cell"] == plain.history[0]["cell"]
    spread = [torch.tensor(r.history[1]["cell"]).std().item() for r in (plain, reg)]
    assert spread[1] < spread[0]  # the regulariser keeps the weights closer together


def _record(epoch: int, rows: list[list[float]], skips: int) -> dict:
    return {"epoch": epoch, "cell": rows, "collapse": {"skip_weight": {}, "skips": {"cell": skips}}}


OPS = ["none", "skip_connect", "nor_conv_3x3"]


def test_darts_plus_stops_on_two_skips_or_a_stable_ranking():
    stop = EarlyStop(2, "cell", OPS, ["cell"])
    a, b = [[0.1, 0.5, 0.4]], [[0.1, 0.4, 0.5]]
    history = [_record(1, a, 1), _record(2, b, 0), _record(3, b, 0)]
    assert [stop.reason(history[:n]) for n in (1, 2, 3)] == [None, None, None]
    history.append(_record(4, [[0.5, 0.2, 0.3]], 0))  # none moved, the ranking of the real candidates did not
    assert stop.reason(history) == "stable"
    assert stop.reason([_record(1, a, 2)]) == "skips"


def test_the_search_stops_early_and_says_why():
    result = DARTSSearch(epochs=6, batch_size=4, early_stop=True, patience=1).search(
        nb201_supernet(channels=4, cells=1), _data(8, 0), _data(8, 1))
    stop = EarlyStop(1, "cell", result.op_names, ["cell"])
    reasons = [stop.reason(result.history[:n]) for n in range(1, len(result.history) + 1)]
    assert reasons[-1] is not None and all(r is None for r in reasons[:-1])
    assert result.history[-1]["stopped"] == reasons[-1]
    assert all("stopped" not in r for r in result.history[:-1])
