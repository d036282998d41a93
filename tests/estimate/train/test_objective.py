"""TrainingObjective: params -> model and trainer, metrics as attributes, config registry, failures, resume."""

from __future__ import annotations

import pytest

import hypernas
from hypernas.errors import ObjectiveError
from hypernas.estimate.pruners import NoPruner, Pruner
from hypernas.estimate.registry import OBJECTIVES, make_objective
from hypernas.estimate.train import TrainingObjective

SMALL = dict(train_size=200, val_size=60, test_size=60, batch_size=32, measure_latency=False)


def test_config_type_train_builds_the_objective():
    objective = make_objective({"type": "train", "dataset": "digits", "model": "mlp", "epochs": 2})
    assert isinstance(objective, TrainingObjective) and objective.directions == ["maximize"]
    with pytest.raises(ObjectiveError, match="objective 'train': unknown dataset 'imagenet'; known datasets:"):
        make_objective({"type": "train", "dataset": "imagenet"})
    with pytest.raises(ObjectiveError, match="objective 'train': unknown model 'vgg'"):
        make_objective({"type": "train", "model": "vgg"})
    with pytest.raises(ObjectiveError, match="objective 'train': metric must be one of 'val_accuracy', .*, got 'accuracy'"):
        make_objective({"type": "train", "metric": "accuracy"})
    with pytest.raises(ObjectiveError, match="unknown training option 'learning_rate'"):
        make_objective({"type": "train", "learning_rate": 0.1})
    with pytest.raises(ObjectiveError, match="unknown objective 'trian'; known objectives: nb201, train, zero_cost .*module:function"):
        make_objective({"type": "trian"})


def test_an_objective_registered_for_a_while():
    def constant(value=1.0):
        return lambda trial: value

    with OBJECTIVES.temporarily("constant", constant):
        assert make_objective({"type": "constant", "value": 2.5})(None) == 2.5
    assert "constant" not in OBJECTIVES


def test_trial_params_drive_model_and_training_and_metrics_are_recorded():
    objective = TrainingObjective("digits", "mlp", epochs=2, **SMALL)
    study = hypernas.create_study(direction="maximize", seed=0)
    space = {"lr": hypernas.Float(1e-3, 1e-2, log=True), "optimizer": hypernas.Categorical(["adam", "sgd"]),
             "width": hypernas.Int(8, 32), "dropout": hypernas.Float(0.0, 0.3)}
    study.optimize(objective, space, n_trials=2)
    for trial in study.trials:
        assert trial.state is hypernas.TrialState.COMPLETE, trial.error
        attrs = trial.user_attrs
        assert trial.value == attrs["val_accuracy"] and sorted(trial.intermediate) == [1, 2]
        assert 0 <= attrs["test_accuracy"] <= 1 and len(attrs["test_per_class_accuracy"]) == 10
        width = trial.params["width"]
        assert attrs["params"] == (64 * width + width) + (width * width + width) + (width * 10 + 10)  # depth 2
        assert attrs["flops"] == 2 * (64 * width + width * width + width * 10) and attrs["epochs_trained"] == 2


def test_same_seed_same_trial_result():
    objective = TrainingObjective("digits", "cnn", epochs=1, blocks=2, channels=4, dense=[16], **SMALL)
    values = []
    for _ in range(2):
        study = hypernas.create_study(direction="maximize", seed=0)
        study.optimize(objective, {"lr": hypernas.Fixed(3e-3)}, n_trials=1)
        values.append((study.trials[0].value, study.trials[0].user_attrs["test_loss"]))
    assert values[0] == values[1]


def test_searched_model_chain_genotype_and_multi_metric():
    objective = TrainingObjective("digits", metric=["val_accuracy", "params"], epochs=1, aliases={"arch": "layers"},
                                  **SMALL)
    assert objective.directions == ["maximize", "minimize"]
    study = hypernas.create_study(directions=objective.directions)
    genotype = [{"type": "conv", "filters": 4}, {"type": "pool"}, {"type": "dense", "units": 16}]
    study.enqueue({"model": "chain", "arch": genotype})
    study.optimize(objective, {"model": hypernas.Fixed("chain"), "arch": hypernas.Fixed(genotype)}, n_trials=1)
    trial = study.trials[0]
    assert trial.state is hypernas.TrialState.COMPLETE, trial.error
    assert trial.values[1] == (4 * 9 + 4) + (4 * 4 * 4 * 16 + 16) + (16 * 10 + 10)


