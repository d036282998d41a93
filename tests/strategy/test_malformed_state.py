"""A stored strategy state that is not what the strategy saves ends in one clear error, never a crash.

A study file from someone else, or a damaged one, can hold any JSON (NaN included: SQLite keeps it)
under a strategy's state key. For every strategy that keeps state, each malformed form below is
written into the record of a study with a valid history, and the next ask must raise one
:class:`~hypernas.errors.StorageError` line naming the study, the strategy and the faulty part, and
change nothing in the record. Clearing the state lets the study go on from its trials.
"""

from __future__ import annotations

import base64
import copy
import math
import re
import struct
from collections.abc import Callable
from typing import Any

import pytest

import hypernas as hn
from hypernas.errors import StorageError
from hypernas.space import NB201Cell
from hypernas.strategy import STRATEGIES, Strategy

NAS = hn.Space({"cell": NB201Cell()})
HPO = hn.Space({"x": hn.Float(0, 1), "n": hn.Int(1, 3)})
NAN, INF = float("nan"), float("inf")

# strategy -> (options, space, trials run before the state is spoiled: past every start-up)
SETUPS: dict[str, tuple[dict[str, Any], hn.Space, int]] = {
    "hyperband": ({"max_resource": 9}, HPO, 4),
    "cmaes": ({"population_size": 4}, HPO, 6),
    "gp": ({"n_startup_trials": 2, "n_raw": 16, "n_restarts": 1}, HPO, 3),
    "grid": ({"resolution": 3, "stages": 2}, HPO, 10),
    "local": ({}, NAS, 2),
    "neat": ({"population_size": 3}, NAS, 4),
    "predictor": ({"n_initial": 2, "patience": 1, "whole_space_limit": 0, "n_mutations": 5, "n_random": 2}, NAS, 4),
    "qlearning": ({"replay": 4}, NAS, 2),
    "reinforce": ({"hidden": 4}, NAS, 2),
}

DELETE = object()  # as a value: remove the key


def objective(trial: Any) -> float:
    return float(len(str(trial.params)) % 7)


def make_study(name: str) -> hn.Study:
    """A study of strategy ``name`` with a history past every start-up, so that its next ask reads its state."""
    options, space, n = SETUPS[name]
    study = hn.create_study(f"s-{name}", strategy={"type": name, **options}, space=space, seed=0, direction="maximize")
    study.optimize(objective, n_trials=n)
    assert study.strategy_state(name) is not None
    return study


@pytest.fixture(scope="module")
def studies() -> Callable[[str], hn.Study]:
    """The study of a strategy (made once per module), its valid state restored, opened afresh at every call
    (as a study file is: the strategy has nothing of it in memory)."""
    made: dict[str, tuple[hn.Study, Any]] = {}

    def get(name: str) -> hn.Study:
        if name not in made:
            study = make_study(name)
            made[name] = study, study.strategy_state(name)
        study, state = made[name]
        study.set_strategy_state(name, copy.deepcopy(state))
        return hn.load_study(study.name, study.storage)

    return get


