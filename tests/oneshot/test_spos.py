"""SPOS: single-path supernets whose subnets are the discrete networks, reproducible uniform-path training, batch-norm
recalibration, and a trained supernet searched by a hypernas study through a SupernetObjective."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

import hypernas as hn
from hypernas.errors import ConfigError, InternalError, ObjectiveError, SpaceError
from hypernas.estimate.models import MobileNetNetwork, NB201Network, ShuffleNetNetwork, cell_edge
from hypernas.estimate.models.mobilenet import build_mobilenet
from hypernas.estimate.models.nb201 import build_nb201
from hypernas.estimate.models.shufflenet import build_shufflenet
from hypernas.oneshot import (
    ChoiceEdges,
    ChoiceOp,
    SPOSSearch,
    SupernetObjective,
    mobilenet_single_path,
    nb201_single_path,
    shufflenet_single_path,
)
from hypernas.oneshot.subnet import recalibrate_bn
from hypernas.space import MobileNetSpace, NB201Cell, ShuffleNetSpace
from tests.oneshot.killing import check_resumes_bitwise

MOBILE = MobileNetSpace(stages=((16, 1), (24, 2)), expansions=(1, 3), kernels=((3,), (3, 5)), depths=(1, 2),
                        se=(False, True))
SHUFFLE = ShuffleNetSpace(depths=(1, 2))
SUPERNETS = {
    "nb201": lambda seed=0: nb201_single_path(channels=4, cells=1, seed=seed),
    "mobilenet": lambda seed=0: mobilenet_single_path(MOBILE, width=0.25, seed=seed),
    "shufflenet": lambda seed=0: shufflenet_single_path(SHUFFLE, widths=(8, 16), stem=4, head=16, seed=seed),
}
DISCRETE = {
    "nb201": lambda g: build_nb201(g, channels=4, cells=1),
    "mobilenet": lambda g: build_mobilenet(g, width=0.25, space=MOBILE),
    "shufflenet": lambda g: build_shufflenet(g, widths=(8, 16), stem=4, head=16, space=SHUFFLE),
}


def _data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 8, 8, generator=g), torch.randint(0, 10, (n,), generator=g)


def test_single_path_supernets_are_the_discrete_networks_skeletons():
    assert isinstance(SUPERNETS["nb201"]().network, NB201Network)
    assert isinstance(SUPERNETS["mobilenet"]().network, MobileNetNetwork)
    net = SUPERNETS["shufflenet"]()
    assert isinstance(net.network, ShuffleNetNetwork)
    assert len(net.layers) == 3 and all(isinstance(layer, ChoiceOp) for layer in net.layers)
    assert all(layer.candidates == tuple(SHUFFLE.choices) for layer in net.layers)
    with pytest.raises(SpaceError, match="tuple of candidates"):
        ChoiceEdges(cell_edge)("skip_connect", 4, 1)
    assert len(SUPERNETS["mobilenet"]().layers) == 4  # two stages of the largest depth
    assert len(SUPERNETS["nb201"]().layers) == 18  # three cells of six edges


@pytest.mark.parametrize("kind", list(SUPERNETS))
def test_a_subnet_is_the_discrete_network_with_the_supernets_weights(kind):
    supernet = SUPERNETS[kind](seed=1)
    rng = np.random.default_rng(0)
    x = torch.randn(2, 3, 8, 8)
    for _ in range(3):
        genotype = supernet.sample(rng)
        discrete = DISCRETE[kind](genotype)
        discrete.load_state_dict(supernet.subnet(genotype).state_dict())  # strict: the same modules, the same shapes
        supernet.eval(), discrete.eval()
        assert torch.equal(supernet(x, genotype), discrete(x))


def test_only_the_chosen_candidate_runs():
    supernet = SUPERNETS["shufflenet"]()
    ran: list[tuple[int, int]] = []
    for i, layer in enumerate(supernet.layers):
        for k, module in enumerate(layer.choices):
            module.register_forward_hook(lambda *_, key=(i, k): ran.append(key))
    supernet(torch.randn(2, 3, 8, 8), ["xception", "shuffle3", "shuffle7"])
    assert ran == [(0, 3), (1, 0), (2, 2)]
    with pytest.raises(InternalError, match="inside its supernet's forward"):
        supernet.network(torch.randn(2, 3, 8, 8))


def test_mobilenet_layers_past_a_stages_depth_are_skipped():
    supernet = SUPERNETS["mobilenet"]()
    genotype = [{"expansion": 3, "kernel": [3, 5], "se": True, "depth": 1},
                {"expansion": 1, "kernel": [3], "se": False, "depth": 2}]
    path = supernet.path(genotype)
    blocks = supernet.layers[0].candidates
    assert path[1] is None and path[2] == path[3]
    assert blocks[path[0]] == (3, (3, 5), True) and blocks[path[2]] == (1, (3,), False)


@pytest.mark.parametrize(("kind", "genotype", "match"), [
    ("nb201", "|nor_conv_3x3~0|+|dil_conv_3x3~0|none~1|+|none~0|none~1|none~2|", "dil_conv_3x3"),
    ("shufflenet", ["shuffle3", "shuffle9", "shuffle3"], "shuffle9"),
    ("mobilenet", [{"expansion": 6, "kernel": [3], "se": False, "depth": 1}] * 2, "expansion 6"),
])
def test_a_genotype_outside_the_supernet_is_a_one_line_error(kind, genotype, match):
    supernet = SUPERNETS[kind]()
    with pytest.raises(SpaceError, match=match) as err:
        supernet(torch.randn(1, 3, 8, 8), genotype)
    assert "\n" not in str(err.value)


def test_the_objective_refuses_a_genotype_outside_the_supernet():
    restricted = nb201_single_path(("none", "skip_connect"), channels=4, cells=1)
    with pytest.raises(SpaceError, match="avg_pool_3x3"):
        SupernetObjective(restricted, _data(4, 0), _data(4, 1)).evaluate(
            "|avg_pool_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")


def test_recalibration_resets_and_re_estimates_the_running_statistics():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4, momentum=0.3), nn.Dropout(0.5))
    bn = net[1]
    with torch.no_grad():
        bn.running_mean.fill_(100.0), bn.running_var.fill_(100.0)
    seen = []
    bn.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0].detach()))
    batches = [torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(s)) for s in range(2)]
    net.train()
    assert recalibrate_bn(net, net, batches) == 2
    means = [x.mean(dim=(0, 2, 3)) for x in seen]
    variances = [x.var(dim=(0, 2, 3), unbiased=True) for x in seen]
    assert torch.allclose(bn.running_mean, (means[0] + means[1]) / 2, atol=1e-6)  # a plain average: no trace of 100
    assert torch.allclose(bn.running_var, (variances[0] + variances[1]) / 2, atol=1e-5)
    assert int(bn.num_batches_tracked) == 2
    assert bn.momentum == 0.3 and net.training and bn.training


def test_spos_training_is_reproducible_and_moves_only_the_sampled_path():
    def train(seed: int):
        net = SUPERNETS["nb201"](seed=0)
        return net, SPOSSearch(epochs=2, batch_size=4, seed=seed).train(net, _data(8, 0))

    (a, history), (b, _) = train(3), train(3)
    assert [r["epoch"] for r in history] == [1, 2] and history[1]["lr"] < history[0]["lr"]
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    c, _ = train(4)
    assert not all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), c.state_dict().values()))

    net = SUPERNETS["shufflenet"]()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    SPOSSearch(epochs=1, batch_size=4, seed=0).train(net, _data(4, 0))  # one step: one path
    moved: dict[str, set[str]] = {}
    for key, value in net.state_dict().items():
        if ".choices." in key and key.endswith("weight") and not torch.equal(value, before[key]):
            layer, rest = key.split(".choices.")
            moved.setdefault(layer, set()).add(rest.split(".")[0])
    assert len(moved) == 3 and all(len(blocks) == 1 for blocks in moved.values())  # each layer: its sampled block


def test_a_killed_spos_training_resumes_to_bitwise_the_same_weights(tmp_path):
    search = SPOSSearch(epochs=3, batch_size=4, seed=5)
    path = tmp_path / "spos.pt"
    straight, resumed = check_resumes_bitwise(lambda net, **kw: search.train(net, _data(8, 0), **kw),
                                              lambda: SUPERNETS["shufflenet"](seed=0), path)
    assert resumed == straight
    with pytest.raises(ConfigError, match="written by a search with other settings"):
        SPOSSearch(epochs=4, batch_size=4, seed=5).train(SUPERNETS["shufflenet"](seed=0), _data(8, 0), checkpoint=path)


def _trained(kind: str = "nb201"):
    net = SUPERNETS[kind]()
    SPOSSearch(epochs=1, batch_size=4, seed=0).train(net, _data(16, 0))
    return net


def test_evaluation_leaves_the_supernet_as_it_was_and_is_deterministic():
    net = _trained()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    objective = SupernetObjective(net, _data(16, 0), _data(16, 1), calibration_batches=2, batch_size=4, seed=0)
    rng = np.random.default_rng(1)
    genotypes = [net.sample(rng) for _ in range(3)]
    scores = [objective.evaluate(g) for g in genotypes]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())
    assert net.training
    again = SupernetObjective(net, _data(16, 0), _data(16, 1), calibration_batches=2, batch_size=4, seed=0)
    assert [again.evaluate(g) for g in reversed(genotypes)] == scores[::-1]
    copy = pickle.loads(pickle.dumps(objective))  # a process executor sends the objective to its workers
    assert copy.evaluate(genotypes[0]) == scores[0]


def test_the_trial_parameter_holding_the_genotype():
    net = SUPERNETS["nb201"]()
    cell = NB201Cell().sample(np.random.default_rng(0))
    objective = SupernetObjective(net, _data(4, 0), _data(4, 1), calibration_batches=1, batch_size=4)
    assert objective(SimpleNamespace(params={"cell": cell})) == objective.evaluate(cell)
    with pytest.raises(ConfigError, match="set param"):
        objective(SimpleNamespace(params={"cell": cell, "lr": 0.1}))
    named = SupernetObjective(net, _data(4, 0), _data(4, 1), param="arch", calibration_batches=1, batch_size=4)
    with pytest.raises(ConfigError, match="'arch' is not a parameter of the trial"):
        named(SimpleNamespace(params={"cell": cell}))
    with pytest.raises(ConfigError, match="SinglePathSupernet"):
        SupernetObjective(nn.Linear(2, 2), _data(4, 0), _data(4, 1))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="train gave no batch"):
        SupernetObjective(net, [], _data(4, 1)).evaluate(cell)


def test_a_study_space_that_does_not_fit_the_supernet_is_refused_before_any_trial():
    net = nb201_single_path(("none", "skip_connect", "nor_conv_3x3"), channels=4, cells=1)
    objective = SupernetObjective(net, _data(4, 0), _data(4, 1), calibration_batches=1, batch_size=4)
    objective.check_space(hn.Space(arch=NB201Cell(("none", "nor_conv_3x3"))))  # a smaller space: fine
    for space, match in [(hn.Space(arch=NB201Cell()), "not in the supernet"),
                         (hn.Space(arch=ShuffleNetSpace(depths=(1, 2))), "ShuffleNetSpace; the supernet's subnets are "
                                                                          "NB201Cell genotypes"),
                         (hn.Space(arch=NB201Cell(), lr=hn.Float(0.1, 1.0)), "set param")]:
        study = hn.create_study(strategy="random", direction="maximize")
        with pytest.raises(ObjectiveError, match=match):
            study.optimize(objective, space, n_trials=1)
        assert study.trials == []


@pytest.mark.parametrize("kind", ["nb201", "shufflenet"])
def test_an_evolution_study_searches_the_trained_supernet(kind):
    net = _trained(kind)
    objective = SupernetObjective(net, _data(16, 0), _data(16, 1), calibration_batches=2, batch_size=8)
    space = hn.Space(arch=net.space)
    study = hn.create_study(strategy="evolution", direction="maximize", seed=0)
    study.optimize(objective, space, n_trials=6)
    trials = study.trials
    assert len(trials) == 6 and all(t.state == hn.TrialState.COMPLETE for t in trials)
    best = study.best_trial
    assert best.value == objective.evaluate(best.params["arch"])


def test_the_training_settings_are_a_config_and_bad_ones_are_refused():
    config = SPOSSearch(epochs=3, lr=0.5, weight_decay=4e-5).to_config()
    assert config["type"] == "spos" and config["lr"] == 0.5 and config["weight_decay"] == 4e-5
    with pytest.raises(ConfigError, match="lr"):
        SPOSSearch(lr=0)
    with pytest.raises(ConfigError, match="SinglePathSupernet"):
        SPOSSearch().train(hn.nb201_supernet(channels=4, cells=1), _data(4, 0))  # type: ignore[arg-type]


def test_threads_share_the_supernet_safely():
    net = _trained()
    objective = SupernetObjective(net, _data(16, 0), _data(16, 1), calibration_batches=2, batch_size=4)
    study = hn.create_study(strategy="random", direction="maximize", seed=1)
    study.optimize(objective, hn.Space(arch=net.space), n_trials=6, n_workers=3, executor="thread")
    trials = study.trials
    assert len(trials) == 6 and all(t.state == hn.TrialState.COMPLETE for t in trials)
    assert [t.value for t in trials] == [objective.evaluate(t.params["arch"]) for t in trials]  # as if one at a time