def test_a_darts_space_with_two_steps_trains_with_the_darts_model():
    """The model builder reads the steps from the genotype, so a non-default DARTS space needs no model option."""
    objective = TrainingObjective("digits", "darts", epochs=1, channels=4, layers=3, **SMALL)
    space = hypernas.Space.from_config({"genotype": {"type": "darts", "steps": 2,
                                                     "ops": ["skip_connect", "conv_3x3", "max_pool_3x3"]}})
    study = hypernas.create_study(direction="maximize", seed=0)
    study.optimize(objective, space, n_trials=2)
    assert [t.state for t in study.trials] == [hypernas.TrialState.COMPLETE] * 2, [t.error for t in study.trials]
    assert all(len(t.params["genotype"]["normal"]) == 4 for t in study.trials)


@pytest.mark.parametrize("params, reason", [
    ({"model": "chain", "layers": [{"type": "pool"}] * 4},
     "ConfigError: chain genotype layer 3 ({\"type\": \"pool\"}): the feature map is 1x1 after 3 pooling(s)"),
    ({"model": "cnn", "blocks": 5}, "ConfigError: model 'cnn': 5 blocks halve the 8x8 image 5 times"),
    ({"model": "mlp", "lr": -0.1}, "ConfigError: training: lr must be a number > 0, got -0.1"),
])
def test_bad_candidates_fail_their_trial_with_the_reason_and_the_study_goes_on(params, reason):
    objective = TrainingObjective("digits", epochs=1, **SMALL)
    study = hypernas.create_study(direction="maximize")
    study.enqueue(params)
    space = {k: hypernas.Fixed(v) for k, v in params.items()}
    study.optimize(objective, space, n_trials=1)
    trial = study.trials[0]
    assert trial.state is hypernas.TrialState.FAILED
    assert trial.error.startswith(reason), trial.error


def test_a_parameter_the_objective_does_not_read_is_refused_before_any_trial():
    objective = TrainingObjective("digits", epochs=1, **SMALL)
    study = hypernas.create_study(direction="maximize")
    with pytest.raises(hypernas.ObjectiveError, match="trial parameter 'kernel' is not read by the train objective"):
        study.optimize(objective, {"model": hypernas.Fixed("mlp"), "kernel": hypernas.Fixed(3)}, n_trials=1)
    assert study.trials == []
    space = {"model": hypernas.Categorical(["mlp", "cnn"]), "width": hypernas.Int(8, 16, when={"model": "mlp"}),
             "channels": hypernas.Int(4, 8, when={"model": "cnn"})}
    objective.check_space(hypernas.Space(space))  # each option is read by the model it is active for
    with pytest.raises(hypernas.ObjectiveError, match="parameter 'model': unknown model 'resnet'"):
        objective.check_space(hypernas.Space(model=hypernas.Categorical(["mlp", "resnet"])))


def test_shape_mismatch_with_own_data_is_a_clear_failure():
    import numpy as np

    from hypernas.estimate.train import Dataset, make_splits

    rng = np.random.default_rng(0)
    features = Dataset.from_arrays(rng.normal(size=(60, 5)).astype("float32"), np.arange(60) % 3)
    objective = TrainingObjective(make_splits(features, val_fraction=0.2, test_fraction=0.2), "cnn", epochs=1,
                                  measure_latency=False)
    study = hypernas.create_study(direction="maximize")
    study.optimize(objective, {"channels": hypernas.Fixed(4)}, n_trials=1)
    assert study.trials[0].error == ("ConfigError: model 'cnn' needs image samples (C, H, W), got samples of shape "
                                     "(5,); use model 'mlp' for feature vectors")


class InterruptAt(Pruner):
    """Simulates Ctrl-C after the given epoch."""

    def __init__(self, step):
        self.step = step

    def should_prune(self, study, trial):
        if trial.last_step == self.step:
            raise KeyboardInterrupt
        return False


def test_interrupted_trial_is_requeued_and_continues_from_its_checkpoint(tmp_path):
    space = {"lr": hypernas.Fixed(3e-3)}
    reference = hypernas.create_study(direction="maximize")
    reference.optimize(TrainingObjective("digits", epochs=3, **SMALL), space, n_trials=1)

    objective = TrainingObjective("digits", epochs=3, checkpoint_dir=tmp_path, **SMALL)
    study = hypernas.create_study("resumable", direction="maximize", pruner=InterruptAt(2))
    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, space, n_trials=1)
    assert study.trials[0].state is hypernas.TrialState.FAILED
    assert (tmp_path / "resumable" / "trial-0.pt").is_file()

    study.pruner = NoPruner()
    study.optimize(objective, n_trials=1, requeue_lost=True)
    resumed = study.trials[1]
    assert resumed.system_attrs["requeued_from"] == 0 and resumed.state is hypernas.TrialState.COMPLETE
    assert resumed.user_attrs["resumed_from_epoch"] == 2
    assert resumed.value == reference.trials[0].value
    assert resumed.intermediate == reference.trials[0].intermediate
    assert not (tmp_path / "resumable" / "trial-1.pt").exists()  # removed once the trial is complete


