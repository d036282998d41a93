"""``TrainingObjective``: build the model a trial describes, train it, return the chosen metric.

Usable as ``study.optimize(TrainingObjective(dataset="digits", model="mlp"), space)`` or from a
config as ``objective: {type: train, dataset: digits, model: cnn, epochs: 5}``.

How trial parameters are read (after renaming by ``aliases``, e.g. ``{arch: layers}``):

- ``model``: the builder's name (``cnn``, ``mlp``, ``chain`` or a registered one), when searched;
- a :class:`TrainConfig` field (``lr``, ``optimizer``, ``momentum``, ``nesterov``, ``weight_decay``,
  ``batch_size``, ``epochs``, ``schedule``, ``warmup_epochs``, ``label_smoothing``, ``grad_clip``,
  ``loss``, ``focal_gamma``, ``class_weights``, ``early_stopping``, ``switch_to_sgd``, ``sgd_lr`` ...)
  goes to the Trainer;
- an option of the model builder (``cnn``: blocks, channels, convs_per_block, dense, dropout,
  batch_norm, activation; ``mlp``: width, depth, dropout, batch_norm, activation; ``chain``: layers)
  goes to the model;
- ``prune_<option>`` (``prune_amount``, ``prune_method``, ...): a :class:`~hypernas.estimate.train.pruning.PruneConfig`
  option; the trained network is then pruned (and fine-tuned) before it is scored, as with the ``prune`` option.

Any other parameter is an error (a FAILED trial naming it), so a typo never goes unnoticed.

The trained network is kept in the study's record (``save_weights``: the best trial's by default, see
:mod:`~hypernas.estimate.train.trial_weights`), for ``hypernas export-model`` and ``hypernas prune``. With
``inherit=True`` a candidate that a strategy derived from an evaluated trial (evolution, NEAT, local
search, predictor-guided mutation, morphism hill climbing) starts from that parent's trained weights
wherever they fit (every trial then keeps its network), and ``frozen_epochs`` trains only its new parts
first (incremental training). The record says what was inherited (``inherited``) and what the training
cost (``epochs_trained``, ``train_seconds``). With ``prune`` (or searched ``prune_*`` parameters) the
trained network is pruned and fine-tuned, its metrics are those of the pruned network, and the record
holds the parameters, FLOPs and latency before and after (``params_before``, ``latency_ms_after``...).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hypernas.errors import ConfigError, HypernasError, ObjectiveError, TrialPruned
from hypernas.estimate.local_lock import LocalLock
from hypernas.estimate.models import MODELS, build_model, count_flops, count_params, measure_latency
from hypernas.estimate.models.export import ModelManifest
from hypernas.estimate.train.augment import make_augment
from hypernas.estimate.train.config import TrainConfig, _plain, field_names
from hypernas.estimate.train.datasets import DATASETS, Dataset, DataSource, load_dataset
from hypernas.estimate.train.inherit import Inheritance, inherit
from hypernas.estimate.train.pruning import PruneConfig, prune_and_finetune
from hypernas.estimate.train.splits import Splits, make_splits
from hypernas.estimate.train.trainer import Trainer, resolve_device, seeded
from hypernas.estimate.train.trial_weights import SAVE_WEIGHTS, keep_network, parent_network
from hypernas.space import Space
from hypernas.validate import check_choice, check_number

PRUNE_PARAMS = {f"prune_{name}": name for name in PruneConfig.__dataclass_fields__}
"""Trial parameters that set a pruning option (``prune_amount`` -> ``amount``): pruning searched like any option."""

logger = logging.getLogger("hypernas")

# metric -> direction; val_* metrics are those of the best validation epoch (of the pruned network, when pruned)
METRICS: dict[str, str] = {
    "val_accuracy": "maximize", "val_macro_f1": "maximize", "val_loss": "minimize",
    "test_accuracy": "maximize", "test_macro_f1": "maximize", "test_loss": "minimize",
    "params": "minimize", "flops": "minimize", "latency_ms": "minimize",
}


class TrainingObjective(LocalLock):
    """Train the candidate of each trial on a dataset and score it.

    ``dataset``: a name (``digits``, ``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``folder``),
    or a :class:`Dataset`, :class:`DataSource` or :class:`Splits` of your own. ``metric``: one name of
    :data:`METRICS` or a list of them (the objective then returns a dict). Other keyword options are
    :class:`TrainConfig` fields or options of the model builder: defaults that trial parameters override. ``checkpoint_dir`` keeps one checkpoint
    per trial (``DIR/<study>/trial-<n>.pt``) so an interrupted or re-queued trial continues where it stopped.
    ``save_weights`` (``best``, ``all``, ``none``) says which trials keep their trained network in the study's
    record; ``inherit`` starts a derived candidate from its parent's (see this module's docstring).
    """

    def __init__(self, dataset: str | Dataset | DataSource | Splits = "digits", model: str = "mlp", *,
                 metric: str | Sequence[str] = "val_accuracy", data_root: str | os.PathLike | None = None,
                 download: bool = True, dataset_options: Mapping[str, Any] | None = None,
                 val_fraction: float = 0.15, test_fraction: float = 0.15, split_seed: int = 0,
                 train_size: int | float | None = None, val_size: int | float | None = None,
                 test_size: int | float | None = None, model_options: Mapping[str, Any] | None = None,
                 augment: Any = None, aliases: Mapping[str, str] | None = None,
                 checkpoint_dir: str | os.PathLike | None = None, keep_checkpoints: bool = False,
                 measure_latency: bool = True, save_weights: str = "best", inherit: bool = False,
                 prune: Mapping[str, Any] | None = None, **train_options: Any) -> None:
        if isinstance(dataset, str):
            try:
                DATASETS.get(dataset)
            except ConfigError as exc:
                raise ObjectiveError(f"objective 'train': {exc}") from None
            _check_dataset_options(dataset, dataset_options)
        elif not isinstance(dataset, (Dataset, DataSource, Splits)):
            raise ObjectiveError(f"objective 'train': dataset must be a name or a Dataset/DataSource/Splits, got {dataset!r}")
        self.metrics = [metric] if isinstance(metric, str) else list(metric)
        if not self.metrics:
            raise ObjectiveError(f"objective 'train': metric must name at least one of {', '.join(METRICS)}, got {metric!r}")
        for m in self.metrics:
            check_choice("objective 'train'", "metric", m, list(METRICS), error=ObjectiveError)
        self.model = model
        self.model_options = dict(model_options or {})
        self.aliases = _checked_aliases(aliases)
        for name, fraction in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
            check_number("objective 'train'", name, fraction, 0.0, 1.0, high_open=True, error=ObjectiveError)
        try:
            accepted = MODELS.options(model)
            for key in [k for k in train_options if k in accepted and k not in field_names()]:
                self.model_options[key] = train_options.pop(key)
            unknown = [k for k in self.model_options if k not in accepted]
            if unknown:
                raise ObjectiveError(f"objective 'train': model {model!r}: unknown option {unknown[0]!r}; "
                                     f"allowed: {', '.join(accepted)}")
            self.augment = make_augment(augment)
            monitor = next((m[4:] for m in self.metrics if m.startswith("val_")), "accuracy")
            self.train_options = {"monitor": monitor, **train_options}
            TrainConfig.from_options(self.train_options)
            resolve_device(str(self.train_options.get("device", "auto")))
        except ObjectiveError:
            raise
        except ConfigError as exc:
            raise ObjectiveError(f"objective 'train': {exc}") from None
        self.dataset = dataset
        self.data_options = {"root": data_root, "download": download, **dict(dataset_options or {})}
        self.split_options: dict[str, Any] = {"val_fraction": val_fraction, "test_fraction": test_fraction, "seed": split_seed,
                              "train_size": train_size, "val_size": val_size, "test_size": test_size}
        self.save_weights = check_choice("objective 'train'", "save_weights", save_weights, SAVE_WEIGHTS,
                                         error=ObjectiveError)
        if not isinstance(inherit, bool):
            raise ObjectiveError(f"objective 'train': inherit must be true or false, got {inherit!r}")
        if inherit and save_weights == "none":
            raise ObjectiveError("objective 'train': inherit needs the parents' weights kept; with inherit: true, "
                                 "save_weights must be 'all' or 'best' (which then keeps every trial's)")
        self.inherit = inherit
        if prune is not None and not isinstance(prune, Mapping):
            raise ObjectiveError(f"objective 'train': prune must be a mapping of pruning options, e.g. "
                                 f"{{method: channel, amount: 0.5}}, got {prune!r}")
        self.prune = dict(prune) if prune is not None else None
        if self.prune is not None:
            try:
                PruneConfig.from_options(self.prune)
            except ConfigError as exc:
                raise ObjectiveError(f"objective 'train': {exc}") from None
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.keep_checkpoints = keep_checkpoints
        self.measure_latency = measure_latency
        self._splits: Splits | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (for worker processes): the lock and data loaded by name stay behind; a worker reloads."""
        state = super().__getstate__()
        if isinstance(self.dataset, str):
            state["_splits"] = None
        return state

    @property
    def directions(self) -> list[str]:
        """The direction of each returned metric, for ``create_study(directions=...)``."""
        return [METRICS[m] for m in self.metrics]

    def splits(self) -> Splits:
        """The train/validation/test splits, loaded once and shared by all trials."""
        with self._lock:
            if self._splits is None:
                data = self.dataset
                if isinstance(data, str):
                    data = load_dataset(data, **self.data_options)
                self._splits = data if isinstance(data, Splits) else make_splits(data, **self.split_options)
            return self._splits

    def check_space(self, space: Space) -> None:
        """Refuse, before any trial runs, a space with a parameter this objective does not read, or a model
        choice that is not a registered model."""
        keys = {name: self.aliases.get(name, name) for name in space.names}
        chooser = next((name for name, key in keys.items() if key == "model"), None)
        models = space[chooser].grid() if chooser is not None else [self.model]
        for model in models:
            try:
                MODELS.get(str(model))
            except ConfigError as exc:
                raise ObjectiveError(f"objective 'train': parameter {chooser!r}: {exc}") from None
            read = [key for name, key in keys.items()  # those that can be active with this model
                    if chooser is None or chooser not in space[name].when or model in space[name].when[chooser]]
            self._unread(read, str(model))

    def _unread(self, keys: Sequence[str], model: str) -> None:
        """Raise for the first of ``keys`` that is neither a training or pruning option nor an option of ``model``."""
        accepted = MODELS.options(model)
        fields = set(field_names()) | set(PRUNE_PARAMS)
        for key in keys:
            if key != "model" and key not in fields and key not in accepted:
                raise ObjectiveError(f"trial parameter {key!r} is not read by the train objective: it is neither a "
                                     f"training option ({', '.join(sorted(fields))}) nor an option of model "
                                     f"{model!r} ({', '.join(accepted)}); rename it with aliases=")

    def prune_config(self, params: Mapping[str, Any]) -> PruneConfig | None:
        """How a trial's network is pruned after training: the ``prune`` option with the trial's ``prune_*``
        parameters (e.g. a searched ``prune_amount``); None when neither asks for pruning."""
        params = {self.aliases.get(k, k): v for k, v in params.items()}
        searched = {PRUNE_PARAMS[k]: v for k, v in params.items() if k in PRUNE_PARAMS}
        if self.prune is None and not searched:
            return None
        try:
            return PruneConfig.from_options({**(self.prune or {}), **searched})
        except ConfigError as exc:
            raise ObjectiveError(f"objective 'train': {exc}") from None

    def configure(self, params: Mapping[str, Any]) -> tuple[str, dict[str, Any], TrainConfig]:
        """``(model name, model options, train config)`` for a trial's parameters."""
        params = {self.aliases.get(k, k): v for k, v in params.items()}
        model = params.pop("model", self.model)
        accepted = MODELS.options(model)
        model_kwargs = {k: v for k, v in self.model_options.items() if k in accepted}
        train = dict(self.train_options)
        fields = set(field_names())
        self._unread(list(params), model)
        for key, value in params.items():
            if key in fields:
                train[key] = value
            elif key in accepted:
                model_kwargs[key] = list(value) if isinstance(value, tuple) else value
        return model, model_kwargs, TrainConfig.from_options(train)

    def __call__(self, trial: Any) -> float | dict[str, float]:
        model_name, model_kwargs, config = self.configure(dict(trial.params))
        splits = self.splits()
        with seeded(config.seed, resolve_device(config.device), exclusive=True):
            model = build_model(model_name, splits.input_shape, splits.num_classes, **model_kwargs)
        inherited = self._inherit(trial, model, config.seed) if self.inherit else None
        trainer = Trainer(model, config, augment=self.augment, frozen=inherited.frozen if inherited else ())
        path = self._checkpoint_path(trial)
        started = time.perf_counter()
        try:
            result = trainer.fit(splits.train, splits.val, trial=trial, checkpoint=path)
        except TrialPruned:
            self._discard(trial, path)
            raise
        seconds = time.perf_counter() - started
        pruning = self.prune_config(trial.params)
        if pruning is not None:
            pruned = prune_and_finetune(model, splits, config, pruning, augment=self.augment)
            result.best = {f"val_{k}": v for k, v in trainer.evaluate(splits.val).items()}  # of the pruned network
            pruned_record = pruned.to_dict()
        test = trainer.evaluate(splits.test)
        values: dict[str, Any] = {
            **result.best,
            "test_accuracy": test["accuracy"], "test_macro_f1": test["macro_f1"], "test_loss": test["loss"],
            "test_per_class_accuracy": test["per_class_accuracy"],
            "params": count_params(model), "flops": count_flops(model, splits.input_shape),
            "best_epoch": result.best_epoch, "epochs_trained": result.epochs_trained,
            "train_seconds": seconds, "resumed_from_epoch": result.resumed_from,
            "stopped_early": result.stopped_early, "switched_to_sgd_at": result.switched_to_sgd_at,
        }
        if self.measure_latency:
            values["latency_ms"] = measure_latency(model, splits.input_shape, repeats=10)
        if pruning is not None:
            values.update(pruned_record)
        if inherited is not None:
            values["inherited"] = inherited.record()
            values["frozen_epochs"] = config.frozen_epochs
        setter = getattr(trial, "set_user_attr", None)
        if setter is not None:
            for key, value in values.items():
                setter(key, value)
        self._discard(trial, path)
        out = {}
        for m in self.metrics:
            if m not in values:
                raise ObjectiveError(f"metric {m!r} was not measured (latency needs measure_latency=True)")
            v = float(values[m])
            if not math.isfinite(v):
                raise FloatingPointError(f"metric {m!r} is {v}: the training diverged")
            out[m] = v
        first = self.metrics[0]
        manifest = ModelManifest(model_name, splits.input_shape, splits.num_classes, options=model_kwargs,
                                 params={k: _plain(v) for k, v in trial.params.items()}, metrics=out,
                                 pruned=pruning is not None and pruning.method == "channel")
        policy = self.save_weights
        if policy == "best" and (self.inherit or len(self.metrics) > 1):  # parents are any trial; no one best
            policy = "all"
        keep_network(trial, model, manifest, policy, METRICS[first] == "maximize", out[first])
        return out[first] if len(self.metrics) == 1 else out

    def _inherit(self, trial: Any, model: Any, seed: int) -> Inheritance | None:
        """Start ``model`` from the recorded parent's trained weights where they fit; None without a parent."""
        try:
            found = parent_network(trial)
        except HypernasError as exc:  # a parent that does not rebuild: the child starts fresh, and says why
            logger.warning("trial %s: the parent's network cannot be inherited: %s", getattr(trial, "number", "?"), exc)
            return Inheritance(int(trial.parent), params_total=count_params(model), error=str(exc))
        if found is None:
            return None
        number, kept = found
        if kept is None:  # the parent failed, was pruned, or its weights were not kept
            return Inheritance(number, params_total=count_params(model))
        return inherit(kept[0], model, number, np.random.default_rng([seed, int(trial.number)]))

    def _checkpoint_path(self, trial: Any) -> Path | None:
        """``DIR/<study>/trial-<n>.pt``; a re-queued trial starts from the checkpoint of the trial it replaces."""
        if self.checkpoint_dir is None:
            return None
        study = getattr(getattr(trial, "study", None), "name", None) or "study"
        path = self.checkpoint_dir / folder_name(str(study)) / f"trial-{trial.number}.pt"
        origin = self._origin_checkpoint(trial, path)
        if not path.exists() and origin != path and origin.exists():
            shutil.copyfile(origin, path)
        return path

    def _discard(self, trial: Any, path: Path | None) -> None:
        """Remove a finished trial's checkpoint (and the one it resumed from) unless ``keep_checkpoints``."""
        if path is not None and not self.keep_checkpoints:
            path.unlink(missing_ok=True)
            self._origin_checkpoint(trial, path).unlink(missing_ok=True)

    @staticmethod
    def _origin_checkpoint(trial: Any, path: Path) -> Path:
        """The checkpoint of the trial this one re-runs (``requeued_from``), else ``path`` itself."""
        snapshot = getattr(trial, "snapshot", None)
        origin = snapshot().system_attrs.get("requeued_from") if callable(snapshot) else None
        return path if origin is None else path.with_name(f"trial-{origin}.pt")


