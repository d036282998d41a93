"""The strategy contract, checked for every registered strategy (as Optuna's sampler tests do).

Each strategy runs on every setting below that it accepts: a setting is supported when the
strategy's ``check_space`` accepts the space and, for several objectives, its first ask does not
refuse them. A newly registered strategy is in every test automatically; options that only make a
run slower (start-up lengths, populations, candidate counts) are shrunk where the strategy has them.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import hypernas as hn
from hypernas.errors import SpaceError, StrategyError
from hypernas.space import (
    PARAM_TYPES,
    Categorical,
    ChainSpace,
    DARTSCell,
    Fixed,
    Float,
    HierarchicalSpace,
    Int,
    MobileNetSpace,
    NB201Cell,
    Param,
    ShuffleNetSpace,
    Space,
    value_key,
)
from hypernas.strategy import STRATEGIES, make_strategy
from tests.strategy.hpo_cases import assert_resumes_exactly

N_TRIALS = 10
N_DONE = 4  # history before the parallel asks and the resume check: past every shrunk start-up below
QUICK_OPTIONS = {"n_startup_trials": 4, "n_initial": 4, "population_size": 4, "sample_size": 2, "n_raw": 64,
                 "n_restarts": 1, "n_parents": 1, "n_mutations": 10, "n_random": 4, "replay": 8, "hidden": 8,
                 "ensemble_size": 2}


@dataclass(frozen=True)
class Setting:
    """A space and the directions of a study."""

    name: str
    make_space: Callable[[], Space]
    directions: tuple[str, ...] = ("minimize",)

    def objective(self, trial: Any) -> float | list[float]:
        """Cheap and deterministic: values hashed from the parameters."""
        digest = hashlib.sha256(value_key(dict(trial.params)).encode()).digest()
        values = [int.from_bytes(digest[4 * i:4 * i + 4], "big") / 2**32 for i in range(len(self.directions))]
        return values if len(values) > 1 else values[0]


class Bits(Param):
    """An architecture space with nothing beyond the Param contract (no tokens, crossover, distance, ...):
    on/off switches, too many to enumerate."""

    type_name = "test_bits"
    length = 32

    def sample(self, rng: np.random.Generator) -> list[int]:
        return [int(b) for b in rng.integers(2, size=self.length)]

    def validate(self, value: Any) -> list[int]:
        if not isinstance(value, list) or len(value) != self.length or any(b not in (0, 1) for b in value):
            raise SpaceError(f"parameter {self.label}: {value!r} is not a list of {self.length} bits")
        return [int(b) for b in value]

    @property
    def default(self) -> list[int]:
        return [0] * self.length

    @property
    def n_dims(self) -> int:
        return self.length

    def encode(self, value: Any) -> list[float]:
        return [float(b) for b in value]

    def decode(self, x: Any) -> list[int]:
        return [int(v > 0.5) for v in x]

    def neighbors(self, value: Any) -> list[list[int]]:
        return [value[:i] + [1 - value[i]] + value[i + 1:] for i in range(self.length)]

    def mutate(self, value: Any, rng: np.random.Generator) -> list[int]:
        near = self.neighbors(value)
        return near[int(rng.integers(len(near)))]

    def grid(self, resolution: int = 5) -> list[Any]:
        raise SpaceError(f"parameter {self.label}: 2**{self.length} bit strings cannot be enumerated")

    def _config_fields(self) -> dict[str, Any]:
        return {}


@pytest.fixture(autouse=True, scope="module")
def bits_type():
    """Studies rebuild their space from its config on reload: the test space's type must be registered."""
    with PARAM_TYPES.temporarily(Bits.type_name, Bits):
        yield


def _mixed() -> Space:
    return Space({"optimizer": Categorical(["sgd", "adam"]), "lr": Float(1e-4, 1e-1, log=True),
                  "momentum": Float(0.0, 0.99, when={"optimizer": "sgd"}), "layers": Int(1, 8),
                  "dropout": Float(0.0, 0.5), "activation": Fixed("relu")})


