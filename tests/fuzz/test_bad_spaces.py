"""Bad search spaces, in Python and as configs: each is one SpaceError line, never a crash or silent acceptance."""

from __future__ import annotations

from typing import Any

import pytest

import hypernas as hn
from tests.fuzz.clear import assert_clear

pytestmark = pytest.mark.timeout(30)

FLOAT = {"type": "float", "low": 0, "high": 1}

BAD_PARAMS: dict[str, Any] = {
    "type missing": {"low": 0, "high": 1},
    "type unknown": {"type": "floot", "low": 0, "high": 1},
    "type not a string": {"type": 3},
    "float low above high": {"type": "float", "low": 2, "high": 1},
    "float low a string": {"type": "float", "low": "zero", "high": 1},
    "float low None": {"type": "float", "low": None, "high": 1},
    "float high nan": {"type": "float", "low": 0, "high": float("nan")},
    "float high inf": {"type": "float", "low": 0, "high": float("inf")},
    "float high a list": {"type": "float", "low": 0, "high": [1]},
    "float high a bool": {"type": "float", "low": 0, "high": True},
    "float too wide": {"type": "float", "low": -1e308, "high": 1e308},
    "float log with low 0": {"type": "float", "low": 0, "high": 1, "log": True},
    "float log with negative low": {"type": "float", "low": -1, "high": 1, "log": True},
    "float step 0": {"type": "float", "low": 0, "high": 1, "step": 0},
    "float step negative": {"type": "float", "low": 0, "high": 1, "step": -0.1},
    "float step larger than range": {"type": "float", "low": 0, "high": 1, "step": 5},
    "float step and log": {"type": "float", "low": 0.1, "high": 1, "step": 0.1, "log": True},
    "float step a string": {"type": "float", "low": 0, "high": 1, "step": "big"},
    "float unknown key": {"type": "float", "low": 0, "high": 1, "lo": 0},
    "float misspelt key": {"type": "float", "low": 0, "hgh": 1},
    "float missing high": {"type": "float", "low": 0},
    "float default outside": {"type": "float", "low": 0, "high": 1, "default": 2},
    "float default a string": {"type": "float", "low": 0, "high": 1, "default": "x"},
    "int low fractional": {"type": "int", "low": 0.5, "high": 3},
    "int high fractional": {"type": "int", "low": 0, "high": 3.5},
    "int bounds beyond 64 bits": {"type": "int", "low": 0, "high": 2**70},
    "int low beyond 64 bits": {"type": "int", "low": -(2**64), "high": 3},
    "int bound beyond 2**53": {"type": "int", "low": 0, "high": 2**53 + 1},
    "int step fractional": {"type": "int", "low": 0, "high": 10, "step": 0.5},
    "int step larger than range": {"type": "int", "low": 0, "high": 3, "step": 5},
    "int step 0": {"type": "int", "low": 0, "high": 3, "step": 0},
    "int log with low 0": {"type": "int", "low": 0, "high": 8, "log": True},
    "int low above high": {"type": "int", "low": 5, "high": 1},
    "int default off step": {"type": "int", "low": 0, "high": 10, "step": 2, "default": 3},
    "int unknown key": {"type": "int", "low": 0, "high": 3, "choices": [1]},
    "categorical empty": {"type": "categorical", "choices": []},
    "categorical a string": {"type": "categorical", "choices": "abc"},
    "categorical a number": {"type": "categorical", "choices": 3},
    "categorical duplicates": {"type": "categorical", "choices": ["a", "a"]},
    "categorical 1 and 1.0": {"type": "categorical", "choices": [1, 1.0]},
    "categorical 2 and 2.0 apart": {"type": "categorical", "choices": [2, "x", 2.0]},
    "categorical nan": {"type": "categorical", "choices": [1, float("nan")]},
    "categorical inf": {"type": "categorical", "choices": [float("inf")]},
    "categorical duplicate lists": {"type": "categorical", "choices": [[1, 2], [1, 2]]},
    "categorical duplicate dicts": {"type": "categorical", "choices": [{"a": 1}, {"a": 1}]},
    "categorical default absent": {"type": "categorical", "choices": ["a"], "default": "b"},
    "categorical unknown key": {"type": "categorical", "choices": ["a"], "values": ["b"]},
    "categorical choices missing": {"type": "categorical"},
    "fixed value missing": {"type": "fixed"},
    "fixed nan": {"type": "fixed", "value": float("nan")},
    "fixed unknown key": {"type": "fixed", "value": 1, "low": 0},
    "bare list empty": [],
    "bare list duplicates": ["x", "x"],
    "when empty list": {**FLOAT, "when": {"opt": []}},
    "when a string": {**FLOAT, "when": "opt"},
    "nb201 ops a string": {"type": "nb201", "ops": "none"},
    "nb201 one op": {"type": "nb201", "ops": ["none"]},
    "nb201 duplicate ops": {"type": "nb201", "ops": ["none", "none"]},
    "nb201 ops with separators": {"type": "nb201", "ops": ["a|b", "c"]},
    "nb201 nodes 1": {"type": "nb201", "nodes": 1},
    "nb201 nodes a string": {"type": "nb201", "nodes": "four"},
    "nb201 unknown key": {"type": "nb201", "edges": 6},
    "darts steps 0": {"type": "darts", "steps": 0},
    "darts ops empty": {"type": "darts", "ops": []},
    "darts duplicate ops": {"type": "darts", "ops": ["skip_connect", "skip_connect"]},
    "darts unknown key": {"type": "darts", "nodes": 4},
    "chain min above max": {"type": "chain", "min_layers": 5, "max_layers": 2},
    "chain filters empty": {"type": "chain", "filters": []},
    "chain filters negative": {"type": "chain", "filters": [-16]},
    "chain input size 0": {"type": "chain", "input_size": 0},
    "chain unknown key": {"type": "chain", "layers": 3},
    "mobilenet stages empty": {"type": "mobilenet", "stages": []},
    "mobilenet expansions zero": {"type": "mobilenet", "expansions": [0]},
    "mobilenet unknown key": {"type": "mobilenet", "depth": 3},
    "shufflenet depths empty": {"type": "shufflenet", "depths": []},
    "shufflenet unknown block": {"type": "shufflenet", "choices": ["shuffle3", "mbconv"]},
    "shufflenet unknown key": {"type": "shufflenet", "layers": 20},
    "hierarchical ops with none": {"type": "hierarchical", "ops": ["none", "conv_1x1"]},
    "hierarchical motifs 0": {"type": "hierarchical", "n_motifs": 0},
    "hierarchical unknown key": {"type": "hierarchical", "levels": 3},
}