def spoiled(state: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``state`` with the part at ``path`` replaced by ``value`` (``DELETE``: removed; a callable: applied)."""
    if not path:
        return value(copy.deepcopy(state)) if callable(value) else value
    out = copy.deepcopy(state)
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value(node[path[-1]]) if callable(value) else value
    return out


def with_key(key: str, value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda d: {**d, key: value}


def b64_floats(*values: float) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


_CMA = ("optimizer", "state", "_cma", "state")  # the CMA inside CMAwM (HPO has an integer parameter)
_ADAM = ("optimizer", "param_groups", 0)

CASES: list[tuple[str, tuple[Any, ...], Any, str]] = [
    # the whole state of the wrong kind
    *[(name, (), value, r"state: expected a dict") for name in ("hyperband", "cmaes", "gp", "predictor", "reinforce")
      for value in (5, "text", True, [1, 2], 1.5)],
    *[(name, (), value, r"state: expected") for name in ("grid", "local", "neat", "qlearning")
      for value in (5, "text", 2.5, False)],
    # hyperband: the plan
    ("hyperband", ("budgets",), DELETE, r"state: missing key 'budgets'"),
    ("hyperband", (), with_key("extra", 1), r"state: unknown key 'extra'; expected brackets, budgets, parents"),
    ("hyperband", ("brackets",), "x", r"brackets: expected a list, got 'x'"),
    ("hyperband", ("brackets",), {"0": 1}, r"brackets: expected a list"),
    ("hyperband", ("brackets", 0), [2, []], r"brackets\[0\]: expected a dict with keys s, rungs"),
    ("hyperband", ("brackets", 0, "s"), -1, r"brackets\[0\]\.s: expected an integer in \[0, 2\], got -1"),
    ("hyperband", ("brackets", 0, "s"), 7, r"brackets\[0\]\.s: expected an integer in \[0, 2\], got 7"),
    ("hyperband", ("brackets", 0, "s"), 1.0, r"brackets\[0\]\.s: expected an integer in \[0, 2\], got 1\.0"),
    ("hyperband", ("brackets", 0, "s"), True, r"brackets\[0\]\.s: expected an integer in \[0, 2\], got True"),
    ("hyperband", ("brackets", 0, "s"), NAN, r"brackets\[0\]\.s: expected an integer in \[0, 2\], got nan"),
    ("hyperband", ("brackets", 0, "s"), 10**30, r"brackets\[0\]\.s: expected an integer in \[0, 2\]"),
    ("hyperband", ("brackets", 0, "rungs"), [[0, 1]], r"brackets\[0\]\.rungs: expected a list of 3 items"),
    ("hyperband", ("brackets", 0, "rungs", 0), "0,1", r"brackets\[0\]\.rungs\[0\]: expected a list of integers >= 0"),
    ("hyperband", ("brackets", 0, "rungs", 0, 1), -3, r"brackets\[0\]\.rungs\[0\]\[1\]: expected an integer >= 0, got -3"),
    ("hyperband", ("brackets", 0, "rungs", 0, 1), 1.5, r"brackets\[0\]\.rungs\[0\]\[1\]: expected an integer >= 0"),
    ("hyperband", ("brackets", 0, "rungs", 0, 1), "1", r"brackets\[0\]\.rungs\[0\]\[1\]: expected an integer >= 0"),
    ("hyperband", ("brackets", 0, "rungs", 0, 1), None, r"brackets\[0\]\.rungs\[0\]\[1\]: expected an integer >= 0"),
    ("hyperband", ("budgets",), [1, 1], r"budgets: expected a dict"),
    ("hyperband", ("budgets", "0"), 0, r"budgets\['0'\]: expected a number > 0, got 0"),
    ("hyperband", ("budgets", "0"), -9, r"budgets\['0'\]: expected a number > 0, got -9"),
    ("hyperband", ("budgets", "0"), NAN, r"budgets\['0'\]: expected a number > 0, got nan"),
    ("hyperband", ("budgets", "0"), INF, r"budgets\['0'\]: expected a number > 0, got inf"),
    ("hyperband", ("budgets", "0"), "1", r"budgets\['0'\]: expected a number > 0, got '1'"),
    ("hyperband", ("budgets", "0"), [1], r"budgets\['0'\]: expected a number > 0"),
    *[("hyperband", ("budgets",), with_key(key, 1), rf"budgets: expected keys that are integers >= 0 in decimal, "
       rf"got {re.escape(repr(key))}") for key in ("x", "-1", "01", "1.0", " 1", "١", "")],
    ("hyperband", ("budgets",), with_key("1" * 30, 1), r"budgets: expected keys that are integers >= 0 in decimal, "
                                                       r"got '1111"),
    ("hyperband", ("parents",), [], r"parents: expected a dict"),
    ("hyperband", ("parents",), {"3": -1}, r"parents\['3'\]: expected an integer >= 0, got -1"),
    ("hyperband", ("parents",), {"3": "0"}, r"parents\['3'\]: expected an integer >= 0, got '0'"),
    ("hyperband", ("parents",), {"x": 0}, r"parents: expected keys that are integers >= 0 in decimal, got 'x'"),
    # cmaes: the generation and the optimizer
    ("cmaes", ("restart",), -1, r"restart: expected an integer >= 0, got -1"),
    ("cmaes", ("restart",), 0.5, r"restart: expected an integer >= 0, got 0\.5"),
    ("cmaes", ("members",), DELETE, r"state: missing key 'members'"),
    ("cmaes", ("members",), {}, r"members: expected a list, got \{\}"),
    ("cmaes", ("members", 0), [4], r"members\[0\]: expected a list of 2 items"),
    ("cmaes", ("members", 0, 0), -4, r"members\[0\]\[0\]: expected an integer >= 0, got -4"),
    ("cmaes", ("members", 0, 1), [0.5], r"members\[0\]\[1\]: expected a list of 2 finite numbers, got \[0\.5\]"),
    ("cmaes", ("members", 0, 1), "ab", r"members\[0\]\[1\]: expected a list of 2 finite numbers"),
    ("cmaes", ("members", 0, 1, 0), NAN, r"members\[0\]\[1\]\[0\]: expected a finite number, got nan"),
    ("cmaes", ("members", 0, 1, 1), -INF, r"members\[0\]\[1\]\[1\]: expected a finite number, got -inf"),
    ("cmaes", ("members", 0, 1, 0), 1e40, r"members\[0\]\[1\]\[0\]: expected a number in \[-1e\+32, 1e\+32\]"),
    ("cmaes", ("members", 0, 1, 0), None, r"members\[0\]\[1\]\[0\]: expected a finite number, got None"),
    ("cmaes", ("optimizer",), None, r"optimizer: expected a dict with keys object, state, got None"),
    ("cmaes", ("optimizer", "object"), "Evil", r"optimizer\.object: expected 'CMAwM', got 'Evil'"),
    ("cmaes", ("optimizer", "object"), "CMA", r"optimizer\.object: expected 'CMAwM', got 'CMA'"),
    ("cmaes", ("optimizer",), with_key("module", "os"), r"optimizer: unknown key 'module'"),
    ("cmaes", (*_CMA, "_popsize"), 10**12, r"optimizer\._cma\._popsize: expected an integer in \[2, 4\]"),
    ("cmaes", (*_CMA, "_popsize"), 1, r"optimizer\._cma\._popsize: expected an integer in \[2, 4\], got 1"),
    ("cmaes", (*_CMA, "_popsize"), 3, r"optimizer\._cma\._mu: expected 1, got 2"),
    ("cmaes", (*_CMA, "_popsize"), "4", r"optimizer\._cma\._popsize: expected an integer"),
    ("cmaes", (*_CMA, "_mean"), DELETE, r"optimizer\._cma\.state: missing key '_mean'"),
    ("cmaes", _CMA, with_key("_evil", 1), r"optimizer\._cma\.state: unknown key '_evil'"),
    ("cmaes", (*_CMA, "_mean", "dtype"), "|O", r"optimizer\._cma\._mean: expected an array of dtype <f8 and shape \[2\], "
                                               r"got \{'dtype': '\|O', 'shape': \[2\]\}"),
    ("cmaes", (*_CMA, "_mean", "shape"), [2, 1], r"optimizer\._cma\._mean: expected an array of dtype <f8 and shape \[2\]"),
    ("cmaes", (*_CMA, "_mean", "ndarray"), [0.5], r"optimizer\._cma\._mean\.ndarray: expected a list of 2 items"),
    ("cmaes", (*_CMA, "_mean", "ndarray", 0), "0.5", r"optimizer\._cma\._mean\.ndarray\[0\]: expected a finite number"),
    ("cmaes", (*_CMA, "_mean", "ndarray", 1), NAN, r"optimizer\._cma\._mean\.ndarray\[1\]: expected a finite number, got nan"),
    ("cmaes", (*_CMA, "_c_1d", "ndarray", 0), INF, r"optimizer\._cma\._c_1d\.ndarray\[0\]: expected a finite number"),
    ("cmaes", (*_CMA, "_mean"), [0.5, 0.5], r"optimizer\._cma\._mean: expected a dict with keys ndarray, dtype, shape"),
    ("cmaes", (*_CMA, "_g"), -1, r"optimizer\._cma\._g: expected an integer >= 0, got -1"),
    ("cmaes", (*_CMA, "_n_dim"), 5, r"optimizer\._cma\._n_dim: expected 2, got 5"),
    ("cmaes", (*_CMA, "_mu"), 2.0, r"optimizer\._cma\._mu: expected 2, got 2\.0"),
    ("cmaes", (*_CMA, "_sigma"), "x", r"optimizer\._cma\._sigma: expected a finite number, got 'x'"),
    ("cmaes", (*_CMA, "_sigma"), NAN, r"optimizer\._cma\._sigma: expected a finite number, got nan"),
    ("cmaes", (*_CMA, "_mu_eff"), {"scalar": 1.0, "dtype": "<c16"}, r"optimizer\._cma\._mu_eff: expected a finite number"),
    ("cmaes", (*_CMA, "_lr_adapt"), 1, r"optimizer\._cma\._lr_adapt: expected False, got 1"),
    ("cmaes", ("optimizer", "state", "_discrete_idx", "ndarray"), [0], r"optimizer\._discrete_idx\.ndarray: expected \[1\], "
                                                                      r"got \[0\]"),
    # gp: the last fit
    ("gp", ("n",), -1, r"n: expected an integer >= 0, got -1"),
    ("gp", ("n",), 2.5, r"n: expected an integer >= 0, got 2\.5"),
    ("gp", ("params",), DELETE, r"state: missing key 'params'"),
    ("gp", ("params",), [], r"params: expected a dict, got \[\]"),
    ("gp", ("params",), with_key("mean", "a"), r"params\['mean'\]: expected a finite number or a list of them, got 'a'"),
    ("gp", ("params",), with_key("mean", [[1.0, 2.0], [3.0]]), r"params\['mean'\]: expected nested lists of one shape"),
    ("gp", ("params",), with_key("mean", [1.0, NAN]), r"params\['mean'\]\[1\]: expected a finite number or a list of "
                                                      r"them, got nan"),
    ("gp", ("params",), with_key("mean", True), r"params\['mean'\]: expected a finite number or a list of them, got True"),
    ("gp", ("params",), with_key("mean", {"a": 1}), r"params\['mean'\]: expected a finite number or a list of them"),
    ("gp", ("params",), with_key("deep", [[[[[[[[[[1.0]]]]]]]]]]), r"params\['deep'\]\[0\]\[0\].*: expected a finite "
                                                                   r"number or a list of them"),
    # grid: the stages
    ("grid", (), [], r"state: expected a list of stages, got \[\]"),
    ("grid", (0, "center"), {"x": 0.5, "n": 1}, r"state\[0\]\.center: expected None \(the full grid\)"),
    ("grid", (1, "center"), {"x": 7.0, "n": 1}, r"state\[1\]\.center: not a configuration of the space: .*7\.0"),
    ("grid", (1, "center"), {"zz": 1}, r"state\[1\]\.center: not a configuration of the space: unknown parameter 'zz'"),
    ("grid", (1, "center"), {"x": 0.5}, r"state\[1\]\.center: not a configuration of the space: parameter 'n' is missing"),
    ("grid", (1, "center"), None, r"state\[1\]\.center: expected a configuration \(a dict of parameter values\)"),
    ("grid", (1, "center"), [0.5, 1], r"state\[1\]\.center: expected a configuration"),
    ("grid", (1,), {}, r"state\[1\]: missing key 'center'"),
    ("grid", (1,), with_key("stage", 2), r"state\[1\]: unknown key 'stage'"),
    ("grid", (1,), "center", r"state\[1\]: expected a dict with keys center"),
    # local search: the centre
    ("local", ("cell",), "nonsense", r"state: not a configuration of the space: .*nonsense"),
    ("local", ("cell",), 5, r"state: not a configuration of the space"),
    ("local", (), {"zz": 1}, r"state: not a configuration of the space: unknown parameter 'zz'"),
    ("local", (), {}, r"state: not a configuration of the space: parameter 'cell' is missing"),
    ("local", (), [1, 2], r"state: expected a configuration \(a dict of parameter values\), got \[1, 2\]"),
    # neat: the offspring of each generation
    ("neat", (), with_key("x", []), r"state: expected keys that are integers >= 0 in decimal, got 'x'"),
    ("neat", (), with_key("-1", []), r"state: expected keys that are integers >= 0 in decimal, got '-1'"),
    ("neat", ("1",), "abc", r"state\['1'\]: expected a list of 3 items, got 'abc'"),
    ("neat", ("1",), lambda children: children[:2], r"state\['1'\]: expected a list of 3 items"),
    ("neat", ("1", 0), {"cell": "|x~0|"}, r"state\['1'\]\[0\]: not a configuration of the space"),
    ("neat", ("1", 1), "cell", r"state\['1'\]\[1\]: expected a configuration"),
    ("neat", ("1", 2), {}, r"state\['1'\]\[2\]: not a configuration of the space: parameter 'cell' is missing"),
    # predictor: queue, sweep, local
    ("predictor", ("local",), DELETE, r"state: missing key 'local'"),
    ("predictor", (), with_key("evil", 1), r"state: unknown key 'evil'"),
    ("predictor", ("queue",), "x", r"queue: expected a list, got 'x'"),
    ("predictor", ("queue",), [{"cell": 5}], r"queue\[0\]: not a configuration of the space"),
    ("predictor", ("queue",), [[1]], r"queue\[0\]: expected a configuration"),
    ("predictor", ("sweep",), [], r"sweep: expected a dict with keys center, order, got \[\]"),
    ("predictor", ("sweep", "order"), DELETE, r"sweep: missing key 'order'"),
    ("predictor", ("sweep", "center"), 5, r"sweep\.center: expected the key of a configuration \(a string\), got 5"),
    ("predictor", ("sweep", "order"), {"a": 1}, r"sweep\.order: expected a list"),
    ("predictor", ("sweep", "order"), [{"cell": None}], r"sweep\.order\[0\]: not a configuration of the space"),
    ("predictor", ("local",), [-1], r"local\[0\]: expected an integer >= 0, got -1"),
    ("predictor", ("local",), ["a"], r"local\[0\]: expected an integer >= 0, got 'a'"),
    ("predictor", ("local",), 3, r"local: expected a list of integers >= 0, got 3"),
    # qlearning: the Q table
    *[("qlearning", (), with_key(key, [0.5] * 5), rf"state: expected keys 'slot:previous token' with a slot below 6 and a "
       rf"token from -1 to 29, got {re.escape(repr(key))}") for key in ("x", "6:0", "0:-2", "0:30", "00:1", "1:2:3", "")],
    ("qlearning", ("0:-1",), "x", r"state\['0:-1'\]: expected a list of 5 finite numbers, got 'x'"),
    ("qlearning", ("0:-1",), [0.5], r"state\['0:-1'\]: expected a list of 5 finite numbers, got \[0\.5\]"),
    ("qlearning", ("0:-1", 2), NAN, r"state\['0:-1'\]\[2\]: expected a finite number, got nan"),
    ("qlearning", ("0:-1", 2), True, r"state\['0:-1'\]\[2\]: expected a finite number, got True"),
    ("qlearning", ("0:-1", 2), None, r"state\['0:-1'\]\[2\]: expected a finite number, got None"),
    # reinforce: the controller and its optimizer
    ("reinforce", ("version",), -1, r"version: expected an integer >= 0, got -1"),
    ("reinforce", ("version",), "2", r"version: expected an integer >= 0, got '2'"),
    ("reinforce", ("baseline",), NAN, r"baseline: expected a finite number, got nan"),
    ("reinforce", ("baseline",), None, r"baseline: expected a finite number, got None"),
    ("reinforce", ("model", "embed.weight"), DELETE, r"model: missing key 'embed.weight'"),
    ("reinforce", ("model",), with_key("evil", {}), r"model: unknown key 'evil'"),
    ("reinforce", ("model", "embed.weight", "dtype"), "float64", r"model\['embed.weight'\]: expected a float32 tensor of "
                                                                 r"shape \[31, 4\], got \{'dtype': 'float64'"),
    ("reinforce", ("model", "embed.weight", "dtype"), "object", r"model\['embed.weight'\]: expected a float32 tensor"),
    ("reinforce", ("model", "embed.weight", "shape"), [4, 31], r"model\['embed.weight'\]: expected a float32 tensor of "
                                                               r"shape \[31, 4\], got \{'dtype': 'float32', 'shape': \[4, 31\]\}"),
    ("reinforce", ("model", "embed.weight", "base64"), "!!!", r"model\['embed.weight'\]\.base64: expected the tensor's "
                                                              r"bytes in base64"),
    ("reinforce", ("model", "embed.weight", "base64"), 12, r"model\['embed.weight'\]\.base64: expected the tensor's bytes"),
    ("reinforce", ("model", "embed.weight", "base64"), b64_floats(1.0), r"model\['embed.weight'\]\.base64: expected 124 "
                                                                        r"values of float32, got 4 bytes"),
    ("reinforce", ("model", "cell.bias_ih", "base64"), b64_floats(*[NAN] * 16), r"model\['cell.bias_ih'\]: expected finite "
                                                                                r"values, got NaN or infinity"),
    ("reinforce", ("optimizer",), DELETE, r"state: missing key 'optimizer'"),
    ("reinforce", ("optimizer", "param_groups"), [], r"optimizer\.param_groups: expected a list of 1 item, got \[\]"),
    ("reinforce", (*_ADAM, "lr"), -1, r"optimizer\.param_groups\[0\]\.lr: expected a number >= 0, got -1"),
    ("reinforce", (*_ADAM, "lr"), NAN, r"optimizer\.param_groups\[0\]\.lr: expected a number >= 0, got nan"),
    ("reinforce", (*_ADAM, "eps"), 0, r"optimizer\.param_groups\[0\]\.eps: expected a number > 0, got 0"),
    ("reinforce", (*_ADAM, "betas"), [0.9], r"optimizer\.param_groups\[0\]\.betas: expected a list of 2 items"),
    ("reinforce", (*_ADAM, "betas"), [1.0, 0.999], r"optimizer\.param_groups\[0\]\.betas\[0\]: expected a number in "
                                                   r"\[0, 1\), got 1\.0"),
    ("reinforce", (*_ADAM, "amsgrad"), True, r"optimizer\.param_groups\[0\]\.amsgrad: expected False, got True"),
    ("reinforce", (*_ADAM, "params"), [0], r"optimizer\.param_groups\[0\]\.params: expected \[0, 1, 2"),
    ("reinforce", _ADAM, with_key("evil", 1), r"optimizer\.param_groups\[0\]: unknown key 'evil'"),
    ("reinforce", ("optimizer", "state"), with_key("99", {}), r"optimizer\.state: expected parameter numbers below 17, "
                                                              r"got '99'"),
    ("reinforce", ("optimizer", "state"), with_key("x", {}), r"optimizer\.state: expected keys that are integers"),
    ("reinforce", ("optimizer", "state", "0", "exp_avg_sq"), DELETE, r"optimizer\.state\['0'\]: missing key 'exp_avg_sq'"),
    ("reinforce", ("optimizer", "state", "0", "step"), -1, r"optimizer\.state\['0'\]\.step: expected a number >= 0"),
    ("reinforce", ("optimizer", "state", "16", "exp_avg_sq", "base64"), b64_floats(-1.0, 0, 0, 0, 0),
     r"optimizer\.state\['16'\]\.exp_avg_sq: expected values >= 0, got -1\.0"),
    ("reinforce", ("optimizer", "state", "16", "exp_avg", "shape"), [4], r"optimizer\.state\['16'\]\.exp_avg: expected a "
                                                                         r"float32 tensor of shape \[5\]"),
]


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # cmaes itself, for a population of 3
@pytest.mark.parametrize("name, path, value, detail", CASES,
                         ids=[f"{c[0]}-{'.'.join(map(str, c[1])) or 'state'}-{i}" for i, c in enumerate(CASES)])
def test_a_malformed_state_is_one_clear_error_and_changes_nothing(studies, name, path, value, detail):
    study = studies(name)
    bad = spoiled(study.strategy_state(name), path, value)
    study.set_system_attr(f"strategy_state:{name}", bad)  # as another program would write it: no JSON check
    n_trials = len(study.trials)
    with pytest.raises(StorageError) as info:
        study.ask()
    message = str(info.value)
    assert "\n" not in message
    prefix = f"study 's-{name}': the stored state of strategy '{name}' is malformed ("
    suffix = (f"); it was written by another program or version, or is damaged: clear it with "
              f"study.set_strategy_state('{name}', None) to continue from the trial history, or start a new study")
    assert message.startswith(prefix) and message.endswith(suffix), message
    assert re.match(detail, message[len(prefix):-len(suffix)]), message
    assert len(study.trials) == n_trials
    stored = study.system_attrs[f"strategy_state:{name}"]
    assert stored is bad or repr(stored) == repr(bad)  # kept as it was, for whoever looks into it


@pytest.mark.parametrize("name", sorted(SETUPS))
def test_clearing_a_malformed_state_lets_the_study_go_on_from_its_trials(name):
    study = make_study(name)
    study.set_system_attr(f"strategy_state:{name}", {"not": ["what", "it", "saves"]} if name != "grid" else 7)
    with pytest.raises(StorageError, match="is malformed"):
        study.ask()
    study.set_strategy_state(name, None)
    trial = study.ask()
    study.tell(trial, objective(trial))
    assert study.trials[-1].state is hn.TrialState.COMPLETE


def test_every_registered_strategy_that_saves_state_declares_its_form():
    import inspect

    keeping = {name for name in STRATEGIES.names()
               if "save_state(" in inspect.getsource(inspect.getmodule(STRATEGIES.get(name)))}  # type: ignore[arg-type]
    assert keeping == set(SETUPS)
    assert all(STRATEGIES.get(name).check_state is not Strategy.check_state for name in keeping)


def test_a_malformed_state_is_reported_on_tell_too_and_the_trial_is_kept():
    study = make_study("qlearning")
    trial = study.ask()
    study.set_system_attr("strategy_state:qlearning", {"0:-1": [NAN] * 5})
    with pytest.raises(StorageError, match=r"state\['0:-1'\]\[0\]: expected a finite number, got nan"):
        study.tell(trial, 1.0)
    assert study.trials[-1].state is hn.TrialState.COMPLETE and study.trials[-1].values == [1.0]


def test_hyperband_base_strategy_state_is_checked_through_the_budget_view():
    study = hn.create_study("hb", direction="minimize", space={"x": hn.Float(0, 1)}, seed=0,
                            strategy={"type": "hyperband", "max_resource": 3, "min_points_in_model": 2,
                                      "base": {"type": "gp", "n_startup_trials": 2, "n_raw": 16, "n_restarts": 1}})
    study.optimize(lambda t: t.params["x"], n_trials=6)
    study.set_system_attr("strategy_state:gp", {"n": 3, "params": {"mean": "zero"}})
    with pytest.raises(StorageError, match=r"^study 'hb': the stored state of strategy 'gp' is malformed \(params\['mean'\]"):
        study.optimize(lambda t: t.params["x"], n_trials=3)


def test_cmaes_history_left_unset_by_older_versions_is_read_as_zeros(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = hn.create_study("c", url, strategy={"type": "cmaes", "population_size": 4}, space=HPO, seed=0)
    study.optimize(lambda t: t.params["x"], n_trials=3)
    reference = hn.create_study("r", url, strategy={"type": "cmaes", "population_size": 4}, space=HPO, seed=0)
    reference.optimize(lambda t: t.params["x"], n_trials=3)
    state = study.strategy_state("cmaes")
    state["optimizer"]["state"]["_cma"]["state"]["_funhist_values"]["ndarray"][5:8] = [NAN, INF, -INF]
    study.set_system_attr("strategy_state:cmaes", state)  # np.empty garbage, as older versions saved it (SQLite keeps NaN)
    resumed = hn.load_study("c", url)
    assert resumed.ask().params == reference.ask().params
    values = resumed.strategy_state("cmaes")["optimizer"]["state"]["_cma"]["state"]["_funhist_values"]["ndarray"]
    assert all(math.isfinite(v) for v in values)
