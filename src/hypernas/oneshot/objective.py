"""``OneShotObjective``: a one-shot search as a trial — search a supernet, then train the derived cell from scratch.

Usable as ``study.optimize(OneShotObjective(DARTSSearch(order=2, epochs=50)), {"seed": 0}, n_trials=1)`` or from
a run config as ``oneshot: {type: darts, order: 2, epochs: 50, dataset: digits, final_epochs: 20}``.

Each trial loads the dataset's splits as the training objective does, cuts the training split in two seeded,
class-stratified halves (the search trains the supernet's weights on one and its architecture on the other),
records the architecture weights of every epoch (:meth:`Trial.record_arch_weights`, drawn by the report) and the
search's validation loss (DARTS) or accuracy (ENAS) as the intermediate value, then trains the derived network from scratch with the
:class:`~hypernas.estimate.train.Trainer` and returns its validation accuracy (the supernet's own, without
``final_epochs``). A trial's parameters override the search's options (``seed``, ``arch_lr``, ``beta_decay`` ...).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hypernas.errors import ConfigError, ObjectiveError
from hypernas.estimate.train.config import TrainConfig
from hypernas.estimate.train.datasets import Dataset, DataSource
from hypernas.estimate.train.objective import TrainingObjective, folder_name
from hypernas.estimate.train.splits import Splits, stratified_indices
from hypernas.estimate.train.trainer import Trainer, resolve_device
from hypernas.oneshot.data import as_tensors
from hypernas.oneshot.registry import SEARCHES, split_options
from hypernas.oneshot.supernet import Supernet, darts_supernet, nb201_supernet
from hypernas.registry import signature_options
from hypernas.space import Space
from hypernas.space.arch.darts import DARTS_OPS
from hypernas.space.arch.nb201 import NB201_OPS
from hypernas.validate import check_bool, check_choice, check_int, check_seed

OWNER = "objective 'oneshot'"
SPACES = ("nb201", "darts")


class OneShotObjective:
    """Search a supernet with ``search`` (a search object, or a name or ``{type: darts, ...}`` spec of
    :data:`~hypernas.oneshot.registry.SEARCHES`), then train the derived architecture for ``final_epochs``.

    ``space``: ``nb201`` (``channels``, ``cells`` per stage) or ``darts`` (``channels``, ``layers``, ``steps``);
    ``ops``: the candidates (default: the space's); ``partial_channels`` and ``edge_normalization``: PC-DARTS.
    ``final_channels``, ``final_cells``, ``final_layers``: the derived network's size (default: the supernet's);
    ``final_options``: its training options (:class:`TrainConfig` fields; its seed is the search's). The dataset
    options are the training objective's. ``checkpoint_dir`` keeps each trial's search
    (``DIR/<study>/trial-<n>-search.pt``) and final training (``trial-<n>.pt``) checkpoints, so an interrupted or
    re-queued trial continues where it stopped (a search whose ``search`` takes ``checkpoint=``, such as DARTS).
    ``progress`` prints a line per search epoch on stderr.
    """

    directions = ("maximize",)

    def __init__(self, search: Any = "darts", *, dataset: str | Dataset | DataSource | Splits = "digits",
                 space: str = "nb201", ops: Sequence[str] | None = None, channels: int = 16, cells: int = 5,
                 layers: int = 8, steps: int = 4, partial_channels: int = 1, edge_normalization: bool = False,
                 split_seed: int = 0, final_epochs: int = 0, final_channels: int | None = None,
                 final_cells: int | None = None, final_layers: int | None = None,
                 final_options: Mapping[str, Any] | None = None, data_root: str | os.PathLike | None = None,
                 download: bool = True, dataset_options: Mapping[str, Any] | None = None,
                 val_fraction: float = 0.15, test_fraction: float = 0.15, train_size: int | float | None = None,
                 val_size: int | float | None = None, test_size: int | float | None = None,
                 checkpoint_dir: str | os.PathLike | None = None, keep_checkpoints: bool = False,
                 progress: bool = False) -> None:
        try:
            self.search = search if hasattr(search, "search") else SEARCHES.build(search)
            self.space = check_choice(OWNER, "space", space, SPACES)
            self.ops = tuple(ops) if ops is not None else (NB201_OPS if space == "nb201" else DARTS_OPS)
            depth = ("cells", cells) if space == "nb201" else ("layers", layers)
            self.sizes = {"channels": check_int(OWNER, "channels", channels, 1),
                          depth[0]: check_int(OWNER, depth[0], depth[1], 1)}
            self.steps = check_int(OWNER, "steps", steps, 1)
            self.partial_channels = check_int(OWNER, "partial_channels", partial_channels, 1)
            self.edge_normalization = check_bool(OWNER, "edge_normalization", edge_normalization)
            self.split_seed = check_seed(OWNER, split_seed, optional=False)
            self.final_epochs = check_int(OWNER, "final_epochs", final_epochs, 0)
            final = {k: v for k, v in {"channels": final_channels, "cells": final_cells,
                                       "layers": final_layers}.items() if v is not None}
            misplaced = [k for k in final if k not in self.sizes]
            if misplaced:
                raise ConfigError(f"{OWNER}: final_{misplaced[0]} does not apply to space {space!r}; it takes "
                                  f"{', '.join(f'final_{k}' for k in self.sizes)}")
            self.final_sizes = {**self.sizes, **{k: check_int(OWNER, f"final_{k}", v, 1) for k, v in final.items()}}
            if not isinstance(final_options, (Mapping, type(None))):
                raise ConfigError(f"{OWNER}: final_options must be a mapping of training options, got {final_options!r}")
            options = dict(final_options or {})
            if "seed" in options or "epochs" in options:
                raise ConfigError(f"{OWNER}: final_options cannot set {'seed' if 'seed' in options else 'epochs'}: the "
                                  "final training takes the search's seed and final_epochs")
            TrainConfig.from_options(options)
        except ConfigError as exc:
            raise ObjectiveError(str(exc) if str(exc).startswith(OWNER) else f"{OWNER}: {exc}") from None
        if checkpoint_dir is not None and "checkpoint" not in signature_options(self.search.search):
            raise ObjectiveError(f"{OWNER}: search {self.search.name!r} keeps no checkpoint; drop checkpoint_dir or "
                                 "use one that does (darts, gdas, enas)")
        self.keep_checkpoints = keep_checkpoints
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.progress = progress
        self.training = TrainingObjective(
            dataset, self.space, data_root=data_root, download=download, dataset_options=dataset_options,
            val_fraction=val_fraction, test_fraction=test_fraction, split_seed=split_seed, train_size=train_size,
            val_size=val_size, test_size=test_size, checkpoint_dir=checkpoint_dir, keep_checkpoints=keep_checkpoints,
            measure_latency=False, model_options=self.final_sizes, **{**options, "epochs": max(self.final_epochs, 1)})

    @classmethod
    def from_config(cls, spec: Mapping[str, Any], **overrides: Any) -> OneShotObjective:
        """From ``{type: darts, <the search's options>, <this objective's options>}`` (a run config's ``oneshot:``);
        ``overrides`` are objective options set by the caller (``progress``)."""
        if not isinstance(spec, Mapping):
            raise ConfigError(f"oneshot must be a mapping {{type: darts, epochs: ..., dataset: ...}}, got {spec!r}")
        name, options = SEARCHES.parse(spec)
        SEARCHES.get(name)
        own = [o for o in signature_options(cls.__init__) if o != "search"]
        searched, rest = split_options(name, options, SEARCHES.options(name), own)
        return cls({"type": name, **searched}, **rest, **overrides)

    def check_space(self, space: Space) -> None:
        """Refuse, before any trial runs, a parameter that is not an option of the search."""
        allowed = signature_options(type(self.search).__init__)
        for name in space.names:
            if name not in allowed:
                raise ObjectiveError(f"trial parameter {name!r} is not an option of the one-shot search; allowed: "
                                     f"{', '.join(allowed)}")

    def __call__(self, trial: Any) -> float:
        search = self._search_for(dict(trial.params))
        splits = self.training.splits()
        half, rest = stratified_indices(splits.train.y.numpy(), [0.5], self.split_seed)
        search_train, search_val = (as_tensors(splits.train.subset(i)) for i in (half, rest))
        device = resolve_device(str(self.training.train_options.get("device", "auto")))
        supernet = self._supernet(splits, search.seed).to(device)
        keys = list(supernet.layouts)
        labels = supernet.edge_labels[keys[0]]

        def on_epoch(record: dict[str, Any]) -> None:
            trial.record_arch_weights(supernet.op_names, labels, {k: record[k] for k in keys})
            measure = "val_loss" if "val_loss" in record else "val_acc"
            trial.report(record["epoch"], record[measure])
            if self.progress:
                skips = ", ".join(f"{k} {v}" for k, v in record["collapse"]["skips"].items())
                print(f"{OWNER} trial {trial.number}: search epoch {record['epoch']}/{search.epochs}: train loss "
                      f"{record['train_loss']:.4f}, {measure.replace('_', ' ')} {record[measure]:.4f}, skips {skips}",
                      file=sys.stderr)

        paths = self._search_checkpoints(trial)
        resume = {"checkpoint": paths[0]} if paths is not None else {}
        result = search.search(supernet, search_train, search_val, callback=on_epoch, **resume)
        accuracy = Trainer(supernet, TrainConfig(device=str(device))).evaluate(splits.val)["accuracy"]
        attrs = {"genotype": result.genotype, "collapse": [r["collapse"] for r in result.history],
                 "search_epochs": len(result.history), "supernet_val_accuracy": accuracy}
        for key, value in attrs.items():
            trial.set_user_attr(key, value)
        value = accuracy
        if self.final_epochs:
            genotype = {"cell" if self.space == "nb201" else "genotype": result.genotype}
            trained = self.training(_FinalTraining(trial, genotype, search.seed))
            value = float(trained) if not isinstance(trained, dict) else float(trained["val_accuracy"])
        if paths is not None and not self.keep_checkpoints:  # done: neither it nor the one it resumed is needed
            for path in paths:
                path.unlink(missing_ok=True)
        return value

    def _search_for(self, params: Mapping[str, Any]) -> Any:
        """The search with the trial's parameters as options."""
        if not params:
            return self.search
        config = {**self.search.to_config(), **params}
        try:
            return SEARCHES.build(config)
        except ConfigError as exc:
            raise ObjectiveError(f"{OWNER}: {exc}") from None

    def _supernet(self, splits: Splits, seed: int) -> Supernet:
        in_channels, classes = int(splits.input_shape[0]), splits.num_classes
        common = {"num_classes": classes, "in_channels": in_channels, "partial_channels": self.partial_channels,
                  "edge_normalization": self.edge_normalization, "seed": seed, **self.sizes}
        try:
            if self.space == "nb201":
                return nb201_supernet(self.ops, **common)
            return darts_supernet(self.ops, self.steps, **common)
        except ConfigError as exc:
            raise ObjectiveError(f"{OWNER}: {exc}") from None

    def _search_checkpoints(self, trial: Any) -> tuple[Path, Path] | None:
        """The trial's search checkpoint ``DIR/<study>/trial-<n>-search.pt``, and that of the trial it re-runs
        (``requeued_from``, else its own), which it starts from; None without ``checkpoint_dir``."""
        if self.checkpoint_dir is None:
            return None
        study = getattr(getattr(trial, "study", None), "name", None) or "study"
        path = self.checkpoint_dir / folder_name(str(study)) / f"trial-{trial.number}-search.pt"
        snapshot = getattr(trial, "snapshot", None)
        replaced = snapshot().system_attrs.get("requeued_from") if callable(snapshot) else None
        origin = path.with_name(f"trial-{replaced}-search.pt") if replaced is not None else path
        if not path.exists() and origin.exists():
            shutil.copyfile(origin, path)
        return path, origin


class _FinalTraining:
    """The trial as the training of the derived network sees it: the genotype and the search's seed as its
    parameters, its results as the trial's user attributes. Its epochs are not reported: the trial's intermediate
    values are the search's, and a search, once run, is not pruned."""

    def __init__(self, trial: Any, params: dict[str, Any], seed: int) -> None:
        self.trial = trial
        self.params = {**params, "seed": seed}
        self.number = trial.number
        self.study = getattr(trial, "study", None)

    def report(self, step: int, value: float) -> None:
        """Intermediate values of the final training stay out of the trial's record (see the class)."""

    def should_prune(self) -> bool:
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self.trial.set_user_attr(key, value)

    def snapshot(self) -> Any:
        return self.trial.snapshot()
