"""Supernets of a model written with hypernas.nn choices: DARTS and GDAS on its mixed supernet, SPOS on its
single-path supernet; what they find is an architecture of the model's space."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import hypernas
from hypernas.errors import ConfigError, SpaceError
from hypernas.nn import InputChoice, LayerChoice, ValueChoice, instantiate, model_single_path, model_space, model_supernet
from hypernas.oneshot import DARTSSearch, ENASSearch, GDASSearch, SPOSSearch, SupernetObjective


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        width = ValueChoice([4, 8], label="width")
        self.stem = nn.Conv2d(1, width, 3, padding=1)
        self.a = LayerChoice({"conv": nn.Conv2d(width, width, 3, padding=1), "pool": nn.AvgPool2d(3, 1, 1),
                              "none": nn.Identity()}, label="op")
        self.b = LayerChoice({"conv": nn.Conv2d(width, width, 3, padding=1), "pool": nn.AvgPool2d(3, 1, 1),
                              "none": nn.Identity()}, label="op")
        self.pick = InputChoice(3, 2, label="skip")
        self.head = nn.Linear(width, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = torch.relu(self.stem(x))
        a = self.a(s)
        return self.head(self.pick([s, a, self.b(a)]).mean((2, 3)))


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(48, 1, 5, 5, generator=g)
    return x, (x.mean((1, 2, 3)) > 0).long() + (x[:, 0, 0, 0] > 1).long()


def test_one_row_of_architecture_weights_per_choice_label():
    supernet = model_supernet(Net, {"width": 4})
    assert {k: tuple(v.shape) for k, v in supernet.alphas.items()} == {"op": (1, 3), "skip": (1, 3)}
    assert supernet(torch.randn(2, 1, 5, 5)).shape == (2, 3)


@pytest.mark.parametrize("search", [DARTSSearch(epochs=2, batch_size=16), GDASSearch(epochs=2, batch_size=16)])
def test_darts_and_gdas_derive_an_architecture_of_the_model(search):
    data = _data()
    result = search.search(model_supernet(Net, {"width": 4}), data, data)
    arch = result.genotype
    assert model_space(Net).validate(arch) == arch and arch["width"] == 4
    assert arch["op"] != "none" and len(arch["skip"]) == 2
    assert result.history[-1]["genotype"] == arch and len(result.history[-1]["op"][0]) == 3
    assert instantiate(Net, arch)(data[0][:2]).shape == (2, 3)
    again = search.search(model_supernet(Net, {"width": 4}), data, data)  # the same seed: the same weights
    assert again.history[-1]["op"] == result.history[-1]["op"] and again.genotype == arch


def test_spos_trains_the_single_path_supernet_and_any_strategy_searches_its_subnets():
    data = _data()
    supernet = model_single_path(Net, {"width": 4})
    history = SPOSSearch(epochs=2, batch_size=16).train(supernet, data)
    assert len(history) == 2
    study = hypernas.create_study(direction="maximize", strategy=hypernas.RandomSearch(seed=0))
    objective = SupernetObjective(supernet, data, data, calibration_batches=2, batch_size=16)
    study.optimize(objective, hypernas.Space(arch=supernet.space), n_trials=3, show_progress=False)
    best = study.best_trial.params["arch"]
    subnet = supernet.subnet(best)
    assert not any(type(m).__name__ == "ChoiceOp" for m in subnet.modules())
    fixed = instantiate(Net, {**best, "width": 4})
    assert [type(m) for m in fixed.modules()] == [type(m) for m in subnet.modules()]


def test_what_a_supernet_cannot_take_is_refused():
    with pytest.raises(SpaceError, match="value choice 'width' changes shapes.*fixed="):
        model_supernet(Net)
    with pytest.raises(SpaceError, match="value choice 'width'"):
        model_single_path(Net)
    data = _data()
    with pytest.raises(ConfigError, match="controller writes NB201 or DARTS cells"):
        ENASSearch(epochs=1, batch_size=16).search(model_supernet(Net, {"width": 4}), data, data)


def test_a_sampled_subnet_runs_in_the_single_path_supernet():
    supernet = model_single_path(Net, {"width": 4})
    arch = supernet.sample(np.random.default_rng(0))
    assert set(arch) == {"op", "skip"} and supernet(torch.randn(2, 1, 5, 5), arch).shape == (2, 3)
