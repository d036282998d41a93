"""ENAS: the controller emits valid genotypes with exact log-probabilities and learns from REINFORCE; the shared
weights train single paths only; a seeded search is reproducible bitwise and keeps the format of DARTS's result."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from hypernas.errors import ConfigError
from hypernas.oneshot import ENASSearch, darts_supernet, nb201_supernet
from hypernas.oneshot.controller import ENASController, PolicyGradient
from hypernas.oneshot.mixed import MixedOp
from hypernas.space import DARTSCell, NB201Cell
from tests.oneshot.killing import check_resumes_bitwise

TINY = dict(batch_size=4, controller_steps=2, controller_samples=2, derive_samples=3, probability_samples=4)


def _data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 8, 8, generator=g), torch.randint(0, 10, (n,), generator=g)


@pytest.mark.parametrize("space", [NB201Cell(), DARTSCell(steps=3), DARTSCell(("none", "skip_connect",
                                                                                  "sep_conv_3x3"), steps=2)])
def test_sampled_architectures_are_valid_genotypes_of_the_space(space):
    controller = ENASController(space, hidden=8)
    g = torch.Generator().manual_seed(0)
    controller.reset(g)
    seen = set()
    for _ in range(30):
        sample = controller.sample(g)
        assert space.validate(sample.genotype) == sample.genotype
        assert controller.replay(sample.tokens).genotype == sample.genotype
        seen.add(json.dumps(sample.genotype))
        if isinstance(space, DARTSCell):
            assert all(op != "none" for cell in sample.genotype.values() for op, _ in cell)
    assert len(seen) > 20  # the policy starts near uniform


def test_the_log_prob_of_an_architecture_is_the_sum_of_its_steps_and_a_distribution():
    space = NB201Cell(("none", "skip_connect", "nor_conv_3x3"), nodes=3)
    controller = ENASController(space, hidden=8, temperature=1.0)
    g = torch.Generator().manual_seed(1)
    controller.reset(g)
    sample = controller.sample(g)
    per_step = sum(math.log(float(e.probs[controller.ops.index(e.op)])) for e in sample.edges["cell"])
    assert float(sample.log_prob.detach()) == pytest.approx(per_step, abs=1e-5)
    assert torch.equal(controller.replay(sample.tokens).log_prob, sample.log_prob)
    total = sum(math.exp(float(controller.replay(list(t)).log_prob.detach())) for t in itertools.product(range(3), repeat=3))
    assert total == pytest.approx(1.0, abs=1e-5)  # every architecture of the space, once


def test_darts_log_prob_replays_and_sums_its_steps():
    controller = ENASController(DARTSCell(steps=3), hidden=8)
    g = torch.Generator().manual_seed(2)
    controller.reset(g)
    sample = controller.sample(g)
    assert len(sample.log_probs) == 2 * 3 * 4  # per cell and node: two inputs, two operations
    assert torch.allclose(sample.log_prob, torch.stack(sample.log_probs).sum())
    assert torch.equal(controller.replay(sample.tokens).log_prob, sample.log_prob)
    with pytest.raises(ConfigError, match="is not a choice here"):
        controller.replay([5] + sample.tokens[1:])  # the first node reads node 0 or 1
    with pytest.raises(ConfigError, match="has 24 tokens, got 25"):
        controller.replay([*sample.tokens, 0])


def test_reinforce_raises_the_probability_of_the_rewarded_operation():
    controller = ENASController(NB201Cell(), hidden=16)
    g = torch.Generator().manual_seed(3)
    controller.reset(g)
    k = controller.ops.index("nor_conv_3x3")

    def first_edge() -> float:
        with torch.no_grad():
            return float(controller.greedy().edges["cell"][0].probs[k])  # the first step has no prefix: exact

    before = first_edge()
    policy = PolicyGradient(controller, lr=0.02)
    stats = [policy.step(lambda s: float(s.edges["cell"][0].op == "nor_conv_3x3"), g, samples=4) for _ in range(20)]
    assert first_edge() > before + 0.15
    assert controller.greedy().edges["cell"][0].op == "nor_conv_3x3"
    assert stats[-1]["reward"] > stats[0]["reward"] and 0 < stats[-1]["baseline"] <= 1


def test_the_shared_weights_train_only_the_sampled_operation_of_every_edge():
    net = nb201_supernet(channels=4, cells=1, seed=0)
    edges = [e for e in net.modules() if isinstance(e, MixedOp)]
    assert len(edges) == 18  # three cells share the weights of one
    calls: set[tuple[int, str]] = set()
    checked = []
    for e, edge in enumerate(edges):
        for name, op in edge.ops.items():
            for part in op.modules():  # the fused form calls an operation's layers, not the operation
                part.register_forward_hook(lambda *_, key=(e, name): calls.add(key))

    def before(module, args):
        calls.clear()

    def after(module, args, output):
        if not torch.is_grad_enabled():
            return  # a reward or derivation: no weight step
        weights = args[1]["cell"]
        assert sorted(weights.sum(dim=1).tolist()) == [1.0] * 6 and set(weights.flatten().tolist()) <= {0.0, 1.0}
        expected = {(e, net.op_names[k]) for e, edge in enumerate(edges) for k in range(5) if weights[edge.row, k] == 1}
        assert calls == {(e, name) for e, name in expected if name != "none"}
        checked.append(1)

    net.register_forward_pre_hook(before)
    net.register_forward_hook(after)
    ENASSearch(epochs=1, **TINY, seed=0).search(net, _data(12, 0), _data(8, 1))
    assert len(checked) == 3  # one weight step per training batch


def _search(seed: int, **kwargs):
    net = nb201_supernet(channels=4, cells=1, seed=seed)
    return ENASSearch(epochs=2, **{**TINY, **kwargs}, seed=seed).search(net, _data(8, 0), _data(8, 1)), net


def test_same_seed_gives_bitwise_the_same_search():
    (a, net_a), (b, net_b) = _search(5), _search(5)
    assert a.to_dict() == b.to_dict()
    for (name, p), q in zip(net_a.state_dict().items(), net_b.state_dict().values()):
        assert torch.equal(p, q), name
    c, _ = _search(6)
    assert c.history[-1]["cell"] != a.history[-1]["cell"]


def test_a_killed_search_resumes_to_bitwise_the_same_result(tmp_path):
    search = ENASSearch(epochs=3, **TINY, seed=4)
    straight, resumed = check_resumes_bitwise(lambda net, **kw: search.search(net, _data(8, 0), _data(8, 1), **kw),
                                              lambda: nb201_supernet(channels=4, cells=1, seed=4),
                                              tmp_path / "enas.pt")
    assert resumed.to_dict() == straight.to_dict()


def test_result_keeps_the_darts_search_format():
    result, _ = _search(0)
    assert NB201Cell().validate(result.genotype) == result.genotype
    assert [r["epoch"] for r in result.history] == [1, 2]
    record = result.history[-1]
    assert set(record) == {"epoch", "cell", "genotype", "collapse", "train_loss", "val_acc", "reward", "baseline",
                           "entropy"}
    assert [sum(row) for row in record["cell"]] == pytest.approx([1.0] * 6)
    assert NB201Cell().validate(record["genotype"]) == record["genotype"]
    assert set(record["collapse"]) == {"skip_weight", "skips"}
    assert 0 <= record["val_acc"] <= 1 and record["entropy"] > 0
    assert result.op_names == ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    assert result.edge_labels == {"cell": ["0->1", "0->2", "1->2", "0->3", "1->3", "2->3"]}
    assert json.loads(json.dumps(result.to_dict())) == result.to_dict()


def test_darts_search_on_data_loaders_gives_a_valid_darts_genotype():
    net = darts_supernet(channels=4, layers=3, steps=2)
    loader = DataLoader(TensorDataset(*_data(8, 0)), batch_size=4)
    seen: list[int] = []
    result = ENASSearch(epochs=1, **TINY, seed=0).search(net, loader, loader, callback=lambda r: seen.append(r["epoch"]))
    assert seen == [1]
    assert DARTSCell(steps=2).validate(result.genotype) == result.genotype
    record = result.history[0]
    for key in ("normal", "reduce"):
        rows = record[key]  # edges 0->2, 1->2, then 0->3, 1->3, 2->3; a node reads two of its edges
        assert all(row[0] == 0 for row in rows)  # none is no ENAS operation
        assert sum(map(sum, rows[:2])) == pytest.approx(2.0) and sum(map(sum, rows[2:])) == pytest.approx(2.0)


def test_the_settings_are_a_config():
    config = ENASSearch(epochs=3, controller_steps=5).to_config()
    assert config["type"] == "enas" and config["epochs"] == 3 and config["controller_steps"] == 5
    assert config["controller_hidden"] == 100 and config["controller_lr"] == 3.5e-4
    assert config["baseline_decay"] == 0.95 and config["entropy_weight"] == 1e-4
    assert json.loads(json.dumps(config)) == config


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="controller_samples must be an integer >= 1, got 0"):
        ENASSearch(controller_samples=0)
    with pytest.raises(ConfigError, match="needs a Supernet"):
        ENASSearch().search(torch.nn.Linear(2, 2), _data(4, 0), _data(4, 1))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="without edge normalisation"):
        ENASSearch().search(nb201_supernet(channels=4, cells=1, edge_normalization=True), _data(4, 0), _data(4, 1))
    with pytest.raises(ConfigError, match="val yields no batch"):
        ENASSearch(epochs=1, **TINY).search(nb201_supernet(channels=4, cells=1), _data(4, 0), [])
