"""Spaces: conditions, validation, completion, encodings, grids, local moves, Python and YAML configs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hypernas import Categorical, Fixed, Float, Int, Space, SpaceError


def make_space() -> Space:
    return Space({
        "lr": Float(1e-4, 1e-1, log=True),
        "optimizer": Categorical(["sgd", "adam"]),
        "momentum": Float(0.0, 0.99, step=0.01, when={"optimizer": "sgd"}),
        "nesterov": Categorical([False, True], when={"momentum": [0.0, 0.5, 0.9]}),
        "depth": Int(1, 3),
        "act": Fixed("relu"),
    })


def test_order_puts_parents_first_whatever_the_definition_order():
    space = Space({"momentum": Float(0, 1, when={"optimizer": "sgd"}), "optimizer": Categorical(["sgd", "adam"])})
    assert space.names == ["optimizer", "momentum"]
    assert space.is_conditional and "momentum" in space and len(space) == 2


def test_construction_from_keywords_and_named_params():
    a = Space(lr=Float(0, 1), depth=Int(1, 3))
    b = Space([Float(0, 1, name="lr"), Int(1, 3, name="depth")])
    assert a == b and a.names == ["lr", "depth"]


def test_sample_leaves_inactive_parameters_out():
    space = make_space()
    r = np.random.default_rng(0)
    configs = [space.sample(r) for _ in range(300)]
    for c in configs:
        assert ("momentum" in c) == (c["optimizer"] == "sgd")
        assert space.validate(c) == c
    assert any("momentum" in c for c in configs) and any("momentum" not in c for c in configs)


def test_validate_messages():
    space = make_space()
    ok = {"lr": 0.01, "optimizer": "adam", "depth": 2, "act": "relu"}
    assert space.validate(ok) == ok
    with pytest.raises(SpaceError, match="'momentum' is missing \\(active because optimizer == 'sgd'\\)"):
        space.validate({**ok, "optimizer": "sgd"})
    with pytest.raises(SpaceError, match="'momentum' is given but inactive: it applies only when optimizer == 'sgd'"):
        space.validate({**ok, "momentum": 0.5})
    with pytest.raises(SpaceError, match="unknown parameter 'lrr'; the space has: lr, optimizer"):
        space.validate({**ok, "lrr": 0.1})
    with pytest.raises(SpaceError, match="'depth'.*7.*outside \\[1, 3\\]"):
        space.validate({**ok, "depth": 7})
    with pytest.raises(SpaceError, match="must be a mapping"):
        space.validate([("lr", 0.1)])


def test_nested_conditions_and_multiple_allowed_values():
    space = make_space()
    base = {"lr": 0.01, "optimizer": "sgd", "depth": 1, "act": "relu"}
    assert "nesterov" in space.validate({**base, "momentum": 0.9, "nesterov": True})
    assert space.validate({**base, "momentum": 0.3}) == {**base, "momentum": 0.3}
    # a grandchild is inactive when its parent is
    assert not space.is_active("nesterov", {"optimizer": "adam", "momentum": 0.9})


def test_condition_errors():
    with pytest.raises(SpaceError, match="'m' is conditioned on 'opt', which is not in the space; known: m, x"):
        Space({"m": Float(0, 1, when={"opt": "sgd"}), "x": Int(0, 1)})
    with pytest.raises(SpaceError, match="'m' is conditioned on itself"):
        Space({"m": Float(0, 1, when={"m": 0.5})})
    with pytest.raises(SpaceError, match="condition value 'rmsprop' can never be taken by 'opt'"):
        Space({"opt": Categorical(["sgd"]), "m": Float(0, 1, when={"opt": "rmsprop"})})
    with pytest.raises(SpaceError, match="cycle among: a, b"):
        Space({"a": Categorical([1, 2], when={"b": 1}), "b": Categorical([1, 2], when={"a": 1}), "c": Int(0, 1)})


def test_construction_errors():
    with pytest.raises(SpaceError, match="'x': expected a Float"):
        Space({"x": (0, 1)})
    with pytest.raises(SpaceError, match="needs a name"):
        Space([Float(0, 1)])
    with pytest.raises(SpaceError, match="'x' is defined twice"):
        Space([Float(0, 1, name="x")], x=Int(0, 1))
    with pytest.raises(SpaceError, match="named 'a' was given under the key 'b'"):
        Space({"b": Float(0, 1, name="a")})


def test_complete_fills_missing_drops_inactive_and_validates_given():
    space = make_space()
    filled = space.complete({"optimizer": "sgd", "momentum": 0.9})
    assert filled == {"lr": pytest.approx(1e-2 * 10 ** -0.5), "optimizer": "sgd", "momentum": 0.9,
                      "nesterov": False, "depth": 2, "act": "relu"}
    assert space.validate(filled) == filled
    sampled = space.complete({"optimizer": "adam", "momentum": 0.5}, np.random.default_rng(0))
    assert "momentum" not in sampled and space.validate(sampled) == sampled
    with pytest.raises(SpaceError, match="'depth'.*outside"):
        space.complete({"depth": 9})
    with pytest.raises(SpaceError, match="unknown parameter 'nope'"):
        space.complete({"nope": 1})


def test_key_is_order_independent():
    space = make_space()
    assert space.key({"a": 1, "b": [1, 2]}) == space.key({"b": [1, 2], "a": 1})


def test_encode_decode_round_trip_with_conditions():
    space = make_space()
    assert space.n_dims == 1 + 2 + 1 + 2 + 1 + 0
    r = np.random.default_rng(1)
    for _ in range(100):
        c = space.sample(r)
        x = space.encode(c)
        assert x.shape == (space.n_dims,) and np.all((x >= 0) & (x <= 1))
        back = space.decode(x)
        assert back.keys() == c.keys()
        for k in c:
            assert back[k] == pytest.approx(c[k]) if isinstance(c[k], float) else back[k] == c[k]
    inactive = space.encode({"lr": 0.01, "optimizer": "adam", "depth": 1, "act": "relu"})
    assert np.all(inactive[space.slice_of("momentum")] == 0)
    with pytest.raises(SpaceError, match="shape \\(3,\\); this space has 7 dimensions"):
        space.decode([0.0, 0.0, 0.0])


def test_grid_is_exhaustive_and_respects_conditions():
    space = Space({"opt": Categorical(["sgd", "adam"]), "m": Float(0, 1, when={"opt": "sgd"}), "d": Int(1, 2)})
    grid = space.grid(3)
    # sgd: 3 momentum values x 2 depths; adam: 2 depths
    assert len(grid) == space.grid_size(3) == 8
    assert len({space.key(g) for g in grid}) == 8
    assert all(space.validate(g) == g for g in grid)
    assert {g["m"] for g in grid if "m" in g} == {0.0, 0.5, 1.0}


def test_neighbors_differ_in_one_parameter_and_respect_conditions():
    space = make_space()
    c = {"lr": 0.01, "optimizer": "adam", "depth": 2, "act": "relu"}
    near = space.neighbors(c)
    assert near and all(space.validate(n) == n for n in near)
    assert len({space.key(n) for n in near}) == len(near) and space.key(c) not in {space.key(n) for n in near}
    switched = [n for n in near if n["optimizer"] == "sgd"]
    # the children that become active take their defaults (momentum 0.5 on its grid, which activates nesterov)
    assert switched == [{**c, "optimizer": "sgd", "momentum": 0.5, "nesterov": False}]
    for n in near:
        assert sum(n.get(k) != c.get(k) for k in ("lr", "optimizer", "depth")) == 1


def test_mutate_keeps_configs_valid_and_never_touches_fixed():
    space = make_space()
    r = np.random.default_rng(2)
    c = space.sample(r)
    for _ in range(200):
        new = space.mutate(c, r)
        assert space.validate(new) == new and new["act"] == "relu"
        assert new != c
        c = new
    assert Space({"f": Fixed(1)}).mutate({"f": 1}, r) == {"f": 1}


def test_config_round_trip_and_json():
    space = make_space()
    config = space.to_config()
    assert Space.from_config(json.loads(space.to_json())) == space
    assert config["momentum"]["when"] == {"optimizer": "sgd"}
    assert config["nesterov"]["when"] == {"momentum": [0.0, 0.5, 0.9]}


def test_from_config_shorthands():
    space = Space.from_config({"opt": ["sgd", "adam"], "act": "relu", "n": {"choices": [1, 2]},
                               "x": {"type": "FLOAT", "low": 0, "high": 1}})
    assert isinstance(space["opt"], Categorical) and space["opt"].choices == ["sgd", "adam"]
    assert isinstance(space["act"], Fixed) and space["act"].value == "relu"
    assert isinstance(space["n"], Categorical) and isinstance(space["x"], Float)
    with pytest.raises(SpaceError, match="non-empty mapping"):
        Space.from_config({})
    with pytest.raises(SpaceError, match="non-empty mapping"):
        Space.from_config(["a"])


YAML = """
lr: {type: float, low: 1e-4, high: 1e-1, log: true, default: 1e-3}
width: {type: int, low: 16, high: 256, step: 16}
optimizer: [sgd, adam]
momentum: {type: float, low: 0.0, high: 0.99, when: {optimizer: sgd}}
weight_decay: [0, 1e-5, 1e-4]
activation: relu
"""


def test_from_yaml_text_and_file(tmp_path):
    space = Space.from_yaml(YAML)
    assert space["lr"].low == 1e-4 and space["lr"].high == 1e-1 and space["lr"].log
    assert space["lr"].default == 1e-3
    assert space["weight_decay"].choices == [0, 1e-5, 1e-4]  # numbers, not the strings '1e-5'
    assert space["momentum"].when == {"optimizer": ["sgd"]}
    assert space["activation"].value == "relu"
    path = tmp_path / "space.yaml"
    path.write_text("space:\n" + "\n".join("  " + line for line in YAML.strip().splitlines()))
    assert Space.from_yaml(path) == space
    assert Space.from_yaml(str(path)) == space


def test_from_yaml_long_one_line_text():
    text = "{" + ", ".join(f"p{i}: {{type: float, low: 0, high: 1}}" for i in range(20)) + "}"
    assert len(Space.from_yaml(text)) == 20


def test_from_yaml_errors_are_one_line_space_errors():
    with pytest.raises(SpaceError, match="not valid YAML") as info:
        Space.from_yaml("lr: {type: float, low: [")
    assert "\n" not in str(info.value)
    with pytest.raises(SpaceError, match="'lr': unknown type 'flot'"):
        Space.from_yaml("lr: {type: flot, low: 0, high: 1}")
    with pytest.raises(SpaceError, match="'lr': low must be a number, got 'small'"):
        Space.from_yaml("lr: {type: float, low: small, high: 1}")


def test_from_yaml_missing_file():
    with pytest.raises(SpaceError, match="space file 'spce.yaml' does not exist"):
        Space.from_yaml("spce.yaml")
    with pytest.raises(SpaceError, match="space file '.*nowhere.yml' does not exist"):
        Space.from_yaml(Path("nowhere.yml"))


def test_strict_complete_refuses_a_given_value_that_is_inactive():
    space = make_space()
    with pytest.raises(SpaceError, match="'momentum' is given but inactive: it applies only when optimizer"):
        space.complete({"optimizer": "adam", "momentum": 0.5}, strict=True)


def test_from_yaml_with_a_space_key_that_is_not_a_mapping():
    with pytest.raises(SpaceError, match="'space' must map parameter names"):
        Space.from_yaml("space: foo\n")