def _check_dataset_options(dataset: str, options: Mapping[str, Any] | None) -> None:
    if options is None:
        return
    if not isinstance(options, Mapping):
        raise ObjectiveError(f"objective 'train': dataset_options must be a mapping of option to value, got {options!r}")
    if DATASETS.takes_any_option(dataset):
        return
    accepted = [o for o in DATASETS.options(dataset) if o not in ("root", "download")]
    unknown = [k for k in options if k not in accepted]
    if unknown:
        raise ObjectiveError(f"objective 'train': dataset {dataset!r}: unknown option {unknown[0]!r}; "
                             f"allowed: {', '.join(accepted) or 'none'} (and data_root, download)")


def _checked_aliases(aliases: Any) -> dict[str, str]:
    if aliases is None:
        return {}
    if not isinstance(aliases, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()):
        raise ObjectiveError(f"objective 'train': aliases must map parameter names to option names, e.g. "
                             f"{{arch: layers}}, got {aliases!r}")
    return dict(aliases)


def folder_name(name: str) -> str:
    """A folder name for a study that stays inside its parent whatever the study is called (``..``,
    ``/etc``, separators): other characters become ``_``, leading dots go, and a name that had to change
    gets a short hash of the original, so two studies never share a folder."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).lstrip(".")
    if safe == name:
        return name
    return f"{safe or 'study'}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
