"""Parameters: sampling, validation messages, encodings, local moves, grids and configs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from hypernas import Categorical, Fixed, Float, Int, SpaceError
from hypernas.space import PARAM_TYPES, Param, param_from_config


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def draws(p: Param, n: int = 2000, seed: int = 0) -> list:
    r = rng(seed)
    return [p.sample(r) for _ in range(n)]


# --- Float ---------------------------------------------------------------------------------
def test_float_samples_within_bounds_and_spread():
    p = Float(-2.0, 3.0, name="x")
    xs = draws(p)
    assert all(isinstance(x, float) and -2.0 <= x <= 3.0 for x in xs)
    assert min(xs) < -1.5 and max(xs) > 2.5


def test_float_log_scale_is_roughly_log_uniform():
    p = Float(1e-5, 1e-1, log=True, name="lr")
    xs = np.array(draws(p, 4000))
    assert xs.min() >= 1e-5 and xs.max() <= 1e-1
    # each decade holds about a quarter of the draws (a linear scale would put ~90% in the last one)
    counts = np.histogram(np.log10(xs), bins=[-5, -4, -3, -2, -1])[0] / len(xs)
    assert np.all(np.abs(counts - 0.25) < 0.05), counts


def test_float_step_samples_on_the_grid():
    p = Float(0.0, 1.0, step=0.25, name="x")
    assert set(draws(p, 500)) == {0.0, 0.25, 0.5, 0.75, 1.0}
    assert p.cardinality == 5
    assert p.grid(100) == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_float_step_not_dividing_the_range_never_leaves_the_grid():
    p = Float(0.0, 1.0, step=0.35, name="x")
    assert p.cardinality == 3
    assert p.grid(100) == [0.0, 0.35, 0.7]
    assert all(p.contains(x) for x in draws(p, 500))
    assert p.decode([1.0]) == 0.7


@pytest.mark.parametrize("bad, fragment", [
    ("0.5", "is not a number"),
    (True, "is not a number"),
    (None, "is not a number"),
    (1.5, "is outside [0, 1]"),
    (-0.1, "is outside [0, 1]"),
    (float("nan"), "is outside"),
    (float("inf"), "is outside"),
])
def test_float_validate_errors_name_parameter_value_and_range(bad, fragment):
    p = Float(0, 1, name="dropout")
    with pytest.raises(SpaceError) as info:
        p.validate(bad)
    message = str(info.value)
    assert "'dropout'" in message and repr(bad) in message and fragment in message
    assert "\n" not in message


def test_float_validate_mentions_log_scale_and_step():
    with pytest.raises(SpaceError, match=r"'lr'.*10.*outside \[0.0001, 0.1\] \(log scale\)"):
        Float(1e-4, 1e-1, log=True, name="lr").validate(10)
    with pytest.raises(SpaceError, match=r"'x'.*0.3.*not on the grid \[0, 1\] with step 0.25"):
        Float(0, 1, step=0.25, name="x").validate(0.3)


def test_float_validate_accepts_ints_and_numpy():
    p = Float(0, 10, name="x")
    assert p.validate(3) == 3.0 and isinstance(p.validate(3), float)
    assert p.validate(np.float32(2.5)) == 2.5
    assert p.validate(np.int64(4)) == 4.0


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(low=1, high=0), "greater than high"),
    (dict(low=0, high=1, log=True), "log scale needs low > 0"),
    (dict(low=-1, high=1, log=True), "log scale needs low > 0"),
    (dict(low=0, high=1, step=0), "step must be > 0"),
    (dict(low=0, high=1, step=-0.1), "step must be > 0"),
    (dict(low=1, high=10, log=True, step=1.0), "cannot be combined"),
    (dict(low=0, high=float("inf")), "high must be a number, got inf"),
    (dict(low="nan", high=1), "low must be a number, got 'nan'"),
    (dict(low="abc", high=1), "low must be a number"),
    (dict(low=0, high=True), "high must be a number"),
])
def test_float_bad_definitions_are_space_errors(kwargs, fragment):
    with pytest.raises(SpaceError, match=fragment):
        Float(**kwargs, name="x")


def test_float_accepts_number_strings_from_yaml():
    p = Float("1e-4", "1e-1", log=True, name="lr")
    assert (p.low, p.high) == (1e-4, 1e-1)


def test_float_encode_decode_round_trip():
    for p in (Float(-3, 7, name="a"), Float(1e-4, 1.0, log=True, name="b")):
        for x in draws(p, 50):
            (u,) = p.encode(x)
            assert 0.0 <= u <= 1.0
            assert p.decode([u]) == pytest.approx(x, rel=1e-9)
    log = Float(1e-4, 1.0, log=True, name="lr")
    assert log.encode(1e-2) == [pytest.approx(0.5)]
    assert log.decode([0.5]) == pytest.approx(1e-2)
    assert log.decode([-3.0]) == pytest.approx(1e-4) and log.decode([9.0]) == pytest.approx(1.0)


def test_float_neighbors_and_mutate_stay_inside_and_move():
    p = Float(0, 1, name="x")
    assert p.neighbors(0.5) == [pytest.approx(0.4), pytest.approx(0.6)]
    assert p.neighbors(0.0) == [pytest.approx(0.1)]
    r = rng()
    for _ in range(200):
        v = p.mutate(0.95, r)
        assert 0.0 <= v <= 1.0 and v != 0.95
    stepped = Float(0, 1, step=0.25, name="s")
    assert stepped.neighbors(0.5) == [0.25, 0.75]
    assert stepped.neighbors(1.0) == [0.75]
    assert all(stepped.contains(stepped.mutate(0.5, r)) for _ in range(50))


def test_float_grid_is_log_aware_and_resolution_checked():
    assert Float(0, 1, name="x").grid(5) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert Float(1e-3, 1e1, log=True, name="lr").grid(5) == [pytest.approx(v) for v in (1e-3, 1e-2, 1e-1, 1, 10)]
    assert Float(0, 1, name="x").grid(1) == [0.5]
    with pytest.raises(SpaceError, match="resolution"):
        Float(0, 1, name="x").grid(0)


def test_degenerate_float_has_one_value():
    p = Float(2.0, 2.0, name="x")
    assert p.cardinality == 1 and p.grid(5) == [2.0]
    assert p.neighbors(2.0) == [] and p.mutate(2.0, rng()) == 2.0


# --- Int -----------------------------------------------------------------------------------
def test_int_samples_integers_in_inclusive_bounds():
    xs = draws(Int(1, 4, name="depth"), 500)
    assert all(type(x) is int for x in xs)
    assert set(xs) == {1, 2, 3, 4}


def test_int_step():
    p = Int(8, 64, step=8, name="width")
    assert set(draws(p, 500)) == set(range(8, 65, 8))
    assert p.cardinality == 8 and p.grid(100) == list(range(8, 65, 8))
    assert Int(0, 10, step=3, name="n").grid(100) == [0, 3, 6, 9]
    with pytest.raises(SpaceError, match=r"'width'.*12.*outside \[8, 64\] with step 8"):
        p.validate(12)


def test_int_log_scale_is_roughly_log_uniform():
    p = Int(1, 1000, log=True, name="units")
    xs = np.array(draws(p, 4000))
    assert xs.min() >= 1 and xs.max() <= 1000
    small = np.mean(xs <= 31)  # about half in log space, ~3% on a linear scale
    assert 0.4 < small < 0.6
    assert np.mean(xs == 1) > 0.03  # the lowest value keeps a fair share


@pytest.mark.parametrize("bad, fragment", [
    (2.5, "is not an integer"),
    ("3", "is not an integer"),
    (False, "is not an integer"),
    (0, "is outside [1, 4]"),
    (5, "is outside [1, 4]"),
])
def test_int_validate_errors(bad, fragment):
    with pytest.raises(SpaceError) as info:
        Int(1, 4, name="depth").validate(bad)
    message = str(info.value)
    assert "'depth'" in message and repr(bad) in message and fragment in message


def test_int_validate_canonicalizes_integral_floats():
    assert Int(1, 4, name="d").validate(3.0) == 3 and type(Int(1, 4, name="d").validate(np.int64(2))) is int


def test_int_bad_definitions():
    with pytest.raises(SpaceError, match="'n'.*low must be an integer.*0.5"):
        Int(0.5, 3, name="n")
    with pytest.raises(SpaceError, match="step must be an integer"):
        Int(0, 3, step=1.5, name="n")
    with pytest.raises(SpaceError, match="log scale needs low > 0"):
        Int(0, 10, log=True, name="n")


def test_int_encode_decode_round_trip():
    for p in (Int(-5, 5, name="a"), Int(1, 512, log=True, name="b"), Int(0, 100, step=10, name="c")):
        for x in p.grid(100):
            assert p.decode(p.encode(x)) == x


def test_int_neighbors_and_mutate():
    assert Int(0, 10, name="n").neighbors(0) == [1]
    assert Int(0, 10, step=2, name="n").neighbors(4) == [2, 6]
    assert Int(1, 1000, log=True, name="n").neighbors(100) == [80, 99, 101, 125]
    p = Int(0, 3, name="n")
    r = rng()
    moved = {p.mutate(2, r) for _ in range(200)}
    assert 2 not in moved and moved <= {0, 1, 3}
    assert Int(5, 5, name="one").mutate(5, r) == 5


# --- Categorical ---------------------------------------------------------------------------
def test_categorical_samples_every_choice_including_structured_ones():
    choices = ["adam", 3, 0.5, True, None, [1, 2], {"k": "v"}]
    p = Categorical(choices, name="c")
    seen = {json.dumps(x, sort_keys=True) for x in draws(p, 500)}
    assert seen == {json.dumps(c, sort_keys=True) for c in choices}


def test_categorical_validate_lists_the_choices():
    p = Categorical(["sgd", "adam"], name="optimizer")
    assert p.validate("adam") == "adam"
    with pytest.raises(SpaceError, match=r"'optimizer'.*'rmsprop' is not one of the choices; allowed: 'sgd', 'adam'"):
        p.validate("rmsprop")
    with pytest.raises(SpaceError, match="not one of the choices"):
        Categorical([1, 2], name="n").validate(True)  # True is not 1 here
    with pytest.raises(SpaceError, match="not one of the choices"):
        p.validate(object())


def test_categorical_bad_definitions():
    with pytest.raises(SpaceError, match="non-empty list"):
        Categorical([], name="c")
    with pytest.raises(SpaceError, match="non-empty list"):
        Categorical("abc", name="c")
    with pytest.raises(SpaceError, match="appears twice"):
        Categorical(["a", "a"], name="c")
    with pytest.raises(SpaceError, match="not JSON data"):
        Categorical([object()], name="c")


def test_categorical_one_hot_round_trip_neighbors_mutate_grid():
    p = Categorical(["a", "b", "c"], name="c")
    assert p.n_dims == 3 and p.encode("b") == [0.0, 1.0, 0.0]
    for c in p.choices:
        assert p.decode(p.encode(c)) == c
    assert p.decode([0.1, 0.2, 0.9]) == "c"
    assert p.neighbors("a") == ["b", "c"]
    r = rng()
    assert {p.mutate("a", r) for _ in range(100)} == {"b", "c"}
    assert p.grid(1) == ["a", "b", "c"]
    assert Categorical(["only"], name="o").mutate("only", r) == "only"


# --- Fixed ---------------------------------------------------------------------------------
def test_fixed():
    p = Fixed({"layers": [1, 2]}, name="arch")
    assert p.sample(rng()) == {"layers": [1, 2]}
    assert p.validate({"layers": [1, 2]}) == {"layers": [1, 2]}
    with pytest.raises(SpaceError, match=r"'arch'.*fixed to"):
        p.validate({"layers": [1]})
    assert p.n_dims == 0 and p.encode(p.value) == [] and p.decode([]) == p.value
    assert p.neighbors(p.value) == [] and p.mutate(p.value, rng()) == p.value
    assert p.grid() == [p.value] and p.cardinality == 1
    with pytest.raises(SpaceError, match="not JSON data"):
        Fixed(object(), name="f")


# --- configs -------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [
    Float(1e-4, 1e-1, log=True, name="p"),
    Float(0, 1, step=0.1, default=0.3, name="p"),
    Int(1, 8, name="p"),
    Int(16, 256, step=16, when={"model": "mlp"}, name="p"),
    Int(1, 1024, log=True, name="p"),
    Categorical(["a", 1, [2]], default=1, when={"x": ["u", "v"]}, name="p"),
    Fixed("relu", name="p"),
])
def test_param_config_round_trip(p):
    config = p.to_config()
    json.dumps(config)
    assert param_from_config("p", config) == p
    assert repr(p).startswith(type(p).__name__)


def test_param_config_errors_name_the_parameter_and_allowed_keys():
    with pytest.raises(SpaceError, match=r"'lr' \(float\): unknown key 'lw'; allowed: low, high"):
        param_from_config("lr", {"type": "float", "lw": 0, "high": 1})
    with pytest.raises(SpaceError, match=r"'lr': unknown type 'flaot'; known types: .*float"):
        param_from_config("lr", {"type": "flaot", "low": 0, "high": 1})
    with pytest.raises(SpaceError, match=r"'lr': missing 'type'"):
        param_from_config("lr", {"low": 0, "high": 1})
    with pytest.raises(SpaceError, match=r"'lr' \(float\).*high"):
        param_from_config("lr", {"type": "float", "low": 0})


def test_defaults():
    assert Float(0, 1, name="x").default == 0.5
    assert Float(1e-4, 1, log=True, name="x").default == pytest.approx(1e-2)
    assert Int(1, 5, name="n").default == 3
    assert Categorical(["a", "b"], name="c").default == "a"
    assert Categorical(["a", "b"], default="b", name="c").default == "b"
    with pytest.raises(SpaceError, match="'x'.*outside"):
        Float(0, 1, default=2, name="x")


def test_empty_condition_is_an_error():
    with pytest.raises(SpaceError, match="condition on 'opt' allows no value"):
        Float(0, 1, when={"opt": []}, name="m")


class Parity(Categorical):
    type_name = "test_parity"

    def __init__(self, *, when=None, name=None):
        super().__init__(["even", "odd"], when=when, name=name)

    def _config_fields(self):
        return {}


def test_registered_param_type_is_usable_from_configs():
    with PARAM_TYPES.temporarily("test_parity", Parity):
        p = param_from_config("par", {"type": "test_parity"})
        assert isinstance(p, Parity) and p.type_name == "test_parity"
        assert p.to_config() == {"type": "test_parity"}
    assert "test_parity" not in PARAM_TYPES


def test_mutate_never_returns_value_when_another_exists():
    r = rng(3)
    for p, v in ((Float(0, 1, name="a"), 0.0), (Int(0, 1, name="b"), 1), (Float(1e-3, 1, log=True, name="c"), 1.0)):
        for _ in range(100):
            new = p.mutate(v, r)
            assert new != v and p.contains(new) and not (isinstance(new, float) and math.isnan(new))


def test_int_grids():
    assert Int(1, 1000, log=True, name="u").grid(4) == [1, 10, 100, 1000]
    assert Int(1, 3, log=True, name="u").grid(5) == [1, 2, 3]  # small ranges give every value
    assert Int(0, 100, name="n").grid(3) == [0, 50, 100]
    assert Int(0, 100, name="n").grid(1) == [50]


def test_categorical_accepts_numerically_equal_values_and_returns_the_choice():
    p = Categorical([16, 32, "a", True, 0.5], name="width")
    for value, choice in ((32.0, 32), (np.int64(16), 16), (np.float32(0.5), 0.5), (True, True)):
        got = p.validate(value)
        assert got == choice and type(got) is type(choice)
    for bad in (1, 1.0, 33, float("nan"), "32"):
        with pytest.raises(SpaceError, match="is not one of the choices"):
            p.validate(bad)
