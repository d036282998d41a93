"""The Trainer: fit a classifier on in-memory tensors, report every epoch to a trial, resume from checkpoints.

One epoch = shuffle (seeded), batches through augmentation, forward, loss, backward, clipping,
step and a per-step learning rate; then the validation split is evaluated, the monitored metric is
reported with ``trial.report(epoch, value)`` (epochs count from 1), a checkpoint is written, and
``trial.should_prune()`` may stop the run by raising :class:`hypernas.TrialPruned`.

The trial is duck-typed (``report``, ``should_prune``); this module never imports the study.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import nn

from hypernas.errors import ConfigError, TrialPruned
from hypernas.estimate.models.ops import SeededDropout
from hypernas.estimate.train.augment import Augment, make_augment
from hypernas.estimate.train.checkpoint import load_checkpoint, save_checkpoint
from hypernas.estimate.train.config import TrainConfig
from hypernas.estimate.train.datasets import Dataset
from hypernas.estimate.train.losses import class_weights, make_loss
from hypernas.estimate.train.metrics import confusion_matrix, summarize
from hypernas.estimate.train.optim import make_optimizer, swats_sgd_lr
from hypernas.estimate.train.schedules import make_schedule


class ReportingTrial(Protocol):
    """What the Trainer needs from a trial."""

    def report(self, step: int, value: float) -> None: ...

    def should_prune(self) -> bool: ...


EpochCallback = Callable[[int, Mapping[str, Any]], None]
_NO_AUTOCAST = contextlib.nullcontext()


@dataclass
class FitResult:
    """What a run produced: one record per epoch, the best epoch and its validation metrics."""

    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    best: dict[str, Any] = field(default_factory=dict)
    stopped_early: bool = False
    switched_to_sgd_at: int | None = None
    resumed_from: int = 0

    @property
    def epochs_trained(self) -> int:
        return len(self.history)


_GLOBAL_RNG = threading.RLock()
"""Held while torch's global generators are seeded or restored, and through a model's construction, so that
trials in threads build their models from their own seed (see :func:`seeded`)."""


@contextlib.contextmanager
def seeded(seed: int, device: torch.device | None = None, *, exclusive: bool = False) -> Iterator[None]:
    """Seed torch's global generator(s) inside the block and restore the caller's state after it.

    ``exclusive`` holds the process's generator lock for the whole block (a model's construction), so a
    trial in another thread cannot reseed the global generator meanwhile; otherwise it is held only while
    seeding and restoring (a training, whose own randomness draws from per-run generators).
    """
    devices = [device.index or 0] if device is not None and device.type == "cuda" else []
    with _GLOBAL_RNG if exclusive else contextlib.nullcontext():
        with _GLOBAL_RNG:
            saved = torch.get_rng_state(), [torch.cuda.get_rng_state(d) for d in devices]
            torch.manual_seed(seed)
        try:
            yield
        finally:
            with _GLOBAL_RNG:
                torch.set_rng_state(saved[0])
                for d, state in zip(devices, saved[1], strict=True):
                    torch.cuda.set_rng_state(state, d)


def resolve_device(spec: str) -> torch.device:
    """``"auto"``: the GPU when CUDA is present, else the CPU; otherwise a torch device string."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(spec)
    except (RuntimeError, TypeError):
        raise ConfigError(f"device {spec!r} is not a torch device; use 'auto', 'cpu' or 'cuda[:N]'") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {spec!r} asked for, but CUDA is not available here; use 'auto' or 'cpu'")
    return device


def as_float(x: torch.Tensor) -> torch.Tensor:
    """Images stored as uint8 become floats in [0, 1]; float data is used as it is."""
    return x.float().div_(255.0) if x.dtype == torch.uint8 else x.float()


