"""What a proposal becomes when a pending trial has it (strategy/pending.py), apart from any strategy."""

from __future__ import annotations

import numpy as np
import pytest

import hypernas as hn
from hypernas.record import FrozenTrial, TrialState
from hypernas.space import Categorical, Float, Int, Space
from hypernas.strategy.pending import apart_from_pending, pending_keys

SPACE = Space({"x": Categorical(list(range(200))), "y": Categorical(["a"])})


def trials(*rows: tuple[int, TrialState]) -> list[FrozenTrial]:
    return [FrozenTrial(n, n, state, params={"x": x, "y": "a"}) for n, (x, state) in enumerate(rows)]


def test_a_proposal_no_pending_trial_has_is_kept():
    history = trials((1, TrialState.COMPLETE), (2, TrialState.RUNNING))
    assert pending_keys(SPACE, history, number=5) == {SPACE.key({"x": 2, "y": "a"})}
    rng = np.random.default_rng(0)
    assert apart_from_pending(SPACE, {"x": 1, "y": "a"}, history, 5, rng) == {"x": 1, "y": "a"}
    assert rng.random() == np.random.default_rng(0).random()  # nothing drawn: a sequential search is untouched


def test_a_pending_configuration_moves_to_one_never_tried_and_reproducibly():
    history = trials((1, TrialState.COMPLETE), (2, TrialState.RUNNING))
    moved = [apart_from_pending(SPACE, {"x": 2, "y": "a"}, history, 5, np.random.default_rng(7)) for _ in range(2)]
    assert moved[0] == moved[1] and moved[0]["x"] not in (1, 2)


def test_the_last_configuration_left_is_found():
    """199 of 200 pending: mutations and samples rarely hit the one left, the enumeration of the space does."""
    history = trials(*[(x, TrialState.RUNNING) for x in range(200) if x != 123])
    for seed in range(5):
        assert apart_from_pending(SPACE, {"x": 0, "y": "a"}, history, 999, np.random.default_rng(seed))["x"] == 123


def test_a_finished_configuration_is_repeated_only_when_nothing_else_is_left():
    space = Space({"x": Categorical(["a", "b"])})
    history = [FrozenTrial(0, 0, TrialState.COMPLETE, params={"x": "a"}),
               FrozenTrial(1, 1, TrialState.RUNNING, params={"x": "b"})]
    assert apart_from_pending(space, {"x": "b"}, history, 2, np.random.default_rng(0)) == {"x": "a"}
    history.append(FrozenTrial(2, 2, TrialState.RUNNING, params={"x": "a"}))
    assert apart_from_pending(space, {"x": "b"}, history, 3, np.random.default_rng(0)) == {"x": "b"}  # all pending


def test_the_trial_being_proposed_is_not_pending_against_itself():
    space = Space({"x": Float(0.0, 1.0)})
    history = [FrozenTrial(0, 0, TrialState.RUNNING, params={"x": 0.5})]
    assert apart_from_pending(space, {"x": 0.5}, history, 0, np.random.default_rng(0)) == {"x": 0.5}


class NumpyInts(hn.Strategy):
    """A user's strategy that proposes NumPy integers (the study turns them into plain ones)."""

    def ask(self, study, trial):
        return {"x": np.int64(self.rng_for(study, trial).integers(3))}


def test_a_proposal_in_numpy_numbers_is_compared_as_the_study_records_it():
    study = hn.create_study(strategy=NumpyInts(seed=0), space=Space({"x": Int(0, 2)}))
    pending = [study.ask() for _ in range(3)]
    assert sorted(t.params["x"] for t in pending) == [0, 1, 2]
    study = hn.create_study(strategy=OutOfSpace(), space=Space({"x": Int(0, 2)}), seed=0)
    study.ask()
    with pytest.raises(hn.SpaceError, match=r"parameter 'x': 7 is outside"):  # as the study says it, with a trial pending
        study.ask()
    assert len(study.get_trials()) == 1


class OutOfSpace(hn.Strategy):
    def ask(self, study, trial):
        return {"x": 1 if trial.number == 0 else 7}
