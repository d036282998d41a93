"""Artifacts: bytes a trial keeps beside its record (trained weights), on every backend."""

from __future__ import annotations

import sqlalchemy as sa

import hypernas as hn
from hypernas import SQLStorage
from hypernas.record import TrialState


def test_artifacts_round_trip_replace_list_and_delete(storage, reopen):
    study_id = storage.create_study("s", ["maximize"])
    a = storage.create_trial(study_id, TrialState.RUNNING)
    b = storage.create_trial(study_id, TrialState.RUNNING)
    storage.put_artifact(a.trial_id, "weights", b"\x00\x01binary\xff")
    storage.finish_trial(a.trial_id, TrialState.COMPLETE, [1.0])
    storage.put_artifact(b.trial_id, "weights", b"first")
    storage.put_artifact(b.trial_id, "weights", b"second")  # replaces
    other = reopen()
    assert other.get_artifact(a.trial_id, "weights") == b"\x00\x01binary\xff"
    assert other.get_artifact(b.trial_id, "weights") == b"second"
    assert other.get_artifact(b.trial_id, "model") is None
    assert other.artifact_trials(study_id, "weights") == [a.trial_id, b.trial_id]
    other.delete_artifact(a.trial_id, "weights")
    assert storage.artifact_trials(study_id, "weights") == [b.trial_id]
    assert storage.get_artifact(a.trial_id, "weights") is None


def test_artifacts_go_with_their_study(storage):
    keep = storage.create_study("keep", ["maximize"])
    gone = storage.create_study("gone", ["maximize"])
    k = storage.create_trial(keep, TrialState.RUNNING)
    g = storage.create_trial(gone, TrialState.RUNNING)
    storage.put_artifact(k.trial_id, "weights", b"k")
    storage.put_artifact(g.trial_id, "weights", b"g")
    storage.delete_study("gone")
    assert storage.get_artifact(g.trial_id, "weights") is None
    assert storage.get_artifact(k.trial_id, "weights") == b"k"


def test_study_and_trial_artifact_api():
    study = hn.create_study(direction="maximize")
    trial = study.ask({"x": hn.Float(0, 1)})
    trial.save_artifact("weights", b"abc")
    study.tell(trial, 0.5)
    assert study.trial_artifact(0, "weights") == b"abc"
    assert study.trials_with_artifact("weights") == [0]
    second = study.ask()
    assert second.load_artifact("weights", number=0) == b"abc"
    assert second.parent is None
    study.delete_trial_artifact(0, "weights")
    assert study.trials_with_artifact("weights") == []


def test_a_record_written_before_artifacts_reads_as_one_without_them(tmp_path):
    path = tmp_path / "old.db"
    store = SQLStorage(f"sqlite:///{path}")
    study_id = store.create_study("s", ["maximize"])
    t = store.create_trial(study_id, TrialState.RUNNING)
    store.close()
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE hn_artifacts")
    engine.dispose()
    reader = SQLStorage(f"sqlite:///{path}", create=False)
    assert reader.get_artifact(t.trial_id, "weights") is None
    assert reader.artifact_trials(study_id, "weights") == []
    reader.close()
    writer = SQLStorage(f"sqlite:///{path}")  # opened for writing: the table is added
    writer.put_artifact(t.trial_id, "weights", b"w")
    assert writer.get_artifact(t.trial_id, "weights") == b"w"
    writer.close()