class Trainer:
    """Trains ``model`` with a :class:`TrainConfig` (or keyword overrides of its fields) and an augmentation pipeline.

    ``callbacks`` are called as ``callback(epoch, record)`` after each epoch's checkpoint, with the
    epoch's record (``train_loss``, ``val_accuracy``, ``val_loss``, ``val_macro_f1``, ``lr``, ``optimizer``).
    ``frozen`` names parameters of ``model`` that stay fixed during the first ``config.frozen_epochs`` epochs.
    """

    def __init__(self, model: nn.Module, config: TrainConfig | None = None, *,
                 augment: Augment | Sequence[Any] | None = None, callbacks: Sequence[EpochCallback] = (),
                 frozen: Collection[str] = (), **options: Any) -> None:
        base = config.to_dict() if config is not None else {}
        self.config = TrainConfig.from_options({**base, **options})
        self.model = model
        named = dict(model.named_parameters())
        unknown = [name for name in frozen if name not in named]
        if unknown:
            raise ConfigError(f"frozen parameter {unknown[0]!r} is not a parameter of the model")
        self.frozen = [named[name] for name in frozen]
        self.augment = make_augment(augment)
        self.callbacks = list(callbacks)
        self.device = resolve_device(self.config.device)
        self.amp = self.config.amp is True or (self.config.amp == "auto" and self.device.type == "cuda")
        self._fits: tuple[tuple[int, ...], int] | None = None
        self.model.to(self.device)

    # --- evaluation -------------------------------------------------------------------------
    def _batch(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(self.device, non_blocking=True)

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if not self.amp:
            return _NO_AUTOCAST
        dtype = torch.float16 if self.device.type == "cuda" else torch.bfloat16
        return torch.autocast(self.device.type, dtype=dtype)

    def evaluate(self, data: Dataset) -> dict[str, Any]:
        """Accuracy, per-class accuracy, macro-F1 and mean (unweighted, unsmoothed) cross-entropy on ``data``."""
        self._check_fits(data)
        was_training = self.model.training
        self.model.eval()
        k = data.num_classes
        cm = torch.zeros(k, k, dtype=torch.long, device=self.device)
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)
        bs = self.config.eval_batch_size
        try:
            with torch.inference_mode():
                for start in range(0, len(data), bs):
                    xb = self.augment(as_float(self._batch(data.x[start:start + bs])), train=False)
                    yb = self._batch(data.y[start:start + bs])
                    with self._autocast():
                        logits = self.model(xb)
                    logits = logits.float()
                    loss_sum += F.cross_entropy(logits, yb, reduction="sum").double()
                    cm += confusion_matrix(logits.argmax(1), yb, k)
        finally:
            self.model.train(was_training)
        return summarize(cm, float(loss_sum), len(data))

    def _check_fits(self, data: Dataset) -> None:
        """A clear error when the model does not take the data's samples or has the wrong number of outputs."""
        if self._fits == (data.input_shape, data.num_classes):
            return
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                out = self.model(self.augment(as_float(self._batch(data.x[:2])), train=False))
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"the model does not fit dataset {data.name!r} with samples of shape "
                              f"{data.input_shape}: {first}") from None
        finally:
            self.model.train(was_training)
        if out.ndim != 2 or out.shape[1] != data.num_classes:
            raise ConfigError(f"the model gives outputs of shape {tuple(out.shape[1:])} but dataset {data.name!r} "
                              f"has {data.num_classes} classes; the model must end with {data.num_classes} outputs")
        self._fits = (data.input_shape, data.num_classes)

    # --- training ---------------------------------------------------------------------------
    def fit(self, train: Dataset, val: Dataset, *, trial: ReportingTrial | None = None,
            checkpoint: str | os.PathLike | None = None) -> FitResult:
        """Train for ``config.epochs`` (or until early stopping), keeping the best epoch's weights.

        With ``checkpoint``, the state is saved there after every epoch and a run that finds a
        checkpoint continues after its last epoch (a finished run just returns its result).
        """
        if train.num_classes != val.num_classes or train.input_shape != val.input_shape:
            raise ConfigError(f"training and validation data differ: {train.input_shape} with {train.num_classes} "
                              f"classes vs {val.input_shape} with {val.num_classes}")
        if len(train) < 2:
            raise ConfigError(f"the training split has {len(train)} sample(s); at least 2 are needed")
        self._check_fits(train)
        with seeded(self.config.seed, self.device):
            return _Run(self, train, val, trial, checkpoint).run()


