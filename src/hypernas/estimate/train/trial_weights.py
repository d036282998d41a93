"""A trial's trained network, kept in the study's record: what children inherit, what export and prune read.

Two artifacts per trial: ``"weights"`` (safetensors bytes, never unpickled) and ``"model"`` (the JSON
:class:`~hypernas.estimate.models.export.ModelManifest` that rebuilds the network through the model
registry). They live in the study's storage, so a worker on another machine reads a parent's weights
as well as the one that trained it, and they are removed with the study.

Which trials keep theirs (``save_weights``): ``"all"``; ``"best"`` (the default): the best complete trial
so far, by the objective's first metric (ties: the earliest), so that the record holds one network (and
at most one more) however long the search runs; ``"none"``. The training objective keeps every trial's
when it has several metrics (no single best) or inherits weights (any trial may become a parent).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from hypernas.errors import ConfigError
from hypernas.estimate.models.export import ModelManifest, weights_from_bytes, weights_to_bytes
from hypernas.record import TrialState

WEIGHTS, MODEL = "weights", "model"
SAVE_WEIGHTS = ("best", "all", "none")


def _study(trial: Any) -> Any | None:
    """The trial's study when it keeps artifacts (a trial of a hypernas study; not a stand-in)."""
    study = getattr(trial, "study", None)
    return study if callable(getattr(study, "set_trial_artifact", None)) else None


def keep_network(trial: Any, model: nn.Module, manifest: ModelManifest, policy: str, maximize: bool,
                 value: float) -> bool:
    """Keep ``model`` with ``trial`` as ``policy`` says (``value``: the trial's first metric); whether it was kept.

    Under ``"best"``, a trial keeps its network unless a complete trial kept a better or equal one; then the
    networks of finished trials other than the best complete one that keeps its network are removed. The best
    complete trial's network is removed only by a trial that beat it and was told (a trial that dies before
    it is told removes nothing it needs), so the record holds the best trial's network and at most one more.
    """
    study = _study(trial)
    if study is None or policy == "none":
        return False
    if policy == "best":
        trials = {t.number: t for t in study.get_trials()}
        holders = [trials[n] for n in study.trials_with_artifact(WEIGHTS) if n != trial.number and n in trials]
        scored = [t for t in holders if t.state is TrialState.COMPLETE and t.values]
        best = max(scored, key=lambda t: t.values[0] if maximize else -t.values[0], default=None)
        if best is not None and ((best.values[0] >= value) if maximize else (best.values[0] <= value)):
            return False
        _save(study, trial.number, model, manifest)
        for t in holders:
            if t.state.is_finished and t is not best:
                study.delete_trial_artifact(t.number, WEIGHTS)
                study.delete_trial_artifact(t.number, MODEL)
        return True
    _save(study, trial.number, model, manifest)
    return True


def _save(study: Any, number: int, model: nn.Module, manifest: ModelManifest) -> None:
    study.set_trial_artifact(number, WEIGHTS, weights_to_bytes(model.state_dict()))
    study.set_trial_artifact(number, MODEL, manifest.to_json().encode())


def kept_network(study: Any, number: int) -> tuple[nn.Module, ModelManifest] | None:
    """The trained network trial ``number`` kept (rebuilt, weights loaded, eval mode) and its manifest, or None.

    A manifest or weights that do not make a network (written by another program, or damaged) are one
    :class:`~hypernas.errors.ConfigError` line naming the trial.
    """
    weights, text = study.trial_artifact(number, WEIGHTS), study.trial_artifact(number, MODEL)
    if weights is None or text is None:
        return None
    where = f"study {study.name!r}, trial {number}: kept network"
    manifest = ModelManifest.from_json(text, where)
    try:
        return manifest.network(weights_from_bytes(weights), where), manifest
    except ConfigError as exc:
        message = str(exc)
        raise ConfigError(message if message.startswith(where) else f"{where}: {message}") from None


def parent_network(trial: Any) -> tuple[int, tuple[nn.Module, ModelManifest] | None] | None:
    """``(parent number, its kept network or None)`` for a trial whose strategy recorded a parent; else None."""
    number = getattr(trial, "parent", None)
    study = _study(trial)
    if number is None or study is None:
        return None
    return number, kept_network(study, number)
