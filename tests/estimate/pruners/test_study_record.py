"""Pruners inside a study: the record keeps pruned trials, configs name pruners, resumes restore them."""

import pytest
import yaml

from hypernas import Space, TrialPruned, TrialState, create_study, load_study
from hypernas.errors import ConfigError
from hypernas.estimate.pruners import PRUNERS, ASHAPruner, PatiencePruner, Pruner, make_pruner

CONFIG = """
space:
  x: {type: float, low: 0.0, high: 1.0}
pruner: {type: asha, min_resource: 1, reduction_factor: 3, max_resource: 9}
strategy: {type: random}
seed: 4
direction: maximize
"""


def curve_objective(trial):
    """A learning curve that rises towards x: higher x is better at every step."""
    x = trial.params["x"]
    for step in range(1, 10):
        trial.report(step, x * (1 - 0.5 ** step))
        if trial.should_prune():
            raise TrialPruned()
    return x * (1 - 0.5 ** 9)


def test_yaml_config_builds_a_pruned_study(sqlite_url):
    config = yaml.safe_load(CONFIG)
    study = create_study("yaml", sqlite_url, direction=config["direction"], strategy=config["strategy"],
                         pruner=config["pruner"], seed=config["seed"], space=Space.from_config(config["space"]))
    assert isinstance(study.pruner, ASHAPruner) and study.pruner.rungs == [1, 3]
    study.optimize(curve_objective, n_trials=12)
    pruned = study.get_trials((TrialState.PRUNED,))
    assert pruned, "some trials are pruned"
    for t in pruned:
        last = max(t.intermediate)
        assert last in (1, 3)
        assert t.values == [t.intermediate[last]]
        assert t.intermediate == {s: pytest.approx(t.params["x"] * (1 - 0.5 ** s)) for s in range(1, last + 1)}
    complete = study.get_trials((TrialState.COMPLETE,))
    assert study.best_trial in complete
    assert max(t.params["x"] for t in complete) == max(t.params["x"] for t in study.trials)
    again = load_study("yaml", sqlite_url)
    assert isinstance(again.pruner, ASHAPruner) and again.pruner.to_config() == study.pruner.to_config()
    frame = again.to_dataframe()
    assert set(frame["state"]) == {"COMPLETE", "PRUNED"}


@pytest.mark.parametrize("spec", [
    {"type": "median", "n_warmup_steps": 2},
    {"type": "percentile", "percentile": 10.0},
    {"type": "patience", "patience": 2, "wrapped": {"type": "median"}},
    {"type": "threshold", "lower": 0.05},
    {"type": "successive_halving", "max_resource": 9},
    {"type": "asha", "max_resource": 9},
    {"type": "hyperband", "max_resource": 9},
])
def test_every_pruner_round_trips_and_runs_in_a_study(spec):
    pruner = make_pruner(spec)
    assert make_pruner(pruner.to_config()).to_config() == pruner.to_config()
    study = create_study(direction="maximize", pruner=spec, seed=0, space={"x": {"type": "float", "low": 0, "high": 1}})
    study.optimize(curve_objective, n_trials=10)
    states = {t.state for t in study.trials}
    assert states <= {TrialState.COMPLETE, TrialState.PRUNED} and TrialState.COMPLETE in states


def test_registered_names():
    assert {"none", "median", "percentile", "patience", "threshold", "successive_halving", "asha",
            "hyperband"} <= set(PRUNERS)
    assert isinstance(make_pruner("patience"), PatiencePruner)
    with pytest.raises(ConfigError, match="unknown pruner 'ashaa'; known pruners: asha, hyperband"):
        make_pruner({"type": "ashaa"})


def test_a_pruner_registered_for_a_while_is_built_and_described_from_its_signature():
    class LateStop(Pruner):
        def __init__(self, after: int = 1) -> None:
            self.after = after

        def should_prune(self, study, trial):
            return (trial.last_step or 0) >= self.after

    with PRUNERS.temporarily("late_stop", LateStop):
        pruner = make_pruner({"type": "late_stop", "after": 2})
        assert isinstance(pruner, LateStop) and repr(pruner) == "LateStop(after=2)"
        with pytest.raises(ConfigError, match="pruner 'late_stop': unknown option 'before'; allowed: after"):
            make_pruner({"type": "late_stop", "before": 2})
    assert "late_stop" not in PRUNERS
