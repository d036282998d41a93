"""A model's choices: the space derived from it, and the fixed network of an architecture."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import hypernas
from hypernas.errors import SpaceError
from hypernas.nn import InputChoice, LayerChoice, Repeat, ValueChoice, choices, instantiate, model_space
from hypernas.space import Categorical


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        width = ValueChoice([4, 8], label="width")
        self.stem = nn.Conv2d(3, width, ValueChoice([1, 3], label="kernel"), padding="same")
        self.act = LayerChoice({"relu": nn.ReLU(), "tanh": nn.Tanh()}, label="act")
        self.blocks = Repeat(lambda i: nn.Sequential(nn.Conv2d(width, width, 3, padding=1),
                                                     LayerChoice([nn.ReLU(), nn.Identity()])), (1, 3), label="depth")
        self.pick = InputChoice(2, 1, label="skip")
        self.head = nn.Linear(width, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.act(self.stem(x))
        return self.head(self.pick([a, self.blocks(a)]).mean((2, 3)))


def test_the_space_has_one_categorical_per_choice_in_construction_order():
    space = model_space(Net)
    assert space.names == ["width", "kernel", "act", "depth", "layer_choice_1", "skip", "layer_choice_2",
                           "layer_choice_3"]
    assert space["width"] == Categorical([4, 8]) and space["act"].choices == ["relu", "tanh"]
    assert space["depth"].choices == [1, 2, 3] and space["skip"].choices == [[0], [1]]
    assert space["layer_choice_1"].choices == [0, 1] and not space["layer_choice_1"].when
    assert space["layer_choice_2"].when == {"depth": [2, 3]} and space["layer_choice_3"].when == {"depth": [3]}


def test_instantiate_leaves_a_plain_network_of_the_chosen_candidates():
    arch = {"width": 8, "kernel": 3, "act": "tanh", "depth": 2, "layer_choice_1": 1, "skip": [1],
            "layer_choice_2": 0, "lr": 0.1}  # parameters that are no choice are ignored
    net = instantiate(Net, arch)
    assert net.stem.out_channels == 8 and net.stem.kernel_size == (3, 3)
    assert isinstance(net.act, nn.Tanh) and len(net.blocks) == 2
    assert isinstance(net.blocks[0][1], nn.Identity) and isinstance(net.blocks[1][1], nn.ReLU)
    assert net.pick.indices == [1] and net(torch.randn(2, 3, 6, 6)).shape == (2, 3)


def test_every_sampled_architecture_builds_and_runs():
    space = model_space(Net)
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert instantiate(Net, space.sample(rng))(torch.randn(1, 3, 5, 5)).shape == (1, 3)


def test_a_label_used_twice_is_one_choice():
    def shared() -> nn.Module:
        ops = {"a": nn.ReLU(), "b": nn.Tanh()}
        return nn.Sequential(LayerChoice(ops, label="op"), LayerChoice({"a": nn.ReLU(), "b": nn.Tanh()}, label="op"))

    assert model_space(shared).names == ["op"]
    net = instantiate(shared, {"op": "b"})
    assert all(isinstance(m, nn.Tanh) for m in net)


def test_a_label_reused_for_other_options_is_an_error():
    def clash() -> nn.Module:
        return nn.Sequential(nn.Linear(2, ValueChoice([2, 4], label="w")), nn.Linear(4, ValueChoice([4, 8], label="w")))

    with pytest.raises(SpaceError, match="'w' is used for two different choices"):
        model_space(clash)


def test_input_choice_offers_every_k_of_n_combination_and_reduces_them():
    space = model_space(lambda: nn.ModuleList([InputChoice(3, 2, reduction="mean", label="in")]))
    assert space["in"].choices == [[0, 1], [0, 2], [1, 2]]
    pick = instantiate(lambda: nn.ModuleList([InputChoice(3, 2, reduction="mean", label="in")]), {"in": [0, 2]})[0]
    xs = [torch.full((1,), float(v)) for v in (1, 5, 3)]
    assert pick(xs).item() == 2.0
    model = lambda: nn.ModuleList([InputChoice(3, 2, label="in")])  # noqa: E731
    assert instantiate(model, {"in": (1, 2)})[0].indices == [1, 2]  # a tuple, as JSON-less callers may give
    with pytest.raises(SpaceError, match="'in': 3 is not one of its options"):
        instantiate(model, {"in": 3})


def test_mistakes_are_clear():
    with pytest.raises(SpaceError, match="outside a model build"):
        LayerChoice([nn.ReLU()])
    with pytest.raises(SpaceError, match="'act': 'gelu' is not one of its options"):
        instantiate(Net, {"width": 4, "kernel": 1, "act": "gelu"})
    with pytest.raises(SpaceError, match="choice 'kernel' has no value"):
        instantiate(Net, {"width": 4})
    with pytest.raises(SpaceError, match="makes no architecture choice"):
        model_space(lambda: nn.Linear(2, 2))
    with pytest.raises(SpaceError, match="without '.'"):
        model_space(lambda: nn.Linear(2, ValueChoice([2, 3], label="a.b")))
    with pytest.raises(SpaceError, match="n_chosen"):
        model_space(lambda: InputChoice(2, 3))


def test_hypernas_nn_is_the_module_of_choices():
    assert hypernas.nn.LayerChoice is LayerChoice and hypernas.nn.choices is choices
