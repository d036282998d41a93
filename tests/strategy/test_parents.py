"""Strategies that derive a candidate from an evaluated trial record that trial as the candidate's parent."""

from __future__ import annotations

import pytest

from hypernas import create_study
from hypernas.record import DECISIONS_ATTR, TrialState
from hypernas.space import NB201Cell, Space
from hypernas.strategy import make_strategy

CELL = NB201Cell()
WEIGHTS = {"none": 0.0, "skip_connect": 1.0, "nor_conv_1x1": 2.0, "nor_conv_3x3": 3.0, "avg_pool_3x3": 0.5}


def cell_score(trial) -> float:
    return sum(WEIGHTS[o] * (1 + 0.1 * e) for e, o in enumerate(CELL.to_ops(trial.params["cell"])))


@pytest.mark.parametrize("config, first, near", [
    ({"type": "evolution", "population_size": 8, "sample_size": 3}, 8, 1),
    ({"type": "local"}, 1, 1),
    ({"type": "neat", "population_size": 8}, 8, 6),
    ({"type": "predictor", "n_initial": 8, "model": "gp"}, 8, 6),
])
def test_derived_candidates_name_an_evaluated_parent(config, first, near):
    study = create_study(direction="maximize", seed=3, strategy=make_strategy(config))
    study.optimize(cell_score, Space({"cell": NB201Cell()}), n_trials=24, show_progress=False)
    trials = study.trials
    assert all("parent" not in (t.system_attrs.get(DECISIONS_ATTR) or {}) for t in trials[:first])
    derived = [t for t in trials[first:] if "parent" in (t.system_attrs.get(DECISIONS_ATTR) or {})]
    assert len(derived) >= (len(trials) - first) // 2
    for t in derived:
        parent = trials[t.system_attrs[DECISIONS_ATTR]["parent"]]
        assert parent.number < t.number and parent.state is TrialState.COMPLETE
        assert CELL.distance(parent.params["cell"], t.params["cell"]) <= near


def test_a_trial_reads_its_parent():
    study = create_study(direction="maximize", seed=0, strategy=make_strategy({"type": "evolution", "population_size": 4,
                                                                                "sample_size": 2}))
    parents = []

    def objective(trial):
        parents.append(trial.parent)
        return cell_score(trial)

    study.optimize(objective, Space({"cell": NB201Cell()}), n_trials=8, show_progress=False)
    assert parents[:4] == [None] * 4
    assert all(isinstance(p, int) and 0 <= p < 4 + k for k, p in enumerate(parents[4:]))
