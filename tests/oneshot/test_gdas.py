"""GDAS: one sampled operation computed per edge, straight-through gradients to every logit (as in the published
code), the temperature schedule, a reproducible search and a valid derived genotype."""

from __future__ import annotations

import json

import pytest
import torch

import hypernas as hn
from hypernas.errors import ConfigError
from hypernas.estimate.models import NB201Network
from hypernas.estimate.train import Dataset, Splits
from hypernas.oneshot import GDASSearch, MixedEdges, MixedOp, Mixing, OneShotObjective, darts_supernet, nb201_supernet
from hypernas.oneshot.gdas import gumbel_hard_weights
from hypernas.oneshot.mixed import SourceGroup
from hypernas.record import ARCH_WEIGHTS_ATTR
from hypernas.space import DARTSCell, NB201Cell
from tests.oneshot.killing import check_resumes_bitwise


def _data(n: int, seed: int, size: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=g), torch.randint(0, 10, (n,), generator=g)


@pytest.mark.parametrize("fused", [True, False])
def test_the_forward_computes_only_the_sampled_operation_of_each_edge(fused):
    # keyed by source group: the fused form computes a pooling once for all the edges reading the same node
    net = nb201_supernet(channels=4, cells=1, fused=fused)
    edges = [m for m in net.modules() if isinstance(m, MixedOp)]
    where = (lambda edge: id(edge.group)) if fused else id
    computed: set[tuple[int, str]] = set()
    for edge in edges:
        for name, op in edge.ops.items():
            key = (where(edge), name)
            for part in op.modules():  # the fused form calls an operation's layers, not the operation
                part.register_forward_hook(lambda *_, key=key: computed.add(key))
    for seed in range(4):
        computed.clear()
        weights = gumbel_hard_weights(dict(net.alphas.items()), 1.0, torch.Generator().manual_seed(seed))
        sampled = weights["cell"].argmax(dim=-1).tolist()
        assert torch.equal((weights["cell"] != 0).sum(dim=-1), torch.ones(6, dtype=torch.long))
        net(torch.randn(2, 3, 8, 8), weights, hard=True)
        expected = {(where(edge), net.op_names[sampled[edge.row]]) for edge in edges}
        assert computed == {(e, name) for e, name in expected if name != "none"}


def test_every_logit_of_an_edge_gets_a_gradient():
    net = nb201_supernet(channels=4, cells=1)
    weights = gumbel_hard_weights(dict(net.alphas.items()), 10.0, torch.Generator().manual_seed(0))
    net(torch.randn(2, 3, 8, 8), weights, hard=True).square().sum().backward()
    assert bool((net.alphas["cell"].grad != 0).all())


def test_the_straight_through_gradient_is_the_published_one():
    # GDAS's code: an edge outputs w_k * op_k(x) + sum of the other weights (0 in value), so d out / d w_j is op_k(x)
    # for the sampled k and all ones for every other j (none included)
    mixing = Mixing()
    net = NB201Network([("none", "skip_connect", "avg_pool_3x3")] * 3, channels=4, cells=1, edge=MixedEdges(mixing))
    edge = next(m for m in net.modules() if isinstance(m, MixedOp))
    edge.bind("cell", 0, SourceGroup([edge]))
    alpha = torch.randn(1, 3, requires_grad=True)
    weights = gumbel_hard_weights({"cell": alpha}, 1.0, torch.Generator().manual_seed(1))["cell"]
    weights.retain_grad()
    k = int(weights.argmax())
    x, r = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8)
    with mixing.use({"cell": weights}, hard=True):
        out = edge(x)
    ops = {"none": torch.zeros_like(x), "skip_connect": x, "avg_pool_3x3": edge.ops["avg_pool_3x3"](x)}
    name = edge.candidates[k]
    assert torch.allclose(out, ops[name])
    (out * r).sum().backward()
    expected = [float((r * ops[name]).sum()) if j == k else float(r.sum()) for j in range(3)]
    assert weights.grad is not None
    assert torch.allclose(weights.grad[0], torch.tensor(expected), atol=1e-5)
    assert alpha.grad is not None and bool((alpha.grad != 0).all())


def test_the_temperature_falls_linearly_from_tau_max_to_tau_min():
    search = GDASSearch(epochs=5)
    assert [search.tau(e) for e in range(1, 6)] == pytest.approx([10.0, 7.525, 5.05, 2.575, 0.1])
    assert GDASSearch(epochs=1).tau(1) == 10.0
    assert GDASSearch(epochs=3, tau_max=4, tau_min=1).tau(2) == 2.5


