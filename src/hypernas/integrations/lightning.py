"""PyTorch Lightning: a callback that reports to a trial and prunes it, and a ``LightningModule`` as the objective.

:class:`LightningPruningCallback` reports the monitored metric after each validation epoch
(``trial.report(epoch, value)``, epochs counting from 1) and raises :class:`~hypernas.errors.TrialPruned`
when the study's pruner says so; Lightning lets the exception out of ``trainer.fit``, so the trial ends
PRUNED. :class:`LightningObjective` builds a module per trial, trains it with a quiet CPU ``Trainer`` and
returns the monitored metric.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from hypernas.errors import ConfigError, TrialPruned
from hypernas.record import as_finite_float
from hypernas.study import Trial
from hypernas.validate import check_int

try:
    import lightning.pytorch as pl
except ImportError as exc:
    from hypernas.integrations import missing_extra

    raise missing_extra("lightning", "lightning") from exc

QUIET_TRAINER = {"accelerator": "cpu", "devices": 1, "logger": False, "enable_checkpointing": False,
                 "enable_progress_bar": False, "enable_model_summary": False, "num_sanity_val_steps": 0}
"""The ``Trainer`` options :class:`LightningObjective` starts from (``trainer_options`` override them)."""


class LightningPruningCallback(pl.Callback):
    """Report ``monitor`` (a metric the module logs, e.g. ``self.log("val_loss", loss)``) to ``trial`` after each
    validation epoch, and raise :class:`~hypernas.errors.TrialPruned` when ``trial.should_prune()``.

    Runs in one process: the trial lives in the process that runs ``trainer.fit``.
    """

    def __init__(self, trial: Trial, monitor: str = "val_loss") -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        logged = trainer.callback_metrics
        if self.monitor not in logged:
            raise ConfigError(f"LightningPruningCallback: monitor {self.monitor!r} is not a logged metric; "
                              f"the module logs: {', '.join(sorted(logged)) or 'nothing'}")
        value = as_finite_float(logged[self.monitor])
        if value is None:
            raise FloatingPointError(f"{self.monitor} is {logged[self.monitor]!r} at epoch {trainer.current_epoch + 1}: "
                                     "the training diverged")
        epoch = trainer.current_epoch + 1
        self.trial.report(epoch, value)
        if self.trial.should_prune():
            raise TrialPruned(f"pruned at epoch {epoch} with {self.monitor}={value:.6g}")


class LightningObjective:
    """An objective that trains ``module_fn(trial)`` (a ``LightningModule`` built from ``trial.params``) and
    returns the metric ``monitor`` it logs, reporting it after each epoch so that the study's pruner can stop it.

    The data is a ``LightningDataModule`` (or a function of the trial returning one) or ``train_dataloaders``
    with ``val_dataloaders``. The ``Trainer`` runs ``max_epochs`` on the CPU without logger, checkpoints or
    progress bar (:data:`QUIET_TRAINER`); ``trainer_options`` override or add to its options (``callbacks``
    run beside the pruning callback). The module's other logged metrics are kept as the trial's user attributes.
    """

    def __init__(self, module_fn: Callable[[Trial], pl.LightningModule],
                 datamodule: pl.LightningDataModule | Callable[[Trial], pl.LightningDataModule] | None = None, *,
                 train_dataloaders: Any = None, val_dataloaders: Any = None, monitor: str = "val_loss",
                 max_epochs: int = 10, trainer_options: Mapping[str, Any] | None = None) -> None:
        if not callable(module_fn):
            raise ConfigError(f"LightningObjective: module_fn must be a function of the trial returning a "
                              f"LightningModule, got {module_fn!r}")
        if (datamodule is None) == (train_dataloaders is None):
            raise ConfigError("LightningObjective: give the data either as datamodule= or as train_dataloaders= "
                              "(with val_dataloaders=), not both or neither")
        if train_dataloaders is not None and val_dataloaders is None:
            raise ConfigError(f"LightningObjective: val_dataloaders are needed to compute {monitor!r} each epoch")
        if not isinstance(monitor, str) or not monitor:
            raise ConfigError(f"LightningObjective: monitor must name a logged metric, got {monitor!r}")
        self.module_fn = module_fn
        self.datamodule = datamodule
        self.train_dataloaders = train_dataloaders
        self.val_dataloaders = val_dataloaders
        self.monitor = monitor
        self.max_epochs = check_int("LightningObjective", "max_epochs", max_epochs, 1)
        self.trainer_options = dict(trainer_options or {})

    def __call__(self, trial: Trial) -> float:
        module = self.module_fn(trial)
        if not isinstance(module, pl.LightningModule):
            raise ConfigError(f"LightningObjective: module_fn returned {type(module).__name__}, not a LightningModule")
        options = {**QUIET_TRAINER, "max_epochs": self.max_epochs, **self.trainer_options}
        callbacks = [*(options.pop("callbacks", None) or []), LightningPruningCallback(trial, self.monitor)]
        with _quiet():
            trainer = pl.Trainer(callbacks=callbacks, **options)
            if self.datamodule is not None:
                datamodule = self.datamodule if isinstance(self.datamodule, pl.LightningDataModule) else self.datamodule(trial)
                trainer.fit(module, datamodule=datamodule)
            else:
                trainer.fit(module, train_dataloaders=self.train_dataloaders, val_dataloaders=self.val_dataloaders)
        logged = {name: as_finite_float(value) for name, value in trainer.callback_metrics.items()}
        for name, value in logged.items():
            if name != self.monitor and value is not None:
                trial.set_user_attr(name, value)
        if self.monitor not in logged:
            raise ConfigError(f"LightningObjective: monitor {self.monitor!r} is not a logged metric; "
                              f"the module logs: {', '.join(sorted(logged)) or 'nothing'}")
        return float(trainer.callback_metrics[self.monitor])


@contextmanager
def _quiet() -> Iterator[None]:
    """Lightning's start-up notices (accelerator, devices) below warnings while the trainer is built and runs."""
    logger = logging.getLogger("lightning.pytorch")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)