def _numeric() -> Space:
    return Space({"x": Float(-2.0, 2.0), "lr": Float(1e-4, 1e-1, log=True), "width": Int(8, 64, step=8),
                  "activation": Fixed("relu")})


SETTINGS = [
    Setting("mixed", _mixed),
    Setting("numeric", _numeric),
    Setting("two-objectives", _numeric, ("minimize", "minimize")),
    Setting("nb201", lambda: Space({"cell": NB201Cell()})),
    Setting("chain", lambda: Space({"arch": ChainSpace()})),
    Setting("darts", lambda: Space({"arch": DARTSCell()})),
    Setting("mobilenet", lambda: Space({"arch": MobileNetSpace()})),
    Setting("shufflenet", lambda: Space({"arch": ShuffleNetSpace()})),
    Setting("hierarchical", lambda: Space({"arch": HierarchicalSpace(n_motifs=3, init_mutations=10)})),
    Setting("bare-architecture", lambda: Space({"arch": Bits(), "lr": Float(1e-4, 1e-1, log=True)})),
]


def spec(name: str) -> dict[str, Any]:
    """The strategy's registry spec with the slow options it has shrunk (only those whose default is larger)."""
    options = inspect.signature(STRATEGIES.get(name).__init__).parameters
    defaults = {o: options[o].default for o in QUICK_OPTIONS if o in options}
    return {"type": name, **{o: QUICK_OPTIONS[o] for o, d in defaults.items()
                             if isinstance(d, int) and not isinstance(d, bool) and d > QUICK_OPTIONS[o]}}


def refusal(name: str, setting: Setting) -> Exception | None:
    """Why ``name`` refuses ``setting`` up front (check_space, or the first ask for several objectives), else None."""
    space = setting.make_space()
    try:
        make_strategy(spec(name), seed=0).check_space(space)
        if len(setting.directions) > 1:
            study = hn.create_study(strategy=spec(name), seed=0, directions=list(setting.directions), space=space)
            study.ask()
    except Exception as exc:
        return exc
    return None


PAIRS = [(name, setting) for name in sorted(STRATEGIES) for setting in SETTINGS]
REFUSALS = {(name, setting.name): refusal(name, setting) for name, setting in PAIRS}
SUPPORTED = [pytest.param(name, setting, id=f"{name}-{setting.name}") for name, setting in PAIRS
             if REFUSALS[name, setting.name] is None]
REFUSED = [pytest.param(name, setting, id=f"{name}-{setting.name}") for name, setting in PAIRS
           if REFUSALS[name, setting.name] is not None]


def new_study(name: str, setting: Setting, seed: int = 0, storage: str | None = None) -> hn.Study:
    return hn.create_study(storage=storage, strategy=spec(name), seed=seed, directions=list(setting.directions),
                           space=setting.make_space())


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_supports_a_setting(name):
    assert any(REFUSALS[name, s.name] is None for s in SETTINGS), {s.name: str(REFUSALS[name, s.name]) for s in SETTINGS}


@pytest.mark.parametrize("name, setting", SUPPORTED)
def test_proposals_are_valid_also_when_several_asks_come_before_any_tell(name, setting):
    study = new_study(name, setting)
    study.optimize(setting.objective, n_trials=N_DONE)
    pending = [study.ask() for _ in range(4)]  # parallel workers: four proposals before any result
    for trial in pending:
        assert study.space.validate(trial.params) == trial.params
    for trial in pending:
        study.tell(trial, setting.objective(trial))
    study.optimize(setting.objective, n_trials=N_TRIALS - N_DONE - len(pending))
    trials = study.get_trials()
    assert len(trials) == N_TRIALS and all(t.state is hn.TrialState.COMPLETE for t in trials)
    for t in trials:
        assert study.space.validate(t.params) == t.params


def _keys(study: hn.Study, trials: list[Any]) -> list[str]:
    return [study.space.key(t.params) for t in trials]


