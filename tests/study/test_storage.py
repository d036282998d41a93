"""Storage: both backends keep the same record with the same rules."""

from __future__ import annotations

import math
import threading
from datetime import datetime

import pytest

from hypernas import (
    DuplicateStudyError,
    FrozenTrial,
    InMemoryStorage,
    SQLStorage,
    StorageError,
    StudyNotFoundError,
    TrialState,
    TrialStateError,
)
from hypernas.study import get_storage
from hypernas.study.storage import normalize_url

RUNNING, WAITING = TrialState.RUNNING, TrialState.WAITING


def new_study(storage, name="s", directions=("minimize",)) -> int:
    return storage.create_study(name, list(directions))


def test_studies_create_get_list_delete(storage, reopen):
    a = storage.create_study("a", ["minimize"], system_attrs={"seed": 3})
    b = storage.create_study("b", ["maximize", "minimize"], ["acc", "loss"])
    assert a != b
    assert storage.study_names() == ["a", "b"]
    info = reopen().get_study("b")
    assert (info.study_id, info.name, info.directions, info.metric_names) == (b, "b", ["maximize", "minimize"],
                                                                             ["acc", "loss"])
    assert reopen().get_study_by_id(a).system_attrs == {"seed": 3}
    assert info.datetime_created is not None
    with pytest.raises(DuplicateStudyError, match="'a' already exists"):
        storage.create_study("a", ["minimize"])
    with pytest.raises(StudyNotFoundError, match="no study named 'c'.*known studies: a, b"):
        storage.get_study("c")
    storage.delete_study("a")
    assert reopen().study_names() == ["b"]
    with pytest.raises(StudyNotFoundError):
        storage.delete_study("a")


def test_study_not_found_message_is_not_quoted(storage):
    with pytest.raises(StudyNotFoundError) as info:
        storage.get_study("zzz")
    assert str(info.value).startswith("no study named 'zzz'")


def test_study_attrs_and_metric_names(storage, reopen):
    sid = new_study(storage)
    storage.set_study_attr(sid, "note", {"nested": [1, 2, {"x": None}]})
    storage.set_study_attr(sid, "plan", [1, 2], system=True)
    storage.set_metric_names(sid, ["loss"])
    info = reopen().get_study_by_id(sid)
    assert info.user_attrs == {"note": {"nested": [1, 2, {"x": None}]}}
    assert info.system_attrs == {"plan": [1, 2]}
    assert info.metric_names == ["loss"]


def test_trial_numbers_are_dense_per_study_and_ids_unique(storage, reopen):
    s1, s2 = new_study(storage, "one"), new_study(storage, "two")
    made = [storage.create_trial(s1, RUNNING if i % 2 else WAITING, params={"i": i}) for i in range(5)]
    made += [storage.create_trial(s2, RUNNING) for _ in range(3)]
    assert [t.number for t in made] == [0, 1, 2, 3, 4, 0, 1, 2]
    assert len({t.trial_id for t in made}) == 8
    trials = reopen().get_trials(s1)
    assert [t.number for t in trials] == [0, 1, 2, 3, 4]
    assert [t.params for t in trials] == [{"i": i} for i in range(5)]
    assert [t.state for t in trials] == [WAITING, RUNNING, WAITING, RUNNING, WAITING]
    assert trials[1].datetime_start is not None and trials[0].datetime_start is None
    storage.delete_study("one")
    assert storage.create_trial(new_study(storage, "three"), RUNNING).number == 0


def test_claim_waiting_takes_the_oldest_once(storage, reopen):
    sid = new_study(storage)
    storage.create_trial(sid, RUNNING)
    w1 = storage.create_trial(sid, WAITING, params={"a": 1}, system_attrs={"from": "enqueue"})
    w2 = storage.create_trial(sid, WAITING, params={"a": 2})
    worker = {"host": "h", "pid": 1, "token": "t"}
    first = storage.claim_waiting_trial(sid, worker)
    assert (first.trial_id, first.state, first.params, first.system_attrs) == (w1.trial_id, RUNNING, {"a": 1},
                                                                              {"from": "enqueue"})
    assert first.datetime_start is not None
    assert reopen().claim_waiting_trial(sid).trial_id == w2.trial_id
    assert storage.claim_waiting_trial(sid) is None
    running = {r.trial.trial_id: r for r in storage.running_trials(sid)}
    assert len(running) == 3 and running[w1.trial_id].worker == worker