def test_the_example_config_runs():
    import pathlib

    import yaml

    config = yaml.safe_load((pathlib.Path(__file__).parents[3] / "examples" / "train_digits.yaml").read_text())
    objective = make_objective({**config["objective"], "epochs": 1, **SMALL})
    study = hypernas.create_study(direction=config["direction"], strategy=config["strategy"], seed=config["seed"])
    study.optimize(objective, hypernas.Space.from_config(config["space"]), n_trials=2)
    assert [t.state for t in study.trials] == [hypernas.TrialState.COMPLETE] * 2


def test_the_demo_config_searches_architectures_and_prints_the_best_one(tmp_path, monkeypatch, capsys):
    import pathlib

    import yaml

    from hypernas.cli import main

    config = yaml.safe_load((pathlib.Path(__file__).parents[3] / "examples" / "demo.yaml").read_text())
    assert config["space"]["arch"]["type"] == "chain" and config["strategy"]["type"] == "evolution"
    config.update(n_trials=3, n_workers=1, executor="thread")
    config["objective"].update(epochs=2, **SMALL)
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.chdir(tmp_path)
    assert main(["run", "demo.yaml", "--storage", "demo.db", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Best trial #" in out and "test_accuracy=" in out
    assert "  arch: " in out and out.count(" > classifier") == 1
    study = hypernas.load_study("demo", "demo.db")
    assert len(study.trials) == 3 and {"arch", "lr", "optimizer"} <= set(study.best_trial.params)


def test_image_folder_and_own_arrays_through_the_objective(tmp_path):
    import numpy as np
    from PIL import Image

    from hypernas.estimate.train import Dataset

    rng = np.random.default_rng(0)
    for c in range(2):
        (tmp_path / f"c{c}").mkdir()
        for i in range(10):
            pixels = (rng.random((6, 6)) * 60 + 190 * c).astype(np.uint8)
            Image.fromarray(pixels, mode="L").save(tmp_path / f"c{c}" / f"{i}.png")
    objective = TrainingObjective("folder", "cnn", dataset_options={"path": str(tmp_path)}, epochs=2, blocks=1,
                                  channels=4, dense=[8], val_fraction=0.2, test_fraction=0.2, measure_latency=False)
    study = hypernas.create_study(direction="maximize")
    study.optimize(objective, {"lr": hypernas.Fixed(1e-2)}, n_trials=1)
    assert study.trials[0].state is hypernas.TrialState.COMPLETE, study.trials[0].error
    assert objective.splits().input_shape == (1, 6, 6)

    features = Dataset.from_arrays(rng.normal(size=(50, 3)).astype("float32"), np.arange(50) % 2)
    objective = TrainingObjective(features, "mlp", epochs=1, width=4, measure_latency=False, val_fraction=0.2,
                                  test_fraction=0.2)
    study = hypernas.create_study(direction="maximize")
    study.optimize(objective, {"depth": hypernas.Int(1, 2)}, n_trials=1)
    assert study.trials[0].state is hypernas.TrialState.COMPLETE, study.trials[0].error


class PruneAfterFirst(Pruner):
    def should_prune(self, study, trial):
        return trial.last_step == 1


def test_pruned_trial_leaves_no_checkpoint(tmp_path):
    objective = TrainingObjective("digits", epochs=3, checkpoint_dir=tmp_path, **SMALL)
    study = hypernas.create_study("pruned", direction="maximize", pruner=PruneAfterFirst())
    study.optimize(objective, {"lr": hypernas.Fixed(3e-3)}, n_trials=1)
    assert study.trials[0].state is hypernas.TrialState.PRUNED and sorted(study.trials[0].intermediate) == [1]
    assert not list(tmp_path.rglob("*.pt"))


def test_training_objective_pickles_without_its_loaded_data():
    import pickle

    objective = TrainingObjective(dataset="digits", model="mlp", epochs=1)
    objective.splits()
    clone = pickle.loads(pickle.dumps(objective))
    assert clone._splits is None and clone.metrics == objective.metrics
    assert len(clone.splits().train) == len(objective.splits().train)