def test_a_low_temperature_samples_the_strongest_operation():
    alpha = torch.tensor([[0.0, 3.0, 0.0]])
    picks = [int(gumbel_hard_weights({"c": alpha}, 0.1, torch.Generator().manual_seed(s))["c"].argmax())
             for s in range(200)]
    assert 0.8 < picks.count(1) / len(picks) < 1.0  # softmax(alpha)[1] = 0.91: the argmax samples the softmax


def _search(seed: int, epochs: int = 2):
    net = nb201_supernet(channels=4, cells=1, seed=seed)
    return GDASSearch(epochs=epochs, batch_size=4, seed=seed).search(net, _data(8, 0), _data(8, 1)), net


def test_same_seed_gives_bitwise_the_same_search():
    (a, net_a), (b, net_b) = _search(5), _search(5)
    for p, q in zip(net_a.state_dict().values(), net_b.state_dict().values()):
        assert torch.equal(p, q)
    assert a.to_dict() == b.to_dict()
    _, net_c = _search(6)
    assert not torch.equal(net_a.alphas["cell"], net_c.alphas["cell"])


def test_result_holds_a_valid_genotype_and_the_weights_of_every_epoch():
    seen = []
    net = nb201_supernet(channels=4, cells=1)
    result = GDASSearch(epochs=3, batch_size=4).search(net, _data(8, 0), _data(8, 1), callback=seen.append)
    assert NB201Cell().validate(result.genotype) == result.genotype
    assert [r["epoch"] for r in result.history] == [1, 2, 3] and seen == result.history
    assert [r["tau"] for r in result.history] == pytest.approx([10.0, 5.05, 0.1])
    record = result.history[-1]
    assert torch.allclose(torch.tensor(record["cell"]), torch.softmax(net.alphas["cell"].detach(), dim=-1))
    assert set(record) >= {"genotype", "collapse", "train_loss", "val_loss"}
    json.dumps(result.to_dict())


def test_gdas_searches_a_darts_cell():
    net = darts_supernet(channels=4, layers=3, steps=2)
    result = GDASSearch(epochs=1, batch_size=4).search(net, _data(8, 0), _data(8, 1))
    space = DARTSCell(steps=2)
    assert space.validate(result.genotype) == result.genotype


def test_the_settings_are_a_config_and_bad_ones_are_refused():
    assert GDASSearch(epochs=3, tau_min=0.5).to_config()["tau_min"] == 0.5
    assert GDASSearch().to_config()["type"] == "gdas"
    with pytest.raises(ConfigError, match="tau_min"):
        GDASSearch(tau_max=1.0, tau_min=2.0)
    with pytest.raises(ConfigError, match="Supernet"):
        GDASSearch().search(torch.nn.Linear(2, 2), _data(4, 0), _data(4, 1))  # type: ignore[arg-type]


def test_gdas_runs_as_a_study_trial_and_from_a_config():
    g = torch.Generator().manual_seed(0)

    def part(n: int) -> Dataset:
        x = torch.randint(0, 256, (n, 1, 8, 8), generator=g, dtype=torch.uint8)
        return Dataset(x, torch.arange(n) % 3, ["a", "b", "c"], "random")

    objective = OneShotObjective.from_config({"type": "gdas", "epochs": 2, "batch_size": 6, "tau_max": 5.0,
                                              "dataset": Splits(part(24), part(12), part(12)), "channels": 4,
                                              "cells": 1})
    assert isinstance(objective.search, GDASSearch) and objective.search.tau_max == 5.0
    study = hn.create_study(strategy="random", seed=0, directions=list(objective.directions))
    study.optimize(objective, {"seed": hn.Fixed(1)}, n_trials=1, show_progress=False)
    (trial,) = study.trials
    assert trial.state is hn.TrialState.COMPLETE, trial.error
    assert NB201Cell().validate(trial.user_attrs["genotype"]) == trial.user_attrs["genotype"]
    assert len(trial.system_attrs[ARCH_WEIGHTS_ATTR]["epochs"]) == 2


def test_a_killed_search_resumes_to_bitwise_the_same_result(tmp_path):
    search = GDASSearch(epochs=3, batch_size=4, seed=1)
    path = tmp_path / "search.pt"
    straight, resumed = check_resumes_bitwise(lambda net, **kw: search.search(net, _data(8, 0), _data(8, 1), **kw),
                                              lambda: nb201_supernet(channels=4, cells=1, seed=1), path)
    assert resumed.to_dict() == straight.to_dict()
    with pytest.raises(ConfigError, match=r"other settings \(tau_min: 0.1 there, 0.5 now\)"):
        GDASSearch(epochs=3, batch_size=4, seed=1, tau_min=0.5).search(
            nb201_supernet(channels=4, cells=1, seed=1), _data(8, 0), _data(8, 1), checkpoint=path)
