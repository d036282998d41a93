"""A real PyTorch training objective on sklearn digits, stopped early by a pruner."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from hypernas import Float, Int, TrialPruned, TrialState, create_study


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    train, val = order[:600], order[600:900]
    return x[train], y[train], x[val], y[val]


def make_objective(data, epochs):
    xt, yt, xv, yv = data

    def objective(trial):
        torch.manual_seed(trial.number)
        model = torch.nn.Sequential(torch.nn.Linear(64, trial.params["width"]), torch.nn.ReLU(),
                                    torch.nn.Linear(trial.params["width"], 10))
        opt = torch.optim.SGD(model.parameters(), lr=trial.params["lr"], momentum=0.9)
        budget = int(trial.budget or epochs)
        acc = 0.0
        for epoch in range(1, budget + 1):
            for idx in torch.randperm(len(yt)).split(100):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
                opt.step()
            with torch.no_grad():
                acc = (model(xv).argmax(1) == yv).float().mean().item()
            trial.report(epoch, acc)
            if trial.should_prune():
                raise TrialPruned()
        return acc

    return objective


SPACE = {"lr": Float(1e-4, 1.0, log=True), "width": Int(8, 32)}


def test_asha_stops_bad_learning_rates_and_keeps_the_curves(digits):
    torch.set_num_threads(1)
    study = create_study(direction="maximize", seed=0, pruner={"type": "asha", "max_resource": 6, "min_resource": 1,
                                                                 "reduction_factor": 2})
    study.optimize(make_objective(digits, epochs=6), SPACE, n_trials=8)
    pruned = study.get_trials((TrialState.PRUNED,))
    complete = study.get_trials((TrialState.COMPLETE,))
    assert pruned and complete
    for t in pruned:
        assert max(t.intermediate) < 6 and t.values == [t.intermediate[max(t.intermediate)]]
    assert study.best_value > 0.8
    spent = sum(len(t.intermediate) for t in study.trials)
    assert spent < 8 * 6


def test_hyperband_scheduler_trains_each_trial_for_its_budget(digits):
    torch.set_num_threads(1)
    study = create_study(direction="maximize", seed=0,
                         strategy={"type": "hyperband", "min_resource": 1, "max_resource": 4, "reduction_factor": 2,
                                   "n_brackets": 1})
    study.optimize(make_objective(digits, epochs=4), SPACE, n_trials=7)
    epochs = [len(t.intermediate) for t in study.trials]
    assert epochs == [1, 1, 1, 1, 2, 2, 4]
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    finalist = study.trials[-1]
    assert finalist.params == study.trials[4].params or finalist.params == study.trials[5].params
    assert np.isfinite(study.best_value)
