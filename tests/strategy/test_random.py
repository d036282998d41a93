"""Random search: priors, conditions, reproducibility, parallel asks; and the strategy registry."""

from __future__ import annotations

import numpy as np
import pytest

from hypernas import (
    Categorical,
    Float,
    FrozenTrial,
    GridSearch,
    Int,
    RandomSearch,
    Space,
    SpaceError,
    SQLStorage,
    Strategy,
    StrategyError,
    TrialState,
    create_study,
    load_study,
    make_strategy,
    register_strategy,
)
from hypernas.record import Direction
from hypernas.strategy import STRATEGIES

SPACE = Space({
    "lr": Float(1e-5, 1e-1, log=True),
    "optimizer": Categorical(["sgd", "adam"]),
    "momentum": Float(0.0, 0.99, when={"optimizer": "sgd"}),
    "width": Int(8, 128, log=True),
})


def params_of(study) -> list[dict]:
    return [t.params for t in study.trials]


def test_random_respects_log_scale_and_conditions():
    study = create_study(strategy="random", seed=0)
    study.optimize(lambda t: 0.0, SPACE, n_trials=400)
    configs = params_of(study)
    assert all(SPACE.validate(c) == c for c in configs)
    assert all(("momentum" in c) == (c["optimizer"] == "sgd") for c in configs)
    decades = np.histogram(np.log10([c["lr"] for c in configs]), bins=[-5, -4, -3, -2, -1])[0] / len(configs)
    assert np.all(decades > 0.15), decades  # linear sampling would leave the low decades nearly empty
    assert 0.3 < np.mean([c["optimizer"] == "sgd" for c in configs]) < 0.7


def test_same_seed_same_trajectory_other_seed_other_trajectory():
    runs = []
    for seed in (7, 7, 8):
        study = create_study(strategy="random", seed=seed)
        study.optimize(lambda t: t.params["lr"], SPACE, n_trials=15)
        runs.append(params_of(study))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_strategy_seed_overrides_study_seed():
    a = create_study(strategy=RandomSearch(seed=3), seed=1)
    b = create_study(strategy={"type": "random", "seed": 3}, seed=2)
    for s in (a, b):
        s.optimize(lambda t: 0.0, SPACE, n_trials=5)
    assert params_of(a) == params_of(b)


def test_resumed_seeded_study_continues_the_same_trajectory(tmp_path):
    full = create_study(strategy="random", seed=11)
    full.optimize(lambda t: 0.0, SPACE, n_trials=10)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    part = create_study("r", url, strategy="random", seed=11)
    part.optimize(lambda t: 0.0, SPACE, n_trials=4)
    resumed = load_study("r", SQLStorage(url))  # a fresh storage object, as in a new process
    assert resumed.seed == 11 and resumed.space == SPACE
    resumed.optimize(lambda t: 0.0, n_trials=6)
    assert params_of(resumed) == params_of(full)


def test_several_asks_before_any_tell():
    study = create_study(strategy="random", seed=0, space=SPACE)
    trials = [study.ask() for _ in range(6)]
    assert [t.number for t in trials] == list(range(6))
    assert len({SPACE.key(t.params) for t in trials}) == 6
    assert [t.state for t in study.trials] == [TrialState.RUNNING] * 6
    for t in reversed(trials):
        study.tell(t, t.params["lr"])
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_unseeded_random_search_still_samples_valid_configs():
    study = create_study(strategy="random")
    study.optimize(lambda t: 0.0, SPACE, n_trials=5)
    assert all(SPACE.validate(c) == c for c in params_of(study))


def test_random_search_needs_only_the_study_view():
    class View:
        space = SPACE
        directions = [Direction.MINIMIZE]
        seed = 5

        def get_trials(self, states=None):
            return []

        def strategy_state(self, key):
            return None

        def set_strategy_state(self, key, value):
            raise AssertionError("random search keeps no state")

    trial = FrozenTrial(3, -1, TrialState.RUNNING)
    a = RandomSearch().ask(View(), trial)
    b = RandomSearch().ask(View(), trial)
    assert a == b and SPACE.validate(a) == a


# --- registry ------------------------------------------------------------------------------
def test_make_strategy_from_names_mappings_and_objects():
    assert isinstance(make_strategy(None), RandomSearch)
    assert isinstance(make_strategy("RANDOM"), RandomSearch)
    grid = make_strategy({"type": "grid", "resolution": 3, "stages": 2}, seed=4)
    assert isinstance(grid, GridSearch) and (grid.resolution, grid.stages, grid.seed) == (3, 2, 4)
    obj = RandomSearch(seed=1)
    assert make_strategy(obj, seed=9) is obj
    assert make_strategy(grid.to_config()).to_config() == grid.to_config()
    assert repr(grid) == "GridSearch(resolution=3, stages=2, shuffle=False, seed=4)"


@pytest.mark.parametrize("spec, fragment", [
    ("annealing", "unknown strategy 'annealing'; known strategies: .*grid.*random"),
    ({"resolution": 3}, "needs a 'type'"),
    ({"type": "grid", "resolutoin": 3}, "strategy 'grid': unknown option 'resolutoin'; allowed: resolution, stages"),
    ({"type": "grid", "resolution": 1}, "resolution must be an integer >= 2, got 1"),
    ({"type": "grid", "stages": 0}, "stages must be an integer >= 1, got 0"),
    (42, "must be a name, a mapping or a Strategy"),
])
def test_make_strategy_errors(spec, fragment):
    with pytest.raises(StrategyError, match=fragment):
        make_strategy(spec)


def test_create_study_rejects_a_bad_strategy():
    with pytest.raises(StrategyError, match="unknown strategy 'nope'"):
        create_study(strategy="nope")


def test_registered_strategy_is_usable_by_name():
    class FirstChoice(Strategy):
        name = "test_first_choice"

        def ask(self, study, trial):
            return study.space.complete({})

    with STRATEGIES.temporarily("test_first_choice", FirstChoice):
        study = create_study(strategy="test_first_choice")
        study.optimize(lambda t: 0.0, SPACE, n_trials=2)
        assert params_of(study)[0] == SPACE.complete({})
        assert study.strategy.to_config() == {"type": "test_first_choice", "seed": None}
    assert "test_first_choice" not in STRATEGIES
    assert register_strategy("test_first_choice") is not None  # the decorator; nothing registered until applied


def test_strategy_proposing_an_invalid_config_is_refused():
    class Bad(Strategy):
        def ask(self, study, trial):
            return {"lr": 5.0}

    study = create_study(strategy=Bad())
    with pytest.raises(SpaceError, match="'lr': 5.0 is outside"):
        study.ask(SPACE)
    assert study.trials == []
