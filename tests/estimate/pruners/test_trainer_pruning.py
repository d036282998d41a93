"""The Trainer reports every epoch and stops when the study's pruner says so."""

from __future__ import annotations

import hypernas as hn
from hypernas import TrialState
from hypernas.estimate.train import TrainingObjective


def test_asha_prunes_trainer_runs_and_keeps_their_epochs() -> None:
    space = hn.Space(lr=hn.Float(1e-5, 0.3, log=True), width=hn.Int(8, 64, log=True))
    objective = TrainingObjective(dataset="digits", model="mlp", epochs=6, batch_size=128, train_size=400,
                                  measure_latency=False)
    study = hn.create_study(direction="maximize", seed=0, space=space,
                            pruner={"type": "asha", "min_resource": 1, "reduction_factor": 3})
    study.optimize(objective, n_trials=10)
    pruned = study.get_trials((TrialState.PRUNED,))
    complete = study.get_trials((TrialState.COMPLETE,))
    assert pruned and complete
    for t in pruned:
        assert 1 <= len(t.intermediate) < 6  # stopped early, every epoch before the stop recorded
        assert t.values == [t.intermediate[max(t.intermediate)]]
    assert all(len(t.intermediate) == 6 for t in complete)
