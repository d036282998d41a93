"""A model written with choices trained in a study: the trial's choices fix the network, the rest trains it."""

from __future__ import annotations

import pytest
from torch import nn

import hypernas
from hypernas.errors import ConfigError, ObjectiveError
from hypernas.estimate.models import build_model
from hypernas.estimate.train.trial_weights import kept_network
from hypernas.nn import LayerChoice, ModelObjective, ValueChoice, model_space
from hypernas.space import Float

SMALL = dict(epochs=1, train_size=120, val_size=40, test_size=40, batch_size=32, measure_latency=False)


def mlp() -> nn.Module:
    width = ValueChoice([8, 16], label="width")
    return nn.Sequential(nn.Flatten(), nn.Linear(64, width), LayerChoice({"relu": nn.ReLU(), "tanh": nn.Tanh()},
                                                                         label="act"), nn.Linear(width, 10))


def test_trials_train_the_fixed_network_of_their_choices_and_keep_it():
    objective = ModelObjective(mlp, "digits", save_weights="all", **SMALL)
    space = hypernas.Space({**dict(model_space(mlp).items()), "lr": Float(1e-3, 1e-1, log=True)})
    study = hypernas.create_study(direction="maximize", seed=0)
    study.optimize(objective, space, n_trials=2, show_progress=False)
    assert all(t.state.name == "COMPLETE" for t in study.trials)
    for trial in study.trials:
        model, manifest = kept_network(study, trial.number)
        assert manifest.model == "nn_model" and manifest.options["choices"] == {
            "width": trial.params["width"], "act": trial.params["act"]}
        assert model[1].out_features == trial.params["width"]


def test_a_space_without_the_models_choices_or_with_unread_parameters_is_refused():
    objective = ModelObjective(mlp, "digits", **SMALL)
    with pytest.raises(ObjectiveError, match="no parameter 'act'"):
        objective.check_space(hypernas.Space(width=hypernas.Categorical([8, 16])))
    with pytest.raises(ObjectiveError, match="'colour' is not read"):
        objective.check_space(hypernas.Space({**dict(model_space(mlp).items()), "colour": hypernas.Categorical(["r"])}))


def test_a_model_this_process_does_not_know_is_not_rebuilt():
    with pytest.raises(ConfigError, match="does not know"):
        build_model("nn_model", (64,), 10, fn="elsewhere:Net", choices={})
