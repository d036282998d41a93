"""What a search found, taken out of the study: export a trial's trained network, or prune it.

Both read the network the training objective kept in the study's record (its ``weights`` and ``model``
artifacts, see :mod:`~hypernas.estimate.train.trial_weights`): the best trial's by default, any trial
that kept one with ``number``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from torch import nn

from hypernas.errors import ConfigError
from hypernas.estimate.models.export import FORMATS, ModelManifest, export_model
from hypernas.estimate.train.objective import TrainingObjective
from hypernas.estimate.train.pruning import PruneConfig, PruneResult, prune_and_finetune
from hypernas.estimate.train.trial_weights import WEIGHTS, kept_network
from hypernas.record import FrozenTrial, TrialState

_RESULTS = ("val_accuracy", "test_accuracy", "params", "flops", "latency_ms")


def trial_network(study: Any, number: int | None = None) -> tuple[FrozenTrial, nn.Module, ModelManifest]:
    """Trial ``number`` (default: the best trial) with the trained network it kept and that network's manifest."""
    if number is None:
        if len(study.directions) > 1:
            raise ConfigError(f"study {study.name!r} has several objectives, so no single best trial: name the trial "
                              f"(a trial of its Pareto front: {', '.join(str(t.number) for t in study.best_trials)})")
        trial = study.best_trial
    else:
        trial = next((t for t in study.get_trials() if t.number == number), None)
        if trial is None:
            raise ConfigError(f"study {study.name!r} has no trial {number}; it has trials 0 to {len(study.trials) - 1}")
    kept = kept_network(study, trial.number)
    if kept is None:
        others = study.trials_with_artifact(WEIGHTS)
        state = "" if trial.state is TrialState.COMPLETE else f" (it is {trial.state.value})"
        raise ConfigError(f"trial {trial.number} of study {study.name!r} kept no trained network{state}; the train "
                          f"objective keeps the best trial's (save_weights: best) or every trial's (save_weights: all); "
                          f"trials that kept one: {', '.join(map(str, others)) or 'none'}")
    return trial, kept[0], kept[1]


def _results(trial: FrozenTrial) -> dict[str, Any]:
    """The trial's values and headline results, for the exported manifest."""
    out: dict[str, Any] = {"trial": trial.number}
    if trial.values is not None:
        out["values"] = list(trial.values)
    out.update({k: trial.user_attrs[k] for k in _RESULTS if isinstance(trial.user_attrs.get(k), (int, float))})
    return out


def export_trial(study: Any, out_dir: str | os.PathLike[str], number: int | None = None,
                 formats: Iterable[str] = FORMATS) -> dict[str, Path]:
    """Write the trained network of trial ``number`` (default: the best) to ``out_dir``: its weights (safetensors)
    with the manifest that rebuilds it (the genotype and the builder's code path), TorchScript and ONNX.
    Returns the paths written, by part (``manifest``, ``weights``, ``torchscript``, ``onnx``)."""
    trial, model, manifest = trial_network(study, number)
    manifest = dataclasses.replace(manifest, metrics={**manifest.metrics, **_results(trial)})
    return export_model(model, manifest, out_dir, formats)


def prune_trial(study: Any, objective: TrainingObjective, number: int | None = None,
                out_dir: str | os.PathLike[str] | None = None, formats: Iterable[str] = FORMATS,
                **options: Any) -> PruneResult:
    """Prune the trained network of trial ``number`` (default: the best) with :class:`PruneConfig` ``options``,
    fine-tuning it on the ``objective``'s data and training settings; with ``out_dir`` the pruned network is
    exported there as by :func:`export_trial`. The result holds parameters, FLOPs, latency and accuracy before
    and after."""
    if not isinstance(objective, TrainingObjective):
        raise ConfigError(f"pruning fine-tunes on a train objective's data, got {type(objective).__name__}")
    config = PruneConfig.from_options(options)
    trial, model, manifest = trial_network(study, number)
    splits = objective.splits()
    if tuple(splits.input_shape) != tuple(manifest.input_shape) or splits.num_classes != manifest.num_classes:
        raise ConfigError(f"trial {trial.number}'s network takes {manifest.input_shape} with {manifest.num_classes} "
                          f"classes, but the objective's data is {splits.input_shape} with {splits.num_classes}")
    train_config = objective.configure(dict(trial.params))[2]
    result = prune_and_finetune(model.train(), splits, train_config, config, augment=objective.augment)
    if out_dir is not None:
        record = {**manifest.metrics, **_results(trial), **result.to_dict()}
        pruned = dataclasses.replace(manifest, metrics=record, pruned=manifest.pruned or config.method == "channel")
        export_model(result.model, pruned, out_dir, formats)
    return result

