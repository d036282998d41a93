"""The Trainer: learning, determinism, reporting and pruning with a real study, checkpoints, switches, bad input."""

from __future__ import annotations

import itertools

import pytest
import torch

import hypernas
from hypernas.errors import ConfigError
from hypernas.estimate.models import build_model
from hypernas.estimate.pruners import Pruner
from hypernas.estimate.train import Dataset, TrainConfig, Trainer
from hypernas.estimate.train.checkpoint import load_checkpoint
from hypernas.estimate.train.trainer import seeded


def small_mlp(data, seed=0, **options):
    with seeded(seed):
        return build_model("mlp", data.input_shape, data.num_classes, width=32, depth=1, **options)


def fit(data, epochs=3, seed=0, trial=None, checkpoint=None, callbacks=(), **options):
    model = small_mlp(data.train, seed)
    trainer = Trainer(model, epochs=epochs, batch_size=32, seed=seed, callbacks=callbacks, **{"lr": 3e-3, **options})
    return trainer, trainer.fit(data.train, data.val, trial=trial, checkpoint=checkpoint)


def test_learns_digits_and_records_every_epoch(digits_splits):
    trainer, result = fit(digits_splits, epochs=4)
    assert [r["epoch"] for r in result.history] == [1, 2, 3, 4]
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert result.best["val_accuracy"] > 0.6 and result.best_epoch >= 1
    test = trainer.evaluate(digits_splits.test)
    assert test["accuracy"] > 0.6 and len(test["per_class_accuracy"]) == 10 and 0 < test["macro_f1"] <= 1


def test_same_seed_same_run_on_cpu(digits_splits):
    aug = ["hflip", {"type": "crop", "padding": 1}]
    _, a = fit(digits_splits, epochs=2, augment=aug, optimizer="sgd", nesterov=True)
    _, b = fit(digits_splits, epochs=2, augment=aug, optimizer="sgd", nesterov=True)
    _, c = fit(digits_splits, epochs=2, seed=1, augment=aug, optimizer="sgd", nesterov=True)
    assert a.history == b.history
    assert a.history != c.history


class PruneAt(Pruner):
    def __init__(self, step):
        self.step = step

    def should_prune(self, study, trial):
        return trial.last_step is not None and trial.last_step >= self.step


def test_reports_each_epoch_and_stops_when_the_pruner_says_so(digits_splits):
    study = hypernas.create_study(direction="maximize", pruner=PruneAt(2))

    def objective(trial):
        _, result = fit(digits_splits, epochs=5, trial=trial)
        return result.best["val_accuracy"]

    study.optimize(objective, {"x": hypernas.Fixed(1)}, n_trials=1)
    trial = study.trials[0]
    assert trial.state is hypernas.TrialState.PRUNED
    assert sorted(trial.intermediate) == [1, 2]

    study = hypernas.create_study(direction="maximize")
    study.optimize(objective, {"x": hypernas.Fixed(1)}, n_trials=1)
    done = study.trials[0]
    assert done.state is hypernas.TrialState.COMPLETE and sorted(done.intermediate) == [1, 2, 3, 4, 5]
    assert done.value == pytest.approx(max(done.intermediate.values()))


def test_interrupted_run_resumes_where_it_stopped_with_identical_results(digits_splits, tmp_path):
    _, reference = fit(digits_splits, epochs=4, augment=["hflip"], schedule="cosine")

    def interrupt_after_2(epoch, record):
        if epoch == 2:
            raise KeyboardInterrupt

    path = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        fit(digits_splits, epochs=4, augment=["hflip"], schedule="cosine", checkpoint=path,
            callbacks=[interrupt_after_2])
    assert len(load_checkpoint(path)["result"]["history"]) == 2
    seen = []
    _, resumed = fit(digits_splits, epochs=4, augment=["hflip"], schedule="cosine", checkpoint=path,
                     callbacks=[lambda e, r: seen.append(e)])
    assert seen == [3, 4] and resumed.resumed_from == 2
    assert resumed.history == reference.history
    _, again = fit(digits_splits, epochs=4, augment=["hflip"], schedule="cosine", checkpoint=path,
                   callbacks=[lambda e, r: seen.append(e)])
    assert seen == [3, 4] and again.history == reference.history  # finished: nothing retrained
    with pytest.raises(ConfigError, match="different training config \\(lr: 0.003 there, 0.01 now\\)"):
        Trainer(small_mlp(digits_splits.train), epochs=4, batch_size=32, lr=1e-2, augment=["hflip"],
                schedule="cosine").fit(digits_splits.train, digits_splits.val, checkpoint=path)


def test_early_stopping_restores_the_best_weights(digits_splits):
    trainer, result = fit(digits_splits, epochs=30, early_stopping=1, lr=0.5, optimizer="sgd", monitor="loss")
    assert result.stopped_early and result.epochs_trained < 30
    best_loss = min(r["val_loss"] for r in result.history)
    assert trainer.evaluate(digits_splits.val)["loss"] == pytest.approx(best_loss, rel=1e-5)


