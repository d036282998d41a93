"""The Lightning integration with real Lightning: a module as the objective, reports per epoch, a pruned trial."""

from __future__ import annotations

import pytest

from tests.integrations.conftest import need

need("lightning")

import lightning.pytorch as pl  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import hypernas as hn  # noqa: E402
from hypernas.integrations.lightning import LightningObjective, LightningPruningCallback  # noqa: E402


class Digits(pl.LightningModule):
    def __init__(self, lr: float, hidden: int) -> None:
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", nn.functional.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean())

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)


@pytest.fixture(scope="module")
def loaders() -> tuple[DataLoader, DataLoader]:
    X, y = load_digits(return_X_y=True)
    X = torch.tensor(X[:600] / 16.0, dtype=torch.float32)
    y = torch.tensor(y[:600])
    train, val = TensorDataset(X[:400], y[:400]), TensorDataset(X[400:], y[400:])
    return DataLoader(train, batch_size=50, shuffle=True), DataLoader(val, batch_size=200)


def build(trial: hn.Trial) -> Digits:
    return Digits(trial.params["lr"], trial.params["hidden"])


SPACE = {"lr": hn.Float(1e-6, 0.5, log=True), "hidden": hn.Categorical([16, 32])}


def test_a_lightning_module_is_the_objective_and_a_bad_one_is_pruned(loaders):
    torch.manual_seed(0)
    study = hn.create_study(direction="minimize", pruner=hn.MedianPruner(n_startup_trials=1), seed=0)
    study.enqueue({"lr": 0.5, "hidden": 32})
    study.enqueue({"lr": 1e-6, "hidden": 16})
    objective = LightningObjective(build, train_dataloaders=loaders[0], val_dataloaders=loaders[1], max_epochs=2)
    study.optimize(objective, SPACE, n_trials=2)
    good, bad = study.trials
    assert good.state is hn.TrialState.COMPLETE and sorted(good.intermediate) == [1, 2]
    assert good.value == pytest.approx(good.intermediate[2])
    assert 0.0 <= good.user_attrs["val_acc"] <= 1.0 and "train_loss" in good.user_attrs
    assert bad.state is hn.TrialState.PRUNED and sorted(bad.intermediate) == [1]
    assert bad.intermediate[1] > good.intermediate[1]


def test_the_callback_in_a_trainer_of_ones_own(loaders):
    study = hn.create_study(direction="maximize", seed=1)
    trial = study.ask(SPACE)
    trainer = pl.Trainer(max_epochs=2, accelerator="cpu", logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False,
                         callbacks=[LightningPruningCallback(trial, monitor="val_acc")])
    trainer.fit(build(trial), *loaders)  # the sanity check's validation is not reported
    assert sorted(trial.intermediate) == [1, 2]
    assert trial.intermediate[2] == pytest.approx(float(trainer.callback_metrics["val_acc"]))


def test_a_metric_the_module_does_not_log_is_a_clear_error(loaders):
    study = hn.create_study(seed=2)
    objective = LightningObjective(build, train_dataloaders=loaders[0], val_dataloaders=loaders[1], monitor="val_f1",
                                   max_epochs=1)
    with pytest.raises(hn.ConfigError, match="monitor 'val_f1' is not a logged metric; the module logs: "):
        study.optimize(objective, SPACE, n_trials=1, catch=())


def test_the_data_is_given_once():
    with pytest.raises(hn.ConfigError, match="either as datamodule= or as train_dataloaders="):
        LightningObjective(build)


class DigitsData(pl.LightningDataModule):
    def __init__(self, loaders: tuple[DataLoader, DataLoader]) -> None:
        super().__init__()
        self.loaders = loaders

    def train_dataloader(self) -> DataLoader:
        return self.loaders[0]

    def val_dataloader(self) -> DataLoader:
        return self.loaders[1]


def test_a_datamodule_per_trial_and_callbacks_of_ones_own(loaders):
    seen = []

    class Count(pl.Callback):
        def on_train_epoch_end(self, trainer, pl_module):
            seen.append(trainer.current_epoch)

    def data(trial: hn.Trial) -> DigitsData:
        return DigitsData(loaders)

    objective = LightningObjective(build, data, monitor="val_acc", max_epochs=2, trainer_options={"callbacks": [Count()]})
    study = hn.create_study(direction="maximize", seed=3)
    study.optimize(objective, SPACE, n_trials=1, catch=())
    assert seen == [0, 1] and sorted(study.trials[0].intermediate) == [1, 2]
    assert 0.0 <= study.best_value <= 1.0
