"""The trained network kept with its trial, and children that start from their parent's weights."""

from __future__ import annotations

import pytest
import torch

import hypernas
from hypernas.errors import ObjectiveError
from hypernas.estimate.train import Trainer, TrainingObjective
from hypernas.estimate.train.trial_weights import MODEL, WEIGHTS, kept_network
from hypernas.record import DECISIONS_ATTR, TrialState
from hypernas.strategy import make_strategy

SMALL = dict(train_size=200, val_size=60, test_size=60, batch_size=32, measure_latency=False)
CHAIN = hypernas.ChainSpace(input_size=8, max_layers=3, filters=[4, 8], kernels=[3], units=[16], max_dense=1)


def _study(strategy=None, storage=None, name=None):
    return hypernas.create_study(name, storage, direction="maximize", seed=0, strategy=strategy)


@pytest.mark.parametrize("policy", ["best", "all", "none"])
def test_which_trials_keep_their_network(policy):
    objective = TrainingObjective("digits", "mlp", epochs=1, save_weights=policy, **SMALL)
    study = _study()
    study.optimize(objective, {"width": hypernas.Int(4, 32)}, n_trials=4, show_progress=False)
    kept = study.trials_with_artifact(WEIGHTS)
    assert kept == study.trials_with_artifact(MODEL)
    expected = {"best": [study.best_trial.number], "all": [0, 1, 2, 3], "none": []}[policy]
    assert kept == expected


def test_a_kept_network_is_the_trained_one():
    objective = TrainingObjective("digits", "mlp", epochs=3, lr=0.01, **SMALL)
    study = _study()
    study.optimize(objective, {"width": hypernas.Fixed(16)}, n_trials=1, show_progress=False)
    model, manifest = kept_network(study, 0)
    assert manifest.model == "mlp" and manifest.options["width"] == 16 and manifest.params == {"width": 16}
    accuracy = Trainer(model).evaluate(objective.splits().test)["accuracy"]
    assert accuracy == study.trials[0].user_attrs["test_accuracy"] > 0.2
    assert manifest.metrics == {"val_accuracy": study.trials[0].value}


def test_children_start_from_their_parents_weights():
    objective = TrainingObjective("digits", "chain", epochs=1, inherit=True, aliases={"arch": "layers"}, **SMALL)
    study = _study(make_strategy({"type": "evolution", "population_size": 3, "sample_size": 2}))
    study.optimize(objective, {"arch": CHAIN}, n_trials=7, show_progress=False)
    trials = study.trials
    assert all(t.state is TrialState.COMPLETE for t in trials), [t.error for t in trials]
    assert study.trials_with_artifact(WEIGHTS) == list(range(7))  # inherit keeps every trial's
    assert all("inherited" not in t.user_attrs for t in trials[:3])
    for t in trials[3:]:
        record = t.user_attrs["inherited"]
        assert record["parent"] == t.system_attrs[DECISIONS_ATTR]["parent"]
        assert 0 <= record["params_inherited"] <= record["params_total"]
        assert set(record["parts"].values()) <= {"copied", "widened", "identity", "zero", "fresh"}
        assert (record["params_inherited"] > 0) == bool({"copied", "widened"} & set(record["parts"].values()))
        assert t.user_attrs["train_seconds"] > 0 and t.user_attrs["frozen_epochs"] == 0
    assert any(t.user_attrs["inherited"]["fraction"] > 0.5 for t in trials[3:])


