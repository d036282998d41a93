"""``OneShotObjective`` in a study: the trial's record holds the search, its parameters set the search's options,
and its checkpoints live in the study's folder."""

from __future__ import annotations

import pytest
import torch

import hypernas as hn
from hypernas.errors import ObjectiveError
from hypernas.estimate.train import Dataset, Splits
from hypernas.oneshot import DARTSSearch, OneShotObjective
from hypernas.record import ARCH_WEIGHTS_ATTR
from hypernas.space import DARTSCell, Space


def _splits() -> Splits:
    g = torch.Generator().manual_seed(0)

    def part(n: int) -> Dataset:
        x = torch.randint(0, 256, (n, 1, 8, 8), generator=g, dtype=torch.uint8)
        return Dataset(x, torch.arange(n) % 3, ["a", "b", "c"], "random")

    return Splits(part(24), part(12), part(12))


def test_a_darts_cell_search_without_final_training_scores_the_supernet(tmp_path):
    objective = OneShotObjective(DARTSSearch(epochs=2, batch_size=6), dataset=_splits(), space="darts",
                                 ops=("none", "skip_connect", "sep_conv_3x3", "max_pool_3x3"), channels=4, layers=3,
                                 steps=2, checkpoint_dir=tmp_path, keep_checkpoints=True)
    study = hn.create_study("one", strategy="random", seed=0, directions=list(objective.directions))
    study.optimize(objective, {"arch_lr": hn.Fixed(1e-2)}, n_trials=1, show_progress=False)
    (trial,) = study.trials
    assert trial.state is hn.TrialState.COMPLETE, trial.error
    assert DARTSCell(steps=2).validate(trial.user_attrs["genotype"]) == trial.user_attrs["genotype"]
    assert trial.value == trial.user_attrs["supernet_val_accuracy"]
    epochs = trial.system_attrs[ARCH_WEIGHTS_ATTR]["epochs"]
    assert len(epochs) == 2 and set(epochs[0]) == {"normal", "reduce"}
    assert (tmp_path / "one" / "trial-0-search.pt").is_file()


def test_trial_parameters_set_the_search_options():
    objective = OneShotObjective(DARTSSearch(epochs=1), dataset=_splits())
    assert objective._search_for({"arch_lr": 0.01, "seed": 3}).to_config() == {
        **objective.search.to_config(), "arch_lr": 0.01, "seed": 3}
    with pytest.raises(ObjectiveError, match="trial parameter 'width' is not an option of the one-shot search"):
        objective.check_space(Space.from_config({"width": [1, 2]}))


def test_bad_options_are_refused():
    with pytest.raises(ObjectiveError, match="objective 'oneshot': space must be one of 'nb201', 'darts', got 'chain'"):
        OneShotObjective(space="chain")
    with pytest.raises(ObjectiveError, match="unknown one-shot search 'gdass'"):
        OneShotObjective("gdass")
    with pytest.raises(ObjectiveError, match="final_cells does not apply to space 'darts'; it takes final_channels, "
                                             "final_layers"):
        OneShotObjective(space="darts", final_cells=2)
    with pytest.raises(ObjectiveError, match="final_options cannot set seed"):
        OneShotObjective(final_options={"seed": 1})
    with pytest.raises(ObjectiveError, match="objective 'oneshot': unknown training option 'lrr'"):
        OneShotObjective(final_options={"lrr": 1})


class _Killed(Exception):
    pass


class _Trial:
    """A trial as the objective uses it; ``kill_at``: the epoch whose report raises (the process dies there)."""

    def __init__(self, number: int, requeued_from: int | None = None, kill_at: int | None = None) -> None:
        self.number, self.params, self.kill_at = number, {}, kill_at
        self.study = type("S", (), {"name": "killed"})()
        self.system_attrs = {} if requeued_from is None else {"requeued_from": requeued_from}
        self.epochs: list[dict] = []
        self.reported: dict[int, float] = {}
        self.user_attrs: dict = {}

    def record_arch_weights(self, ops, edges, weights) -> None:
        self.epochs.append(weights)

    def report(self, step: int, value: float) -> None:
        if step == self.kill_at:
            raise _Killed
        self.reported[step] = value

    def set_user_attr(self, key, value) -> None:
        self.user_attrs[key] = value

    def snapshot(self):
        return type("F", (), {"system_attrs": self.system_attrs})()


def test_a_requeued_trial_resumes_the_search_of_the_trial_it_replaces(tmp_path):
    def objective(folder):
        return OneShotObjective(DARTSSearch(epochs=3, batch_size=6), dataset=_splits(), channels=4, cells=1,
                                checkpoint_dir=folder)

    straight = _Trial(0)
    objective(tmp_path / "a")(straight)
    with pytest.raises(_Killed):
        objective(tmp_path / "b")(_Trial(0, kill_at=2))
    requeued = _Trial(1, requeued_from=0)
    objective(tmp_path / "b")(requeued)
    assert requeued.epochs == straight.epochs and len(requeued.epochs) == 3  # the saved epochs recorded again
    assert requeued.reported == straight.reported
    assert requeued.user_attrs == straight.user_attrs
    assert not list((tmp_path / "b" / "killed").glob("*-search.pt"))  # the finished trial's checkpoint is gone


def test_an_enas_search_runs_as_a_trial_too():
    objective = OneShotObjective.from_config({"type": "enas", "epochs": 2, "batch_size": 6, "controller_steps": 1,
                                              "controller_samples": 2, "derive_samples": 2, "probability_samples": 2,
                                              "dataset": _splits(), "channels": 4, "cells": 1})
    trial = _Trial(0)
    value = objective(trial)
    assert len(trial.epochs) == 2 and sorted(trial.reported) == [1, 2]  # the controller's accuracy each epoch
    assert value == trial.user_attrs["supernet_val_accuracy"]
    OneShotObjective("enas", checkpoint_dir="ck")  # ENAS checkpoints too


def test_a_search_that_keeps_no_checkpoint_refuses_a_checkpoint_dir():
    class NoCheckpoint:
        name = "plain"

        def search(self, supernet, train, val, *, callback=None):
            raise AssertionError("not reached")

    with pytest.raises(ObjectiveError, match="search 'plain' keeps no checkpoint; drop checkpoint_dir"):
        OneShotObjective(NoCheckpoint(), checkpoint_dir="ck")