class _Run:
    """The state of one ``fit`` call, so that it can be checkpointed and resumed."""

    def __init__(self, trainer: Trainer, train: Dataset, val: Dataset, trial: ReportingTrial | None,
                 checkpoint: str | os.PathLike | None) -> None:
        cfg = trainer.config
        self.t, self.cfg, self.train, self.val, self.trial, self.checkpoint = trainer, cfg, train, val, trial, checkpoint
        self.model = trainer.model
        weight = class_weights(cfg.class_weights, train.y, train.num_classes)
        self.criterion = make_loss(cfg.loss, weight=weight, label_smoothing=cfg.label_smoothing,
                                   focal_gamma=cfg.focal_gamma).to(trainer.device)
        self.optimizer_name = cfg.optimizer
        self.base_lr = cfg.lr
        self.optimizer = self._optimizer(cfg.optimizer, cfg.lr)
        self.schedule = make_schedule(cfg.schedule, epochs=cfg.epochs, warmup_epochs=cfg.warmup_epochs)
        self.scaler = torch.amp.GradScaler("cuda") if trainer.amp and trainer.device.type == "cuda" else None
        self.shuffle_gen = torch.Generator().manual_seed(cfg.seed)
        self.augment_gen = torch.Generator().manual_seed(cfg.seed + 1)
        self.dropout_gen = torch.Generator(trainer.device).manual_seed(cfg.seed + 2)
        for module in self.model.modules():  # the built-in models' dropout draws from this run's own generator
            if isinstance(module, SeededDropout):
                module.generator = self.dropout_gen
        self.result = FitResult()
        self.best_value = -math.inf if cfg.maximize else math.inf
        self.best_state: dict[str, torch.Tensor] | None = None
        self.bad_epochs = 0
        self.swats_best, self.swats_bad = math.inf, 0
        self.x_train = train.x.to(trainer.device)
        self.y_train = train.y.to(trainer.device)

    def _optimizer(self, name: str, lr: float) -> torch.optim.Optimizer:
        c = self.cfg
        return make_optimizer(name, self.model.parameters(), lr=lr, momentum=c.momentum, nesterov=c.nesterov,
                              weight_decay=c.weight_decay)

    def run(self) -> FitResult:
        start = self._resume()
        if start is None:
            return self.result
        try:
            return self._epochs(start)
        finally:
            for p in self.t.frozen:
                p.requires_grad_(True)

    def _epochs(self, start: int) -> FitResult:
        for epoch in range(start, self.cfg.epochs + 1):
            train_loss = self._train_epoch(epoch)
            metrics = self.t.evaluate(self.val)
            record = {"epoch": epoch, "train_loss": train_loss, "val_accuracy": metrics["accuracy"],
                      "val_loss": metrics["loss"], "val_macro_f1": metrics["macro_f1"],
                      "lr": self.optimizer.param_groups[0]["lr"], "optimizer": self.optimizer_name}
            self.result.history.append(record)
            if not (math.isfinite(train_loss) and math.isfinite(metrics["loss"])):
                raise FloatingPointError(f"training diverged at epoch {epoch}: training loss {train_loss}, validation "
                                         f"loss {metrics['loss']}; lower the learning rate or clip gradients")
            done = self._epoch_end(epoch, metrics)
            value = metrics[self.cfg.monitor]
            if self.trial is not None:
                self.trial.report(epoch, value)
            if done or epoch == self.cfg.epochs:
                self._finish()
            self._save(finished=done or epoch == self.cfg.epochs)
            for callback in self.t.callbacks:
                callback(epoch, record)
            if self.trial is not None and not (done or epoch == self.cfg.epochs) and self.trial.should_prune():
                raise TrialPruned(f"pruned after epoch {epoch} with validation {self.cfg.monitor} {value:.6g}")
            if done:
                break
        return self.result

    def _train_epoch(self, epoch: int) -> float:
        model, opt, cfg = self.model, self.optimizer, self.cfg
        for p in self.t.frozen:  # incremental training: inherited parts wait while the new ones catch up
            p.requires_grad_(epoch > cfg.frozen_epochs)
        model.train()
        n = len(self.y_train)
        order = torch.randperm(n, generator=self.shuffle_gen).to(self.t.device)
        bs = cfg.batch_size
        starts = [s for s in range(0, n, bs) if n - s > 1 or s == 0]  # a lone last sample would break batch norm
        losses: list[torch.Tensor] = []  # kept on the device: no synchronization per step
        amp = self.t._autocast
        for b, s in enumerate(starts):
            idx = order[s:s + bs]
            xb = as_float(self.x_train[idx])
            if self.t.augment:
                xb = self.t.augment(xb, self.augment_gen, train=True)
            yb = self.y_train[idx]
            lr = self.base_lr * self.schedule(epoch - 1 + b / len(starts), 1 / len(starts))
            for group in opt.param_groups:
                if group["lr"] != lr:
                    group["lr"] = lr
            opt.zero_grad(set_to_none=True)
            with amp():
                loss = self.criterion(model(xb), yb)
            if self.scaler is not None:
                self.scaler.scale(loss).backward()
                if cfg.grad_clip is not None:
                    self.scaler.unscale_(opt)
                    nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                self.scaler.step(opt)
                self.scaler.update()
            else:
                loss.backward()
                if cfg.grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                opt.step()
            losses.append(loss.detach())
        sizes = torch.tensor([min(bs, n - s) for s in starts], dtype=torch.float64, device=self.t.device)
        return float((torch.stack(losses).double() * sizes).sum() / sizes.sum())

    def _epoch_end(self, epoch: int, metrics: Mapping[str, Any]) -> bool:
        """Track the best epoch, the schedules and the switches; True when early stopping ends the run."""
        cfg = self.cfg
        value = metrics[cfg.monitor]
        improved = value > self.best_value if cfg.maximize else value < self.best_value
        if improved:
            self.best_value, self.bad_epochs = value, 0
            self.result.best_epoch = epoch
            self.result.best = {f"val_{k}": v for k, v in metrics.items()}
            if cfg.restore_best:
                self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        else:
            self.bad_epochs += 1
        self.schedule.epoch_end(metrics["loss"])
        if cfg.switch_to_sgd is not None and self.optimizer_name in ("adam", "adamw"):
            if metrics["loss"] < self.swats_best:
                self.swats_best, self.swats_bad = metrics["loss"], 0
            else:
                self.swats_bad += 1
            if self.swats_bad >= cfg.switch_to_sgd:
                lr = cfg.sgd_lr or swats_sgd_lr(self.optimizer, cfg.momentum) or self.base_lr
                self.optimizer_name, self.base_lr = "sgd", lr
                self.optimizer = self._optimizer("sgd", lr)
                self.result.switched_to_sgd_at = epoch
        if cfg.early_stopping is not None and self.bad_epochs >= cfg.early_stopping:
            self.result.stopped_early = True
            return True
        return False

    def _finish(self) -> None:
        if self.cfg.restore_best and self.best_state is not None:
            self.model.load_state_dict(self.best_state)

    # --- checkpoints ------------------------------------------------------------------------
    def _state(self, finished: bool) -> dict[str, Any]:
        state: dict[str, Any] = {
            "config": self.cfg.to_dict(), "finished": finished, "model": self.model.state_dict(),
            "optimizer_name": self.optimizer_name, "base_lr": self.base_lr, "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(), "best_value": self.best_value, "best_state": self.best_state,
            "bad_epochs": self.bad_epochs, "swats": [self.swats_best, self.swats_bad],
            "result": {"history": self.result.history, "best_epoch": self.result.best_epoch, "best": self.result.best,
                       "stopped_early": self.result.stopped_early,
                       "switched_to_sgd_at": self.result.switched_to_sgd_at},
            "rng": {"torch": torch.get_rng_state(), "shuffle": self.shuffle_gen.get_state(),
                    "augment": self.augment_gen.get_state(), "dropout": self.dropout_gen.get_state()},
        }
        if self.t.device.type == "cuda":
            state["rng"]["cuda"] = torch.cuda.get_rng_state(self.t.device)
        if self.scaler is not None:
            state["scaler"] = self.scaler.state_dict()
        return state

    def _save(self, finished: bool) -> None:
        if self.checkpoint is not None:
            save_checkpoint(self.checkpoint, self._state(finished))

    def _resume(self) -> int | None:
        """The first epoch to train (1 without a checkpoint), or None when the checkpointed run had finished."""
        state = load_checkpoint(self.checkpoint) if self.checkpoint is not None else None
        if state is None:
            return 1
        saved = dict(state["config"])
        current = self.cfg.to_dict()
        differing = sorted(k for k in current if k not in ("device", "amp", "eval_batch_size") and saved.get(k) != current[k])
        if differing:
            raise ConfigError(f"checkpoint {self.checkpoint} was written with a different training config "
                              f"({differing[0]}: {saved.get(differing[0])!r} there, {current[differing[0]]!r} now); "
                              "delete it or use another checkpoint path")
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError as exc:
            raise ConfigError(f"checkpoint {self.checkpoint} holds a different model: "
                              f"{str(exc).strip().splitlines()[0]}") from None
        self.optimizer_name, self.base_lr = state["optimizer_name"], state["base_lr"]
        self.optimizer = self._optimizer(self.optimizer_name, self.base_lr)
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.best_value, self.best_state = state["best_value"], state["best_state"]
        if self.best_state is not None:
            self.best_state = {k: v.to(self.t.device) for k, v in self.best_state.items()}
        self.bad_epochs = state["bad_epochs"]
        self.swats_best, self.swats_bad = state["swats"]
        saved_result = state["result"]
        self.result = FitResult(history=list(saved_result["history"]), best_epoch=saved_result["best_epoch"],
                                best=dict(saved_result["best"]), stopped_early=saved_result["stopped_early"],
                                switched_to_sgd_at=saved_result["switched_to_sgd_at"])
        self.result.resumed_from = len(self.result.history)
        torch.set_rng_state(state["rng"]["torch"])
        self.shuffle_gen.set_state(state["rng"]["shuffle"])
        self.augment_gen.set_state(state["rng"]["augment"])
        if "dropout" in state["rng"]:  # checkpoints written before the dropout generator existed lack it
            self.dropout_gen.set_state(state["rng"]["dropout"])
        if "cuda" in state["rng"] and self.t.device.type == "cuda":
            torch.cuda.set_rng_state(state["rng"]["cuda"], self.t.device)
        if self.scaler is not None and "scaler" in state:
            self.scaler.load_state_dict(state["scaler"])
        if self.trial is not None:
            for record in self.result.history:
                self.trial.report(record["epoch"], record[f"val_{self.cfg.monitor}"])
        return None if state["finished"] else self.result.resumed_from + 1