def test_finish_values_intermediate_attrs_round_trip(storage, reopen):
    sid = new_study(storage)
    t = storage.create_trial(sid, RUNNING, params={"opt": "sgd", "layers": [1, {"k": 2}]})
    storage.set_trial_params(t.trial_id, {"opt": "adam", "layers": [3]})
    storage.set_intermediate(t.trial_id, 0, 0.5)
    storage.set_intermediate(t.trial_id, 2, 0.25)
    storage.set_intermediate(t.trial_id, 0, 0.4)  # a repeated step overwrites
    storage.set_trial_attr(t.trial_id, "note", {"a": [1, 2]})
    storage.set_trial_attr(t.trial_id, "lost", True, system=True)
    done = storage.finish_trial(t.trial_id, TrialState.COMPLETE, [0.125, -3.0])
    assert done.state is TrialState.COMPLETE and done.values == [0.125, -3.0]
    got = reopen().get_trial(t.trial_id)
    assert got.params == {"opt": "adam", "layers": [3]}
    assert got.values == [0.125, -3.0]
    assert got.intermediate == {0: 0.4, 2: 0.25} and got.last_step == 2
    assert got.user_attrs == {"note": {"a": [1, 2]}} and got.system_attrs == {"lost": True}
    assert got.datetime_complete >= got.datetime_start and got.duration >= 0
    assert got.error is None


def test_failed_trial_keeps_its_error(storage, reopen):
    sid = new_study(storage)
    t = storage.create_trial(sid, RUNNING)
    storage.finish_trial(t.trial_id, TrialState.FAILED, error="ValueError: bad")
    got = reopen().get_trial(t.trial_id)
    assert (got.state, got.values, got.error) == (TrialState.FAILED, None, "ValueError: bad")


def test_a_finished_trial_is_added_as_it_is(storage, reopen):
    """A trial copied from another record (an Optuna import) keeps everything but its number and id."""
    sid = new_study(storage)
    storage.create_trial(sid, RUNNING)
    start, end = datetime(2024, 5, 1, 12, 0, 0), datetime(2024, 5, 1, 12, 0, 30, 250000)
    given = FrozenTrial(7, 99, TrialState.PRUNED, {"x": 1.5, "arch": [1, {"k": 3}]}, [0.5], {0: 1.0, 3: 0.5},
                        {"u": [1]}, {"s": "t"}, start, end)
    added = storage.add_finished_trial(sid, given)
    assert added.number == 1 and added.trial_id != 99
    assert reopen().get_trials(sid)[1] == given.replace(number=1, trial_id=added.trial_id) == added
    failed = storage.add_finished_trial(sid, given.replace(state=TrialState.FAILED, values=None, error="lost"))
    assert (failed.number, failed.error) == (2, "lost")
    with pytest.raises(TrialStateError, match="only a finished trial"):
        storage.add_finished_trial(sid, given.replace(state=TrialState.RUNNING))


@pytest.mark.parametrize("final", [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED])
def test_finished_trials_are_immutable(storage, reopen, final):
    sid = new_study(storage)
    t = storage.create_trial(sid, RUNNING, params={"x": 1})
    storage.finish_trial(t.trial_id, final, [1.0] if final is not TrialState.FAILED else None)
    for store in (storage, reopen()):
        with pytest.raises(TrialStateError, match=f"trial 0 is .*{final.value}"):
            store.finish_trial(t.trial_id, TrialState.COMPLETE, [2.0])
        with pytest.raises(TrialStateError, match="finished trial cannot change"):
            store.set_intermediate(t.trial_id, 1, 0.0)
        with pytest.raises(TrialStateError, match="finished trial cannot change"):
            store.set_trial_attr(t.trial_id, "k", 1)
        with pytest.raises(TrialStateError, match="finished trial cannot change"):
            store.set_trial_attr(t.trial_id, "k", 1, system=True)
        with pytest.raises(TrialStateError, match="finished trial cannot change"):
            store.set_trial_params(t.trial_id, {"x": 2})
    got = reopen().get_trial(t.trial_id)
    assert got.state is final and got.params == {"x": 1} and got.user_attrs == {} and got.intermediate == {}