def test_adam_switches_to_sgd_when_validation_loss_stops_improving(digits_splits):
    g = torch.Generator().manual_seed(0)
    noisy_val = Dataset(digits_splits.val.x, digits_splits.val.y[torch.randperm(len(digits_splits.val), generator=g)],
                        digits_splits.val.classes, "shuffled labels")
    model = small_mlp(digits_splits.train)
    trainer = Trainer(model, epochs=5, batch_size=32, lr=3e-3, switch_to_sgd=1)
    result = trainer.fit(digits_splits.train, noisy_val)
    assert result.switched_to_sgd_at is not None
    after = [r for r in result.history if r["epoch"] > result.switched_to_sgd_at]
    assert after and all(r["optimizer"] == "sgd" and r["lr"] > 0 for r in after)


def test_options_for_imbalanced_data_and_stability(digits_splits):
    options = dict(loss="focal", focal_gamma=2.0, class_weights="balanced", label_smoothing=0.1, grad_clip=1.0,
                   weight_decay=1e-4, optimizer="adamw", schedule={"type": "step", "step_size": 1, "gamma": 0.5},
                   warmup_epochs=0.5)
    _, result = fit(digits_splits, epochs=2, **options)
    assert result.history[1]["lr"] == pytest.approx(3e-3 * 0.5)
    assert result.best["val_accuracy"] > 0.3
    _, rms = fit(digits_splits, epochs=1, optimizer="rmsprop", lr=1e-3)
    assert rms.epochs_trained == 1


def test_model_that_does_not_fit_the_data(digits_splits):
    wrong_input = build_model("mlp", (64, 1, 1), 10)
    wrong_input[1] = torch.nn.Linear(10, 10)
    with pytest.raises(ConfigError, match="the model does not fit dataset 'digits' with samples of shape \\(1, 8, 8\\)"):
        Trainer(wrong_input, epochs=1).fit(digits_splits.train, digits_splits.val)
    wrong_classes = build_model("mlp", (1, 8, 8), 3)
    with pytest.raises(ConfigError, match="outputs of shape \\(3,\\) but dataset 'digits' has 10 classes"):
        Trainer(wrong_classes, epochs=1).fit(digits_splits.train, digits_splits.val)


def test_bad_training_options():
    with pytest.raises(ConfigError, match="training: optimizer must be one of .*, got 'adagrad'"):
        TrainConfig(optimizer="adagrad")
    with pytest.raises(ConfigError, match="training: lr must be a number > 0, got -1"):
        TrainConfig(lr=-1)
    with pytest.raises(ConfigError, match="unknown training option 'learning_rat'"):
        TrainConfig.from_options({"learning_rat": 0.1})
    with pytest.raises(ConfigError, match="switch_to_sgd switches from Adam/AdamW, but the optimizer is 'sgd'"):
        TrainConfig(optimizer="sgd", switch_to_sgd=2)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message where CUDA is absent")
def test_asking_for_cuda_without_it():
    with pytest.raises(ConfigError, match="device 'cuda' asked for, but CUDA is not available here"):
        Trainer(torch.nn.Linear(2, 2), device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_gpu_with_mixed_precision(digits_splits):
    trainer, result = fit(digits_splits, epochs=2, device="cuda", amp=True, augment=["hflip", "rotate"])
    assert trainer.amp and next(trainer.model.parameters()).is_cuda
    assert result.best["val_accuracy"] > 0.3


def test_bad_schedule_loss_and_weights_are_caught_with_the_config():
    with pytest.raises(ConfigError, match="schedule: type must be one of .*, got 'linear'"):
        TrainConfig(schedule="linear")
    with pytest.raises(ConfigError, match="training: loss must be one of 'cross_entropy', 'focal', got 'mse'"):
        TrainConfig(loss="mse")
    with pytest.raises(ConfigError, match="class_weights must be 'balanced' or a list"):
        TrainConfig(class_weights="inverse")


def test_divergence_is_a_clear_error(digits_splits):
    with pytest.raises(FloatingPointError, match="training diverged at epoch 1"):
        fit(digits_splits, epochs=2, optimizer="sgd", lr=1e12)


def test_plateau_schedule_cuts_the_rate_when_validation_loss_stalls(digits_splits):
    g = torch.Generator().manual_seed(0)
    noisy_val = Dataset(digits_splits.val.x, digits_splits.val.y[torch.randperm(len(digits_splits.val), generator=g)],
                        digits_splits.val.classes, "shuffled labels")
    trainer = Trainer(small_mlp(digits_splits.train), epochs=5, batch_size=32, lr=3e-3,
                      schedule={"type": "plateau", "factor": 0.5, "patience": 0})
    result = trainer.fit(digits_splits.train, noisy_val)
    rates = [r["lr"] for r in result.history]
    assert rates[0] == pytest.approx(3e-3) and min(rates) < 3e-3
    assert all(b <= a for a, b in itertools.pairwise(rates))