def test_inherited_parts_stay_frozen_for_frozen_epochs():
    objective = TrainingObjective("digits", "mlp", epochs=2, frozen_epochs=2, inherit=True, **SMALL)
    study = _study()
    space = {"width": hypernas.Categorical([16]), "depth": hypernas.Int(1, 2)}
    study.enqueue({"width": 16, "depth": 1})
    study.optimize(objective, space, n_trials=1, show_progress=False)
    study.enqueue({"width": 16, "depth": 2})
    trial = study.ask()
    trial._system_attrs[DECISIONS_ATTR] = {"parent": 0}  # as a strategy that derived it would record
    objective(trial)
    parent, _ = kept_network(study, 0)
    child_state = kept_network(study, trial.number)[0].state_dict()
    record = trial.user_attrs["inherited"]
    frozen = [name for name, how in record["parts"].items() if how == "copied"]
    assert frozen and record["fraction"] < 1
    for name, tensor in parent.state_dict().items():
        if name.rpartition(".")[0] in frozen and name in child_state and child_state[name].shape == tensor.shape:
            assert torch.equal(child_state[name], tensor), name


def test_inherit_needs_kept_weights():
    with pytest.raises(ObjectiveError, match="with inherit: true, save_weights must be 'all' or 'best'"):
        TrainingObjective("digits", "mlp", inherit=True, save_weights="none")
    with pytest.raises(ObjectiveError, match="save_weights must be one of 'best', 'all', 'none', got 'some'"):
        TrainingObjective("digits", "mlp", save_weights="some")


def test_children_inherit_across_worker_processes(tmp_path):
    objective = TrainingObjective("digits", "chain", epochs=1, inherit=True, aliases={"arch": "layers"}, **SMALL)
    storage = f"sqlite:///{tmp_path / 'runs.db'}"
    study = _study(make_strategy({"type": "evolution", "population_size": 2, "sample_size": 2}), storage, "proc")
    study.optimize(objective, {"arch": CHAIN}, n_trials=5, n_workers=2, executor="process", show_progress=False)
    children = [t for t in study.trials if t.number >= 2]
    assert all(t.state is TrialState.COMPLETE for t in study.trials), [t.error for t in study.trials]
    assert any(t.user_attrs.get("inherited", {}).get("params_inherited", 0) > 0 for t in children)


def test_morphism_children_start_as_their_parent():
    objective = TrainingObjective("digits", "chain", epochs=1, inherit=True, aliases={"arch": "layers"}, **SMALL)
    study = _study(make_strategy({"type": "morphism", "n_initial": 2, "n_children": 3, "n_morphs": 1}))
    study.optimize(objective, {"arch": CHAIN}, n_trials=6, show_progress=False)
    children = [t for t in study.trials[2:] if "morphisms" in t.system_attrs.get(DECISIONS_ATTR, {})]
    assert children and all(t.state is TrialState.COMPLETE for t in study.trials)
    for t in children:
        record = t.user_attrs["inherited"]
        assert record["parent"] == t.system_attrs[DECISIONS_ATTR]["parent"] and record["function_preserving"], record
        assert set(record["parts"].values()) <= {"copied", "widened", "identity", "zero"}
        assert record["params_inherited"] > 0


def test_pruning_as_a_step_and_as_a_searched_option():
    objective = TrainingObjective("digits", "cnn", epochs=2, blocks=2, channels=8, dense=[32], lr=0.01,
                                  prune={"method": "channel", "target": "flops", "finetune_epochs": 1}, **SMALL)
    study = _study()
    study.optimize(objective, {"prune_amount": hypernas.Categorical([0.3, 0.6])}, n_trials=2, show_progress=False)
    for t in study.trials:
        attrs = t.user_attrs
        assert t.state is TrialState.COMPLETE, t.error
        assert attrs["prune_amount"] == t.params["prune_amount"] and attrs["flops_removed"] >= t.params["prune_amount"]
        assert attrs["params"] == attrs["params_after"] < attrs["params_before"] and attrs["flops"] == attrs["flops_after"]
        assert t.value == attrs["val_accuracy"] == attrs["val_accuracy_after"]
    model, manifest = kept_network(study, study.best_trial.number)  # a pruned network rebuilds from the record
    assert manifest.pruned and sum(p.numel() for p in model.parameters()) == study.best_trial.user_attrs["params"]
    with pytest.raises(ObjectiveError, match="pruning: amount must be a number in"):
        TrainingObjective("digits", "cnn", prune={"amount": 1.5})