def test_a_waiting_trial_cannot_be_finished(storage):
    sid = new_study(storage)
    t = storage.create_trial(sid, WAITING)
    with pytest.raises(TrialStateError, match="only a RUNNING trial can be finished"):
        storage.finish_trial(t.trial_id, TrialState.COMPLETE, [1.0])


def test_get_trials_filters_states_and_sees_updates(storage):
    sid = new_study(storage)
    ids = [storage.create_trial(sid, RUNNING).trial_id for _ in range(4)]
    assert [t.state for t in storage.get_trials(sid)] == [RUNNING] * 4  # read once, then changed
    storage.finish_trial(ids[0], TrialState.COMPLETE, [1.0])
    storage.finish_trial(ids[2], TrialState.PRUNED, [0.5])
    storage.set_intermediate(ids[3], 1, 9.0)
    trials = storage.get_trials(sid)
    assert [t.state for t in trials] == [TrialState.COMPLETE, RUNNING, TrialState.PRUNED, RUNNING]
    assert trials[3].intermediate == {1: 9.0}
    assert [t.number for t in storage.get_trials(sid, (TrialState.COMPLETE, TrialState.PRUNED))] == [0, 2]
    assert storage.get_trials(sid, (TrialState.FAILED,)) == []
    storage.finish_trial(ids[1], TrialState.FAILED, error="x")
    storage.create_trial(sid, WAITING)
    assert [t.state for t in storage.get_trials(sid)][1:] == [TrialState.FAILED, TrialState.PRUNED, RUNNING, WAITING]


def test_floats_survive_exactly(storage, reopen):
    sid = new_study(storage)
    values = [0.1 + 0.2, 1e-300, -1.7976931348623157e308]
    t = storage.create_trial(sid, RUNNING, params={"lr": 1 / 3})
    storage.set_intermediate(t.trial_id, 0, math.pi)
    storage.finish_trial(t.trial_id, TrialState.COMPLETE, values)
    got = reopen().get_trial(t.trial_id)
    assert got.values == values and got.params == {"lr": 1 / 3} and got.intermediate == {0: math.pi}


def test_heartbeat_updates_running_trials(storage):
    sid = new_study(storage)
    t = storage.create_trial(sid, RUNNING, worker={"host": "elsewhere", "pid": 1})
    before = storage.running_trials(sid)[0].heartbeat
    storage.heartbeat([t.trial_id])
    after = storage.running_trials(sid)[0].heartbeat
    assert after >= before
    storage.heartbeat([])


def test_summaries(storage):
    a = new_study(storage, "a")
    b = new_study(storage, "b", ["maximize"])
    for sid, vals in ((a, [3.0, 1.0, 2.0]), (b, [3.0, 1.0])):
        for v in vals:
            storage.finish_trial(storage.create_trial(sid, RUNNING).trial_id, TrialState.COMPLETE, [v])
    storage.finish_trial(storage.create_trial(a, RUNNING).trial_id, TrialState.FAILED, error="e")
    summaries = {s.name: s for s in storage.summaries()}
    assert summaries["a"].n_trials == 4 and summaries["a"].state_counts == {"COMPLETE": 3, "FAILED": 1}
    assert summaries["a"].best_values == [1.0] and summaries["b"].best_values == [3.0]


def test_ask_lock_is_reentrant_per_call(storage):
    sid = new_study(storage)
    with storage.ask_lock(sid):
        storage.create_trial(sid, RUNNING)
    with storage.ask_lock(sid):
        assert len(storage.get_trials(sid)) == 1