BAD_SPACES: dict[str, Any] = {
    "empty mapping": {},
    "a list": [1, 2],
    "a string": "lr: 1",
    "None": None,
    "a non-string name": {1: FLOAT},
    "a tuple name": {("a", "b"): FLOAT},
    "condition on a missing parent": {"x": {**FLOAT, "when": {"opt": "sgd"}}},
    "condition on itself": {"x": {"type": "categorical", "choices": [1, 2], "when": {"x": 1}}},
    "condition value never taken": {"opt": ["sgd", "adam"], "m": {**FLOAT, "when": {"opt": "rmsprop"}}},
    "condition on a continuous float": {"a": FLOAT, "b": {**FLOAT, "when": {"a": 0.5}}},
    "condition on an int value off its step": {"n": {"type": "int", "low": 0, "high": 8, "step": 2},
                                               "b": {**FLOAT, "when": {"n": 3}}},
    "conditions in a cycle": {"a": {"type": "categorical", "choices": [1, 2], "when": {"b": 1}},
                              "b": {"type": "categorical", "choices": [1, 2], "when": {"a": 1}}},
    "a chain never active": {"a": ["x", "y"], "b": {"type": "categorical", "choices": ["p", "q"], "when": {"a": "x"}},
                             "c": {**FLOAT, "when": {"a": "y", "b": "p"}}},
    "a grandchild never active": {"a": ["x", "y", "z"],
                                  "b": {"type": "categorical", "choices": ["p", "q"], "when": {"a": ["x", "y"]}},
                                  "c": {"type": "categorical", "choices": [1, 2], "when": {"b": "p"}},
                                  "d": {**FLOAT, "when": {"c": 1, "a": "z"}}},
}


@pytest.mark.parametrize("desc", BAD_PARAMS.values(), ids=BAD_PARAMS.keys())
def test_a_bad_parameter_is_one_clear_line(desc: Any) -> None:
    with pytest.raises(hn.SpaceError) as info:
        hn.Space.from_config({"x": desc})
    assert_clear(str(info.value))


@pytest.mark.parametrize("config", BAD_SPACES.values(), ids=BAD_SPACES.keys())
def test_a_bad_space_is_one_clear_line(config: Any) -> None:
    with pytest.raises(hn.SpaceError) as info:
        hn.Space.from_config(config)
    assert_clear(str(info.value))


BAD_PYTHON_SPACES = {
    "no parameter": lambda: hn.Space(),
    "a non-param value": lambda: hn.Space(x=3),
    "a non-string key": lambda: hn.Space({1: hn.Float(0, 1)}),
    "two names for one parameter": lambda: hn.Space({"a": hn.Float(0, 1, name="b")}),
    "an unnamed parameter in a list": lambda: hn.Space([hn.Float(0, 1)]),
    "a duplicate name in a list": lambda: hn.Space([hn.Float(0, 1, name="a"), hn.Int(0, 3, name="a")]),
    "Float with a string bound": lambda: hn.Float("a", 1),
    "Int with a float bound": lambda: hn.Int(0, 2.5),
    "Categorical of a set": lambda: hn.Categorical({1, 2}),
    "Categorical of a generator": lambda: hn.Categorical(x for x in range(3)),
    "Categorical of objects": lambda: hn.Categorical([object()]),
    "Fixed of an object": lambda: hn.Fixed(object()),
}


@pytest.mark.parametrize("build", BAD_PYTHON_SPACES.values(), ids=BAD_PYTHON_SPACES.keys())
def test_a_bad_space_built_in_python_is_one_clear_line(build: Any) -> None:
    with pytest.raises(hn.SpaceError) as info:
        build()
    assert_clear(str(info.value))


BAD_VALUES = [("x", "a string"), ("x", None), ("x", float("nan")), ("x", 2.0), ("x", [0.5]), ("n", 1.5), ("n", 99),
              ("n", "3"), ("n", True), ("c", "d"), ("c", None), ("c", ["a"]), ("y", 1)]


@pytest.mark.parametrize("name, value", BAD_VALUES)
def test_a_bad_value_is_one_clear_line(name: str, value: Any) -> None:
    space = hn.Space(x=hn.Float(0, 1), n=hn.Int(0, 10), c=hn.Categorical(["a", "b"]))
    params = {"x": 0.5, "n": 3, "c": "a", name: value}
    with pytest.raises(hn.SpaceError) as info:
        space.validate(params)
    assert_clear(str(info.value))
