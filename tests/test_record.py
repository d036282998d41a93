"""The record vocabulary: states, directions, frozen trials, Pareto fronts, result coercion."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from fractions import Fraction

import numpy as np
import pytest

from hypernas import ConfigError, Direction, FrozenTrial, TrialState
from hypernas.record import as_finite_float, dominates, pareto_front


def test_trial_states():
    assert [s for s in TrialState if s.is_finished] == [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED]
    assert str(TrialState.RUNNING) == "RUNNING" and TrialState("WAITING") is TrialState.WAITING


def test_direction_parse_and_compare():
    assert Direction.parse("min") is Direction.MINIMIZE and Direction.parse("MAX") is Direction.MAXIMIZE
    assert Direction.parse(Direction.MAXIMIZE) is Direction.MAXIMIZE and str(Direction.MINIMIZE) == "minimize"
    with pytest.raises(ConfigError, match="direction 'upward' is not known; allowed: 'minimize' or 'maximize'"):
        Direction.parse("upward")
    assert Direction.MINIMIZE.better(1, 2) and not Direction.MINIMIZE.better(2, 2)
    assert Direction.MAXIMIZE.better(2, 1) and not Direction.MAXIMIZE.better(1, 1)


def test_frozen_trial_properties():
    start = datetime(2026, 1, 1, 12, 0, 0)
    t = FrozenTrial(3, 7, TrialState.COMPLETE, {"x": 1}, [0.5], {0: 1.0, 4: 0.7},
                    datetime_start=start, datetime_complete=start + timedelta(seconds=90))
    assert t.value == 0.5 and t.duration == 90.0 and t.last_step == 4
    with pytest.raises(Exception):
        t.number = 4  # frozen
    assert t.replace(state=TrialState.FAILED).state is TrialState.FAILED and t.state is TrialState.COMPLETE
    empty = FrozenTrial(0, 1, TrialState.RUNNING)
    assert empty.value is None and empty.duration is None and empty.last_step is None
    with pytest.raises(ConfigError, match="trial 2 has 2 objective values; use .values"):
        _ = FrozenTrial(2, 1, TrialState.COMPLETE, values=[1.0, 2.0]).value


def test_dominates():
    mm = [Direction.MINIMIZE, Direction.MAXIMIZE]
    assert dominates([1, 5], [2, 4], mm)
    assert dominates([1, 5], [1, 4], mm)
    assert not dominates([1, 5], [1, 5], mm)
    assert not dominates([1, 3], [2, 4], mm)


def test_pareto_front_keeps_complete_nondominated_trials_in_order():
    mm = [Direction.MINIMIZE, Direction.MAXIMIZE]

    def trial(n, values, state=TrialState.COMPLETE):
        return FrozenTrial(n, n + 1, state, values=values)

    trials = [trial(0, [1.0, 1.0]), trial(1, [2.0, 3.0]), trial(2, [0.5, 0.5]), trial(3, [2.0, 2.0]),
              trial(4, [1.0, 1.0]), trial(5, [0.0, 9.0], TrialState.PRUNED), trial(6, None, TrialState.FAILED)]
    assert [t.number for t in pareto_front(trials, mm)] == [0, 1, 2, 4]
    assert pareto_front([], mm) == []


@pytest.mark.parametrize("x, expected", [
    (1, 1.0), (2.5, 2.5), (-0.0, 0.0), (Fraction(1, 4), 0.25),
    (np.float32(0.5), 0.5), (np.int64(7), 7.0), (np.float64(1e300), 1e300), (np.array(3.5), 3.5),
])
def test_as_finite_float_accepts_real_scalars(x, expected):
    f = as_finite_float(x)
    assert type(f) is float and f == expected


@pytest.mark.parametrize("x", [
    None, True, np.bool_(True), "1.0", b"1", float("nan"), float("inf"), -math.inf, np.float64("nan"), 1 + 0j,
    np.complex128(1), np.array([1.0]), np.array([[1.0]]), [1.0], (1.0,), {"v": 1.0}, object(),
])
def test_as_finite_float_rejects_everything_else(x):
    assert as_finite_float(x) is None


def test_as_finite_float_on_torch_scalars():
    torch = pytest.importorskip("torch")
    assert as_finite_float(torch.tensor(0.25)) == 0.25 and as_finite_float(torch.tensor(3)) == 3.0
    for bad in (torch.tensor(True), torch.tensor(1 + 2j), torch.tensor([1.0]), torch.tensor(float("nan"))):
        assert as_finite_float(bad) is None


def test_as_json_value():
    from hypernas.record import as_json_value

    assert as_json_value({"a": (1, np.float32(0.5)), 2: np.arange(2)}, "x") == {"a": [1, 0.5], "2": [0, 1]}
    with pytest.raises(ConfigError, match="user attribute 'k' must be JSON data .*got \\{1\\}"):
        as_json_value({1}, "user attribute 'k'")


NON_FINITE = [float("nan"), float("inf"), -math.inf, np.float32("nan"), np.float64("-inf"), np.array([1.0, np.nan]),
              [0.5, float("inf")], {"a": {"b": [float("nan")]}}, (1, -math.inf)]


@pytest.mark.parametrize("value", NON_FINITE, ids=repr)
def test_as_json_value_refuses_nan_and_infinity_naming_the_owner(value):
    from hypernas.record import as_json_value

    with pytest.raises(ConfigError, match=r"^trial 3: user attribute 'k' must be JSON data; NaN and infinity are "
                                          r"not allowed, got .*(nan|inf)"):
        as_json_value(value, "trial 3: user attribute 'k'")


def test_as_json_value_can_keep_none_in_place_of_nan_and_infinity():
    from hypernas.record import as_json_value

    value = {"curve": [0.5, float("nan"), np.float32("inf")], "last": -math.inf, "n": 3, "arr": np.array([np.nan, 2.0])}
    assert as_json_value(value, "x", non_finite_as_none=True) == {"curve": [0.5, None, None], "last": None, "n": 3,
                                                                   "arr": [None, 2.0]}
    assert as_json_value([1.5, "a", None], "x", non_finite_as_none=True) == [1.5, "a", None]
    with pytest.raises(ConfigError, match=r"must be JSON data \(numbers, strings, lists, dicts, None\), got \{1\}"):
        as_json_value({1}, "x", non_finite_as_none=True)


def test_as_json_value_on_torch_tensors_and_cycles():
    from hypernas.record import as_json_value

    torch = pytest.importorskip("torch")
    assert as_json_value(torch.tensor([0.5, 2.0]), "x") == [0.5, 2.0]
    with pytest.raises(ConfigError, match=r"NaN and infinity are not allowed, got \{.t.: tensor"):
        as_json_value({"t": torch.tensor([float("nan")])}, "x")
    looped: list = []
    looped.append(looped)
    with pytest.raises(ConfigError, match="must be JSON data \\(numbers"):
        as_json_value(looped, "x")