def test_attributes_set_at_once_by_several_writers_are_all_kept(storage, reopen):
    """Setting an attribute reads the attributes and writes them back: writers at once must not lose each other's."""
    sid = new_study(storage)
    trial = storage.create_trial(sid, RUNNING)
    views = [storage, reopen(), reopen()]  # as from three processes

    def write(view, me: int) -> None:
        for i in range(15):
            view.set_study_attr(sid, f"{me}-{i}", i)
            view.set_trial_attr(trial.trial_id, f"{me}-{i}", i, system=True)

    threads = [threading.Thread(target=write, args=(view, me)) for me, view in enumerate(views)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = {f"{me}-{i}": i for me in range(3) for i in range(15)}
    assert storage.get_study_by_id(sid).user_attrs == expected
    assert storage.get_trial(trial.trial_id).system_attrs == expected


# --- choosing a storage --------------------------------------------------------------------
def test_get_storage(tmp_path):
    assert isinstance(get_storage(None), InMemoryStorage)
    assert isinstance(get_storage("memory"), InMemoryStorage)
    mem = InMemoryStorage()
    assert get_storage(mem) is mem
    path = str(tmp_path / "a.db")
    store = get_storage(path)
    assert isinstance(store, SQLStorage) and store.url == f"sqlite:///{path}"
    assert get_storage(f"sqlite:///{path}") is store  # shared per URL within a process
    assert normalize_url("postgresql://u@h/db") == "postgresql://u@h/db"
    with pytest.raises(StorageError, match="must be a URL string"):
        get_storage(42)


def test_sql_storage_errors_are_one_line(tmp_path):
    with pytest.raises(StorageError, match="folder .*missing.* does not exist"):
        SQLStorage(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    with pytest.raises(StorageError, match="not a valid SQLAlchemy URL"):
        SQLStorage("::not a url::")
    with pytest.raises(StorageError, match="driver that is not installed|cannot be opened|unknown database kind"):
        SQLStorage("nosuchdialect://u@h/db")


def test_sqlite_in_memory_url_works():
    store = SQLStorage("sqlite://")
    sid = store.create_study("m", ["minimize"])
    store.finish_trial(store.create_trial(sid, RUNNING).trial_id, TrialState.COMPLETE, [1.0])
    assert store.get_trials(sid)[0].values == [1.0]


def test_deleted_study_never_leaks_into_a_new_one_seen_by_another_process(storage, reopen):
    other = reopen()  # e.g. a dashboard that keeps the storage open
    sid = new_study(storage, "old")
    for v in (1.0, 2.0):
        storage.finish_trial(storage.create_trial(sid, RUNNING).trial_id, TrialState.COMPLETE, [v])
    assert [t.values for t in other.get_trials(sid)] == [[1.0], [2.0]]
    storage.delete_study("old")
    new = new_study(storage, "new")
    storage.finish_trial(storage.create_trial(new, RUNNING).trial_id, TrialState.COMPLETE, [9.0])
    assert [t.values for t in other.get_trials(other.get_study("new").study_id)] == [[9.0]]


def test_mutating_a_returned_trial_does_not_change_the_record(storage):
    sid = new_study(storage)
    t = storage.create_trial(sid, RUNNING, params={"x": 1})
    storage.finish_trial(t.trial_id, TrialState.COMPLETE, [1.0])
    storage.get_trials(sid)[0].params["x"] = 99
    assert storage.get_trials(sid)[0].params == {"x": 1}


def test_a_relative_sqlite_path_names_the_file_of_the_working_directory_it_was_given_in(tmp_path, monkeypatch):
    from hypernas.study import get_storage

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)
    get_storage("s.db").create_study("only-in-a", ["minimize"])
    monkeypatch.chdir(second)
    assert get_storage("s.db").study_names() == []
    assert get_storage(f"sqlite:///{first / 's.db'}").study_names() == ["only-in-a"]


def test_sqlite_urls_are_made_absolute_with_their_options_kept(tmp_path, monkeypatch):
    from hypernas.study.storage import normalize_url

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert normalize_url("s.db") == f"sqlite:///{tmp_path / 's.db'}"
    assert normalize_url("~/s.db") == f"sqlite:///{tmp_path / 'home' / 's.db'}"
    assert normalize_url("sqlite:///s.db?timeout=3") == f"sqlite:///{tmp_path / 's.db'}?timeout=3"
    for kept in ("sqlite:///:memory:", "sqlite://", "postgresql://user@host/db", f"sqlite:///{tmp_path / 'a.db'}"):
        assert normalize_url(kept) == kept
