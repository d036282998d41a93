"""Bad calls of the Python API: each raises the right HypernasError subclass with one clear line, and
records nothing it should not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hypernas as hn
from tests.fuzz.clear import assert_clear

pytestmark = pytest.mark.timeout(60)

SPACE = hn.Space(x=hn.Float(0, 1), n=hn.Int(1, 4), c=hn.Categorical(["a", "b"]))


def objective(trial: hn.Trial) -> float:
    return float(trial.params["x"])


def study(**kwargs: Any) -> hn.Study:
    return hn.create_study(**{"space": SPACE, "seed": 0, **kwargs})


CREATE: dict[str, tuple[type[hn.HypernasError], dict[str, Any]]] = {
    "name empty": (hn.ConfigError, {"name": ""}),
    "name blank": (hn.ConfigError, {"name": "   "}),
    "name a number": (hn.ConfigError, {"name": 7}),
    "name with a newline": (hn.ConfigError, {"name": "a\nb"}),
    "name too long": (hn.ConfigError, {"name": "x" * 600}),
    "direction unknown": (hn.ConfigError, {"direction": "down"}),
    "direction a number": (hn.ConfigError, {"direction": 1}),
    "direction and directions": (hn.ConfigError, {"direction": "minimize", "directions": ["minimize"]}),
    "directions empty": (hn.ConfigError, {"directions": []}),
    "directions a string": (hn.ConfigError, {"directions": "minimize"}),
    "directions with an unknown one": (hn.ConfigError, {"directions": ["minimize", "upward"]}),
    "metrics for one direction too many": (hn.ConfigError, {"metrics": ["a", "b"]}),
    "metrics named twice": (hn.ConfigError, {"directions": ["minimize", "maximize"], "metrics": ["a", "a"]}),
    "metrics a string": (hn.ConfigError, {"metrics": "a"}),
    "metric name empty": (hn.ConfigError, {"metrics": [""]}),
    "metric name a number": (hn.ConfigError, {"metrics": [3]}),
    "seed negative": (hn.ConfigError, {"seed": -1}),
    "seed beyond 63 bits": (hn.ConfigError, {"seed": 2**63}),
    "seed a float": (hn.ConfigError, {"seed": 1.5}),
    "seed a string": (hn.ConfigError, {"seed": "1"}),
    "strategy unknown": (hn.StrategyError, {"strategy": "bohb"}),
    "strategy a number": (hn.ConfigError, {"strategy": 3}),
    "strategy unknown option": (hn.StrategyError, {"strategy": {"type": "tpe", "n_startup": 3}}),
    "strategy bad option": (hn.StrategyError, {"strategy": {"type": "tpe", "n_startup_trials": -1}}),
    "strategy without type": (hn.StrategyError, {"strategy": {"n_startup_trials": 3}}),
    "strategy refusing the space": (hn.StrategyError, {"strategy": "cmaes"}),
    "pruner unknown": (hn.ConfigError, {"pruner": "stop-early"}),
    "pruner unknown option": (hn.ConfigError, {"pruner": {"type": "median", "n_warmup": 1}}),
    "pruner bad option": (hn.ConfigError, {"pruner": {"type": "percentile", "percentile": 150}}),
    "storage a number": (hn.StorageError, {"storage": 3}),
    "storage a list": (hn.StorageError, {"storage": ["a.db"]}),
    "storage empty": (hn.StorageError, {"storage": ""}),
    "storage unknown kind": (hn.StorageError, {"storage": "mongodb://localhost/x"}),
    "storage in a missing folder": (hn.StorageError, {"storage": "missing/folder/s.db"}),
    "storage a folder": (hn.StorageError, {"storage": "."}),
    "storage not a database": (hn.StorageError, {"storage": "text.db"}),
}


@pytest.mark.parametrize("error, kwargs", CREATE.values(), ids=CREATE.keys())
def test_a_bad_create_study_is_one_line(error: type[hn.HypernasError], kwargs: dict[str, Any], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("text.db").write_text("hello, not a database")
    with pytest.raises(error) as info:
        study(**kwargs)
    assert_clear(str(info.value))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["text.db"], "nothing is created"


OPTIMIZE: dict[str, tuple[type[hn.HypernasError], dict[str, Any]]] = {
    "n_trials negative": (hn.ConfigError, {"n_trials": -1}),
    "n_trials a float": (hn.ConfigError, {"n_trials": 2.5}),
    "n_trials a string": (hn.ConfigError, {"n_trials": "3"}),
    "timeout 0": (hn.ConfigError, {"timeout": 0}),
    "timeout negative": (hn.ConfigError, {"timeout": -1}),
    "timeout nan": (hn.ConfigError, {"timeout": float("nan")}),
    "n_workers 0": (hn.ConfigError, {"n_workers": 0}),
    "n_workers a float": (hn.ConfigError, {"n_workers": 1.5}),
    "catch not exceptions": (hn.ConfigError, {"catch": (int,)}),
    "catch a string": (hn.ConfigError, {"catch": "ValueError"}),
    "executor unknown": (hn.ConfigError, {"executor": "gpu-farm"}),
    "executor unknown option": (hn.ConfigError, {"executor": {"type": "thread", "threads": 2}}),
    "executor a number": (hn.ConfigError, {"executor": 3}),
    "process executor in memory": (hn.ConfigError, {"executor": "process", "n_workers": 2}),
    "objective not callable": (hn.ConfigError, {"objective": 3}),
    "space a list": (hn.SpaceError, {"space": [1, 2]}),
    "space empty": (hn.SpaceError, {"space": {}}),
}


@pytest.mark.parametrize("error, kwargs", OPTIMIZE.values(), ids=OPTIMIZE.keys())
def test_a_bad_optimize_is_one_line_and_runs_nothing(error: type[hn.HypernasError], kwargs: dict[str, Any]) -> None:
    s = study()
    kwargs = {"n_trials": 2, **kwargs}
    run = kwargs.pop("objective", objective)
    with pytest.raises(error) as info:
        s.optimize(run, **kwargs)
    assert_clear(str(info.value))
    assert s.trials == []


def _enqueue(params: Any) -> Callable[[hn.Study], Any]:
    return lambda s: s.enqueue(params)


def _tell(values: Any = None, **kwargs: Any) -> Callable[[hn.Study], Any]:
    def tell(s: hn.Study) -> Any:
        trial = s.ask()
        return s.tell(trial, values, **kwargs)
    return tell


def _report(step: Any, value: Any) -> Callable[[hn.Study], Any]:
    return lambda s: s.ask().report(step, value)


def _tell_other_study(s: hn.Study) -> Any:
    other = hn.create_study(space=SPACE)
    return s.tell(other.ask(), 0.5)


def _tell_twice(s: hn.Study) -> Any:
    trial = s.ask()
    s.tell(trial, 0.5)
    return s.tell(trial, 0.5)


CALLS: dict[str, tuple[type[hn.HypernasError], Callable[[hn.Study], Any]]] = {
    "enqueue an unknown parameter": (hn.SpaceError, _enqueue({"y": 1})),
    "enqueue a value outside": (hn.SpaceError, _enqueue({"x": 3})),
    "enqueue a wrong type": (hn.SpaceError, _enqueue({"n": "two"})),
    "enqueue an unknown choice": (hn.SpaceError, _enqueue({"c": "z"})),
    "enqueue a list": (hn.SpaceError, _enqueue([0.5])),
    "enqueue None": (hn.SpaceError, _enqueue(None)),
    "tell an unknown state": (hn.TrialStateError, _tell(state="DONE")),
    "tell state RUNNING": (hn.TrialStateError, _tell(state="RUNNING")),
    "tell a trial twice": (hn.TrialStateError, _tell_twice),
    "tell a trial of another study": (hn.TrialStateError, _tell_other_study),
    "tell an unknown trial number": (hn.TrialStateError, lambda s: s.tell(42, 0.5)),
    "tell a string as trial": (hn.TrialStateError, lambda s: s.tell("0", 0.5)),
    "report a negative step": (hn.TrialStateError, _report(-1, 0.5)),
    "report a fractional step": (hn.TrialStateError, _report(1.5, 0.5)),
    "report nan": (hn.TrialStateError, _report(1, float("nan"))),
    "report inf": (hn.TrialStateError, _report(1, float("inf"))),
    "report a string": (hn.TrialStateError, _report(1, "high")),
    "report None": (hn.TrialStateError, _report(1, None)),
    "best trial before any": (hn.NoCompleteTrialError, lambda s: s.best_trial),
    "best value before any": (hn.NoCompleteTrialError, lambda s: s.best_value),
    "set a user attr to nan": (hn.ConfigError, lambda s: s.set_user_attr("a", float("nan"))),
    "set a user attr to an object": (hn.ConfigError, lambda s: s.set_user_attr("a", object())),
    "load a missing study": (hn.StudyNotFoundError, lambda s: hn.load_study("missing", s.storage)),
    "ask with a bad space": (hn.SpaceError, lambda s: s.ask({"x": {"type": "float", "low": 1, "high": 0}})),
}


@pytest.mark.parametrize("error, call", CALLS.values(), ids=CALLS.keys())
def test_a_bad_call_is_one_line(error: type[hn.HypernasError], call: Callable[[hn.Study], Any]) -> None:
    with pytest.raises(error) as info:
        call(study())
    assert_clear(str(info.value))


class Thing:
    def __repr__(self) -> str:
        return "Thing()"


BAD_RESULTS: dict[str, Any] = {
    "None": None,
    "nan": float("nan"),
    "inf": float("inf"),
    "minus inf": float("-inf"),
    "a numpy nan": np.float64("nan"),
    "a string": "0.5",
    "an object": Thing(),
    "a complex number": 1 + 2j,
    "an empty list": [],
    "two values for one direction": [0.1, 0.2],
    "a list holding None": [None],
    "a dict without the value": {"loss": 0.1, "acc": 0.9},
    "a dict with nan": {"value": float("nan")},
    "a numpy array of two": np.array([0.1, 0.2]),
    "a set": {0.5},
}


@pytest.mark.parametrize("result", BAD_RESULTS.values(), ids=BAD_RESULTS.keys())
def test_a_bad_result_fails_the_trial_with_its_reason(result: Any, caplog: pytest.LogCaptureFixture) -> None:
    s = study()
    s.optimize(lambda trial: result, n_trials=2)
    assert [t.state for t in s.trials] == [hn.TrialState.FAILED] * 2
    for t in s.trials:
        assert t.error
        assert_clear(t.error)
    assert any("trial 0 failed" in r.getMessage() for r in caplog.records), "the reason is logged as for exceptions"


def test_a_result_that_is_always_refused_the_same_way_stops_the_study() -> None:
    s = study()
    with pytest.raises(hn.ObjectiveError, match="last 3 with the same error.*returned None") as info:
        s.optimize(lambda trial: None, n_trials=20)
    assert_clear(str(info.value))
    assert len(s.trials) == 3 and all(t.state is hn.TrialState.FAILED for t in s.trials)


def test_diverging_trials_do_not_stop_the_study() -> None:
    s = study()
    s.optimize(lambda trial: float("nan"), n_trials=5)
    assert len(s.trials) == 5


def test_failures_after_a_success_do_not_stop_the_study() -> None:
    s = study()
    s.optimize(lambda trial: 0.5 if trial.number == 0 else None, n_trials=6)
    assert len(s.trials) == 6