@pytest.mark.parametrize("name, setting", SUPPORTED)
def test_pending_trials_never_share_a_configuration(name, setting):
    """Eight workers ask before any result, then again as results come in: no two pending trials are the same."""
    study = new_study(name, setting)
    pending = [study.ask() for _ in range(8)]
    for _ in range(2):
        assert len(set(_keys(study, pending))) == 8, _keys(study, pending)
        for trial in pending[:5]:  # past every shrunk start-up: the models propose the next ones
            study.tell(trial, setting.objective(trial))
        pending = pending[5:] + [study.ask() for _ in range(5)]
    assert len(set(_keys(study, pending))) == 8, _keys(study, pending)


def _small_space(name: str) -> Space:
    """Three configurations: one categorical, or one integer for a strategy that refuses categoricals, or a one-edge
    cell of three operations for one that needs an architecture."""
    for space in (Space({"x": Categorical(["a", "b", "c"])}), Space({"x": Int(1, 3)})):
        if not refuses(name, space):
            return space
    return Space({"x": NB201Cell(["none", "skip_connect", "nor_conv_3x3"], nodes=2)})


def refuses(name: str, space: Space) -> bool:
    try:
        make_strategy(spec(name), seed=0).check_space(space)
    except StrategyError:
        return True
    return False


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_three_workers_in_a_space_of_three_get_all_three(name, seed):
    space = _small_space(name)
    study = hn.create_study(strategy=spec(name), seed=seed, space=space)
    pending = [study.ask() for _ in range(3)]
    assert sorted(_keys(study, pending)) == sorted(space.key(p) for p in space.grid()), _keys(study, pending)
    study.tell(pending[0], 1.0)
    if name == "grid":  # every grid point was asked: the search is complete
        with pytest.raises(hn.SearchExhausted):
            study.ask()
        return
    # two pending: the only configuration that is not pending is the told one
    assert study.ask().params == pending[0].params
    assert space.validate(study.ask().params)  # a fourth pending trial may repeat one: nothing else is left


@pytest.mark.parametrize("name, setting", SUPPORTED)
def test_resumed_study_gives_the_same_next_proposal(name, setting, tmp_path):
    assert_resumes_exactly(spec(name), N_DONE, seed=3, db=tmp_path / "resume.db", objective=setting.objective,
                           space=setting.make_space(), directions=list(setting.directions))


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_config_round_trips(name):
    strategy = make_strategy(spec(name), seed=5)
    config = strategy.to_config()
    assert config["type"] == name
    assert json.loads(json.dumps(config)) == config
    assert make_strategy(config).to_config() == config
    assert repr(strategy).startswith(type(strategy).__name__ + "(")


@pytest.mark.parametrize("name, setting", REFUSED)
def test_unsupported_setting_is_refused_up_front(name, setting, tmp_path):
    error = REFUSALS[name, setting.name]
    assert isinstance(error, StrategyError), f"{type(error).__name__}: {error}"
    assert name in str(error)
    url = f"sqlite:///{tmp_path / 'refused.db'}"
    study = hn.create_study("refused", url, strategy=spec(name), seed=0, directions=list(setting.directions))
    with pytest.raises(StrategyError) as info:
        study.optimize(setting.objective, setting.make_space(), n_trials=3)
    assert str(info.value) == str(error)
    if len(setting.directions) == 1:
        assert any(repr(p) in str(error) for p in setting.make_space().names), "the message names the parameter"
    assert hn.load_study("refused", url).get_trials() == []


@pytest.mark.parametrize("name, setting", REFUSED)
def test_a_refusal_names_only_strategies_that_accept_the_setting(name, setting):
    """'use X': every strategy a refusal suggests takes that very space (and number of objectives)."""
    error = str(REFUSALS[name, setting.name])
    hint = error.split("; use ", 1)[1] if "; use " in error else ""
    suggested = [s for s in re.findall(r"'([a-z0-9_-]+)'", hint) if s in STRATEGIES]
    for other in suggested:
        assert REFUSALS[other, setting.name] is None, f"{name} suggests {other!r}, which refuses {setting.name}: {error}"
