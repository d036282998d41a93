"""Enqueued trials are claimed oldest first, once; trial numbers and finished records agree on every storage
(the ``storage`` fixture: in memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest

import hypernas
from hypernas import Float, Int, Space, TrialState
from hypernas.study.workers import worker_info

SPACE = Space({"x": Float(0.0, 1.0), "k": Int(0, 9)})


def test_enqueued_trials_are_claimed_in_order_then_the_strategy_proposes(storage: hypernas.Storage) -> None:
    study = hypernas.create_study("q", storage, strategy="random", seed=1, space=SPACE)
    queued = [{"x": 0.25, "k": 3}, {"x": 0.5, "k": 4}, {"x": 0.75}]
    assert [study.enqueue(p) for p in queued] == [0, 1, 2]
    assert storage.next_trial_number(study.study_id) == 3

    asked = [study.ask() for _ in range(4)]
    assert [t.number for t in asked] == [0, 1, 2, 3]
    assert [t.params for t in asked[:2]] == queued[:2]
    assert asked[2].params["x"] == 0.75 and 0 <= asked[2].params["k"] <= 9  # completed by the space
    assert storage.claim_waiting_trial(study.study_id, worker_info()) is None
    assert storage.next_trial_number(study.study_id) == 4

    asked[0].report(0, 0.9)
    finished = study.tell(asked[0], 0.5)
    assert (finished.state, finished.values, finished.intermediate, finished.params) == \
           (TrialState.COMPLETE, [0.5], {0: 0.9}, queued[0])
    assert storage.get_trial(asked[0].trial_id) == finished
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE] + [TrialState.RUNNING] * 3


def test_queue_is_per_study(storage: hypernas.Storage) -> None:
    a = hypernas.create_study("a", storage, strategy="random", seed=1, space=SPACE)
    b = hypernas.create_study("b", storage, strategy="random", seed=1, space=SPACE)
    a.enqueue({"x": 0.125, "k": 1})
    assert b.ask().params != {"x": 0.125, "k": 1}
    assert a.ask().params == {"x": 0.125, "k": 1}
    hypernas.delete_study("a", storage)
    b.enqueue({"x": 0.5, "k": 2})
    assert b.ask().params == {"x": 0.5, "k": 2}
    assert [t.number for t in b.get_trials()] == [0, 1]


def test_a_study_deleted_and_recreated_elsewhere_is_not_mixed_with_the_cached_one(db_url: str) -> None:
    url = db_url
    mine, other = hypernas.SQLStorage(url), hypernas.SQLStorage(url)  # two processes' views of one file
    old = hypernas.create_study("a", mine, strategy="random", seed=0, space=SPACE)
    old.optimize(lambda t: t.params["x"], n_trials=3)
    assert len(old.get_trials()) == 3  # now cached by `mine`

    hypernas.delete_study("a", other)
    new = hypernas.create_study("b", other, strategy="random", seed=0, space=SPACE)
    new.optimize(lambda t: t.params["x"], n_trials=1)
    assert new.study_id != old.study_id
    assert [t.params for t in hypernas.load_study("b", mine).get_trials()] == [t.params for t in new.get_trials()]


def test_create_if_missing_loads_a_study_another_process_just_created(db_url: str) -> None:
    url = db_url
    mine, other = hypernas.SQLStorage(url), hypernas.SQLStorage(url)
    first = hypernas.create_study("s", other, strategy="random", seed=1, space=SPACE)
    second = hypernas.create_study("s", mine, strategy="random", seed=1, space=SPACE.to_config(), load_if_exists=True)
    assert second.study_id == first.study_id and second.space == SPACE
    with pytest.raises(hypernas.SpaceError, match="different space"):
        hypernas.create_study("s", mine, space=Space({"x": Float(0.0, 2.0)}), load_if_exists=True)
    with pytest.raises(hypernas.DuplicateStudyError, match="'s' already exists"):
        hypernas.create_study("s", mine, space=SPACE)


def test_a_study_is_created_with_its_space_or_not_at_all(storage: hypernas.Storage) -> None:
    with pytest.raises(hypernas.SpaceError):
        hypernas.create_study("bad", storage, space={"x": {"type": "float", "low": 1.0, "high": 0.0}})
    assert "bad" not in storage.study_names()
    hypernas.create_study("good", storage, space=SPACE)
    assert hypernas.load_study("good", storage).space == SPACE
