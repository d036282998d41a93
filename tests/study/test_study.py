"""The Study API: create/load, directions, results, best trials, enqueue, ask/tell, export, attributes."""

from __future__ import annotations

import pytest

import hypernas as hn
from hypernas import (
    Categorical,
    ConfigError,
    Direction,
    DuplicateStudyError,
    Float,
    GridSearch,
    Int,
    RandomSearch,
    Space,
    SpaceError,
    StudyNotFoundError,
    TrialPruned,
    TrialState,
    TrialStateError,
    create_study,
    delete_study,
    load_study,
    study_names,
)
from hypernas.errors import NoCompleteTrialError

SPACE = Space({"x": Float(-5, 5), "opt": Categorical(["sgd", "adam"]), "m": Float(0, 1, when={"opt": "sgd"})})


def square(trial) -> float:
    return trial.params["x"] ** 2


# --- create and load -----------------------------------------------------------------------
def test_create_and_load_restore_everything(storage, reopen):
    study = create_study("s", storage, direction="max", strategy=GridSearch(resolution=3, stages=2), seed=5,
                         space=SPACE)
    assert study.name == "s" and study.direction is Direction.MAXIMIZE and study.seed == 5
    study.optimize(square, n_trials=3)
    loaded = load_study("s", reopen())
    assert loaded.directions == [Direction.MAXIMIZE] and loaded.seed == 5
    assert loaded.space == SPACE
    assert isinstance(loaded.strategy, GridSearch)
    assert (loaded.strategy.resolution, loaded.strategy.stages, loaded.strategy.seed) == (3, 2, 5)
    assert loaded.pruner.to_config() == {"type": "none"}
    assert [t.params for t in loaded.trials] == [t.params for t in study.trials]
    other = load_study("s", reopen(), strategy="random")
    assert isinstance(other.strategy, RandomSearch) and other.strategy.seed == 5


def test_duplicate_names_and_load_if_exists(storage):
    study = create_study("s", storage, space=SPACE)
    study.optimize(square, n_trials=2)
    with pytest.raises(DuplicateStudyError, match="'s' already exists"):
        create_study("s", storage)
    again = create_study("s", storage, load_if_exists=True)
    assert again.study_id == study.study_id and len(again.trials) == 2
    assert create_study("s", storage, direction="minimize", space=SPACE, load_if_exists=True).space == SPACE
    with pytest.raises(ConfigError, match=r"'s' exists with direction\(s\) minimize, not maximize; use a new study name"):
        create_study("s", storage, direction="maximize", load_if_exists=True)
    with pytest.raises(SpaceError, match="'s' was run with a different space"):
        create_study("s", storage, space={"x": Float(0, 1)}, load_if_exists=True)


def test_load_unknown_study_lists_known_ones(storage):
    create_study("alpha", storage)
    with pytest.raises(StudyNotFoundError, match="no study named 'beta'.*known studies: alpha"):
        load_study("beta", storage)


def test_study_names_and_delete(storage):
    for name in ("a", "b", "c"):
        create_study(name, storage)
    assert study_names(storage) == ["a", "b", "c"]
    delete_study("b", storage)
    assert study_names(storage) == ["a", "c"]


def test_unnamed_studies_get_distinct_names():
    a, b = create_study(), create_study()
    assert a.name.startswith("study-") and a.name != b.name


def test_study_by_sqlite_path(tmp_path):
    path = str(tmp_path / "runs.db")
    create_study("s", path, space=SPACE).optimize(square, n_trials=2)
    assert len(load_study("s", f"sqlite:///{path}").trials) == 2


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(direction="up"), "direction 'up' is not known; allowed: 'minimize' or 'maximize'"),
    (dict(direction="min", directions=["max"]), "either direction= or directions="),
    (dict(directions=[]), "non-empty list"),
    (dict(directions="maximize"), "non-empty list"),
    (dict(directions=["max", "min"], metrics=["acc"]), "create_study: metrics must name one value per direction \\(2\\), "
                                                       "got \\['acc'\\]"),
    (dict(seed="7"), "create_study: seed must be an integer in \\[0, 9223372036854775807\\] or None, got '7'"),
    (dict(seed=1.5), "seed must be an integer"),
    (dict(pruner="nope"), "unknown pruner 'nope'"),
])
def test_create_study_config_errors(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment):
        create_study(**kwargs)


def test_directions_parse():
    study = create_study(directions=["MAXIMIZE", Direction.MINIMIZE, "min"])
    assert study.directions == [Direction.MAXIMIZE, Direction.MINIMIZE, Direction.MINIMIZE]
    assert study.is_multi_objective
    with pytest.raises(ConfigError, match="has 3 directions; use .directions"):
        _ = study.direction
    assert create_study().direction is Direction.MINIMIZE


def test_space_is_fixed_for_the_study(storage, reopen):
    study = create_study("s", storage)
    with pytest.raises(SpaceError, match="'s' has no search space yet; pass space=.* or suggest parameters"):
        _ = study.space
    study.optimize(square, SPACE, n_trials=1)
    study.optimize(square, SPACE.to_config(), n_trials=1)  # the same space, as a config, is fine
    with pytest.raises(SpaceError, match="'s' was run with a different space"):
        load_study("s", reopen()).optimize(square, {"x": Float(-1, 1)}, n_trials=1)
    assert len(study.trials) == 2


# --- results -------------------------------------------------------------------------------
def test_scalar_results_of_many_numeric_types():
    np = pytest.importorskip("numpy")
    results = iter([1, 2.5, np.float32(0.5), np.int64(3), np.array(1.5)])
    study = create_study(space=SPACE)
    study.optimize(lambda t: next(results), n_trials=5)
    assert [t.value for t in study.trials] == [1.0, 2.5, 0.5, 3.0, 1.5]
    assert all(type(t.values[0]) is float for t in study.trials)


def test_torch_scalar_tensor_is_a_result():
    torch = pytest.importorskip("torch")
    study = create_study(space=SPACE)
    study.optimize(lambda t: torch.tensor(0.25), n_trials=1)
    assert study.trials[0].value == 0.25


def test_sequence_results_for_several_directions():
    study = create_study(directions=["minimize", "maximize"], space=SPACE)
    study.optimize(lambda t: (t.params["x"], -t.params["x"]), n_trials=3)
    study.optimize(lambda t: [1, 2], n_trials=1)
    assert all(t.state is TrialState.COMPLETE and len(t.values) == 2 for t in study.trials)
    assert study.trials[-1].values == [1.0, 2.0]
    with pytest.raises(ConfigError, match="has 2 objective values; use .values"):
        _ = study.trials[0].value


def test_metrics_dict_results_with_named_metrics():
    study = create_study(directions=["maximize", "minimize"], metrics=["acc", "loss"], space=SPACE)
    study.optimize(lambda t: {"loss": abs(t.params["x"]), "acc": 1 - abs(t.params["x"]) / 5, "n_params": 1234,
                              "tag": "small"}, n_trials=4)
    for t in study.trials:
        assert t.values == [pytest.approx(1 - abs(t.params["x"]) / 5), pytest.approx(abs(t.params["x"]))]
        assert t.user_attrs == {"n_params": 1234.0, "tag": "small"}  # the other metrics are kept
    df = study.to_dataframe()
    assert {"acc", "loss", "user_attrs_n_params", "user_attrs_tag"} <= set(df.columns)
    assert "value" not in df.columns


def test_metrics_dict_names_come_from_the_first_result_when_not_given(storage, reopen):
    study = create_study("s", storage, space=SPACE)
    study.optimize(lambda t: {"loss": t.params["x"] ** 2}, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    assert study.metric_names == ["loss"] and study.value_names() == ["loss"]
    assert load_study("s", reopen()).metric_names == ["loss"]
    assert "loss" in study.to_dataframe().columns
    single = create_study(space=SPACE)
    single.optimize(lambda t: {"value": 1.0, "acc": 0.5}, n_trials=1)
    assert single.trials[0].value == 1.0 and single.trials[0].user_attrs == {"acc": 0.5}


# --- best trials ---------------------------------------------------------------------------
def tell_all(study, values):
    for v in values:
        study.tell(study.ask(), v)


@pytest.mark.parametrize("direction, best", [("minimize", 2), ("maximize", 3)])
def test_best_trial_ignores_unfinished_failed_and_pruned(direction, best):
    study = create_study(direction=direction, space=SPACE)
    study.ask()  # RUNNING
    tell_all(study, [3.0, -1.0, 7.0, -1.0])
    t = study.ask()
    t.report(0, -100.0)
    study.tell(t, state="PRUNED")  # a pruned trial's last value never counts as best
    study.tell(study.ask(), state="FAILED", error="boom")
    assert study.best_trial.number == best  # ties go to the earliest
    assert study.best_value == (-1.0 if direction == "minimize" else 7.0)
    assert study.best_params == study.trials[best].params
    assert study.best_trials == [study.best_trial]


def test_best_trial_without_complete_trials():
    study = create_study("s", space=SPACE)
    study.optimize(lambda t: float("nan"), n_trials=1)
    for attribute in ("best_trial", "best_value", "best_params"):
        with pytest.raises(NoCompleteTrialError, match="^study 's' has no complete trial yet$"):
            getattr(study, attribute)
    assert study.best_trials == []


def test_best_trials_is_the_pareto_front():
    study = create_study(directions=["maximize", "minimize"], space=SPACE)
    tell_all(study, [(0.9, 10.0), (0.8, 5.0), (0.7, 6.0), (0.9, 10.0), (0.5, 1.0), (0.4, 1.0)])
    assert [t.number for t in study.best_trials] == [0, 1, 3, 4]
    with pytest.raises(ConfigError, match="several objectives; use best_trials"):
        _ = study.best_trial


# --- enqueue -------------------------------------------------------------------------------
def test_enqueued_configs_run_first_in_order(storage):
    study = create_study("s", storage, strategy="random", seed=0, space=SPACE)
    first = study.enqueue({"x": 1.0, "opt": "adam"})
    second = study.enqueue({"x": 2.0, "opt": "sgd", "m": 0.5})
    assert (first, second) == (0, 1)
    assert [t.state for t in study.trials] == [TrialState.WAITING] * 2
    study.optimize(square, n_trials=3)
    params = [t.params for t in study.trials]
    assert params[:2] == [{"x": 1.0, "opt": "adam"}, {"x": 2.0, "opt": "sgd", "m": 0.5}]
    assert [t.value for t in study.trials[:2]] == [1.0, 4.0]
    assert len(params) == 3 and SPACE.validate(params[2]) == params[2]


def test_enqueue_partial_params_are_completed_by_the_strategy(storage):
    study = create_study("s", storage, strategy="random", seed=1, space=SPACE)
    study.enqueue({"opt": "sgd"})
    study.enqueue({"x": 0.5})
    study.optimize(square, n_trials=2)
    a, b = (t.params for t in study.trials)
    assert a["opt"] == "sgd" and "m" in a and SPACE.validate(a) == a
    assert b["x"] == 0.5 and SPACE.validate(b) == b
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_enqueue_validates_against_the_space():
    study = create_study(space=SPACE)
    with pytest.raises(SpaceError, match="'x'.*9.*outside \\[-5, 5\\]"):
        study.enqueue({"x": 9})
    with pytest.raises(SpaceError, match="enqueue: unknown parameter 'y'; the space has: x, opt, m"):
        study.enqueue({"y": 1})
    assert study.trials == []


def test_enqueue_before_the_space_is_known_is_checked_when_it_runs():
    study = create_study()
    study.enqueue({"x": 99.0})
    with pytest.raises(SpaceError, match="'x'.*outside"):
        study.optimize(square, SPACE, n_trials=3)
    (trial,) = study.trials
    assert trial.state is TrialState.FAILED and trial.error.startswith("enqueued parameters rejected:")


def test_enqueue_with_grid_strategy():
    study = create_study(strategy="grid", space={"d": Int(1, 3)})
    study.enqueue({"d": 2})
    study.optimize(lambda t: t.params["d"])
    assert [t.params["d"] for t in study.trials] == [2, 1, 3]


# --- ask and tell --------------------------------------------------------------------------
def test_ask_tell_with_values_pruned_and_failed(storage, reopen):
    study = create_study("s", storage, space=SPACE, seed=0)
    a, b, c, d = (study.ask() for _ in range(4))
    assert [t.number for t in (a, b, c, d)] == [0, 1, 2, 3]
    study.tell(a, 0.5)
    b.report(0, 3.0)
    b.report(1, 2.0)
    study.tell(b, state=TrialState.PRUNED)
    study.tell(c, state="failed", error="diverged")
    study.tell(d.number, [4.0])  # by number, as a one-element sequence
    trials = load_study("s", reopen()).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED, TrialState.COMPLETE]
    assert trials[0].values == [0.5]
    assert trials[1].values == [2.0] and trials[1].intermediate == {0: 3.0, 1: 2.0}
    assert trials[2].values is None and trials[2].error == "diverged"
    assert trials[3].values == [4.0]


def test_tell_pruned_without_reports_and_failed_without_reason():
    study = create_study(space=SPACE)
    study.tell(study.ask(), state="PRUNED")
    study.tell(study.ask(), state="FAILED")
    p, f = study.trials
    assert p.state is TrialState.PRUNED and p.values is None
    assert f.error == "failed (no reason given)"


def test_tell_errors():
    study = create_study(space=SPACE)
    t = study.ask()
    study.tell(t, 1.0)
    with pytest.raises(TrialStateError, match="trial 0 is COMPLETE; only a RUNNING trial can be finished"):
        study.tell(t, 2.0)
    with pytest.raises(TrialStateError, match="no trial number 7"):
        study.tell(7, 1.0)
    with pytest.raises(TrialStateError, match="state must be COMPLETE, PRUNED or FAILED, got RUNNING"):
        study.tell(study.ask(), state="RUNNING")
    with pytest.raises(TrialStateError, match="state must be COMPLETE, PRUNED or FAILED, got 'done'"):
        study.tell(study.trials[1], state="done")
    assert study.trials[0].values == [1.0]


def test_tell_with_a_bad_value_records_failed():
    study = create_study(space=SPACE)
    frozen = study.tell(study.ask(), float("nan"))
    assert frozen.state is TrialState.FAILED and "objective returned nan; expected a finite float" in frozen.error


def test_report_checks_its_arguments_and_the_trial_state():
    study = create_study(space=SPACE)
    t = study.ask()
    t.report(0, 1)
    t.report(0, 0.5)
    assert t.intermediate == {0: 0.5}
    with pytest.raises(TrialStateError, match="step must be an integer >= 0, got -1"):
        t.report(-1, 1.0)
    with pytest.raises(TrialStateError, match="step must be an integer >= 0, got 1.5"):
        t.report(1.5, 1.0)
    with pytest.raises(TrialStateError, match="at step 1 must be a finite number, got nan"):
        t.report(1, float("nan"))
    assert not t.should_prune()
    study.tell(t, 1.0)
    with pytest.raises(TrialStateError, match="finished trial cannot change"):
        t.report(2, 1.0)
    with pytest.raises(TrialStateError, match="finished trial cannot change"):
        t.set_user_attr("late", 1)


def test_trial_pruned_in_objective_keeps_the_last_intermediate_value(storage):
    study = create_study("s", storage, space=SPACE)

    def objective(trial):
        for step in range(3):
            trial.report(step, 10.0 - step)
        raise TrialPruned()

    study.optimize(objective, n_trials=2)
    assert all(t.state is TrialState.PRUNED and t.values == [8.0] for t in study.trials)


# --- attributes and export -----------------------------------------------------------------
def test_user_attrs(storage, reopen):
    study = create_study("s", storage, space=SPACE)
    study.set_user_attr("dataset", "digits")

    def objective(trial):
        trial.set_user_attr("n_params", 123)
        trial.set_user_attr("curve", [0.5, 0.25])
        assert trial.user_attrs == {"n_params": 123, "curve": [0.5, 0.25]}
        return 1.0

    study.optimize(objective, n_trials=1)
    loaded = load_study("s", reopen())
    assert loaded.user_attrs == {"dataset": "digits"}
    assert loaded.trials[0].user_attrs == {"n_params": 123, "curve": [0.5, 0.25]}


def test_to_dataframe(storage):
    study = create_study("s", storage, space=SPACE, seed=0)
    study.enqueue({"x": 1.0, "opt": "sgd", "m": 0.5})
    study.enqueue({"x": 2.0, "opt": "adam"})

    def objective(trial):
        trial.set_user_attr("tag", trial.number)
        if trial.number == 1:
            raise RuntimeError("no")
        return trial.params["x"]

    study.optimize(objective, n_trials=2)
    study.ask()
    df = study.to_dataframe()
    assert list(df.columns) == ["number", "state", "value", "params_x", "params_opt", "params_m", "user_attrs_tag",
                                "datetime_start", "datetime_complete", "duration", "error"]
    assert list(df["number"]) == [0, 1, 2]
    assert list(df["state"]) == ["COMPLETE", "FAILED", "RUNNING"]
    assert df["value"][0] == 1.0 and df["value"].isna()[1] and df["value"].isna()[2]
    assert df["params_m"][0] == 0.5 and df["params_m"].isna()[1]
    assert df["error"][1] == "RuntimeError: no"
    assert df["duration"][0] >= 0 and df["datetime_complete"].isna()[2]
    multi = create_study(directions=["min", "max"], space=SPACE)
    multi.optimize(lambda t: (1.0, 2.0), n_trials=1)
    assert {"values_0", "values_1"} <= set(multi.to_dataframe().columns)


def test_load_study_whose_strategy_is_not_available(storage):
    from hypernas import Strategy, StrategyError
    from hypernas.strategy import STRATEGIES

    class Vanishing(Strategy):
        name = "test_vanishing"

        def ask(self, study, trial):
            return study.space.complete({})

    with STRATEGIES.temporarily("test_vanishing", Vanishing):
        create_study("s", storage, strategy="test_vanishing", space=SPACE).optimize(square, n_trials=1)
    with pytest.raises(StrategyError, match="study 's': its strategy cannot be rebuilt .*unknown strategy "
                                            "'test_vanishing'.*; pass strategy= to load_study"):
        load_study("s", storage)
    resumed = load_study("s", storage, strategy="random")
    resumed.optimize(square, n_trials=1)
    assert len(resumed.trials) == 2


def test_partial_enqueues_are_completed_reproducibly_after_a_resume(tmp_path):
    from hypernas import SQLStorage, Strategy

    class AlwaysA(Strategy):  # never proposes the branch the enqueued configs ask for
        def ask(self, study, trial):
            return {"mode": "a"}

    space = {"mode": Categorical(["a", "b"]), "k": Float(0, 1, when={"mode": "b"})}

    def run(url, stops):
        study = create_study("s", url, strategy=AlwaysA(), space=space, seed=4)
        for _ in range(3):
            study.enqueue({"mode": "b"})
        for n in stops:
            study = load_study("s", SQLStorage(url), strategy=AlwaysA())
            study.optimize(lambda t: 0.0, n_trials=n)
        return [t.params for t in study.trials]

    straight = run(f"sqlite:///{tmp_path / 'a.db'}", [3])
    resumed = run(f"sqlite:///{tmp_path / 'b.db'}", [1, 1, 1])
    assert all(p["mode"] == "b" and "k" in p for p in straight)
    assert resumed == straight


def test_enqueue_rejects_a_value_its_given_parent_makes_inactive() -> None:
    space = hn.Space(opt=hn.Categorical(["sgd", "adam"]), momentum=hn.Float(0.0, 0.99, when={"opt": "sgd"}))
    study = hn.create_study(space=space)
    with pytest.raises(hn.SpaceError, match="'momentum' is inactive.*opt == 'sgd'"):
        study.enqueue({"opt": "adam", "momentum": 0.9})


def test_enqueued_child_sets_its_open_parent_to_an_activating_value() -> None:
    space = hn.Space(opt=hn.Categorical(["adam", "sgd"]), momentum=hn.Float(0.0, 0.99, when={"opt": "sgd"}))
    study = hn.create_study(space=space, seed=0)
    for _ in range(5):
        study.enqueue({"momentum": 0.9})
    study.optimize(lambda t: 0.0, n_trials=5)
    assert all(t.params == {"opt": "sgd", "momentum": 0.9} for t in study.trials)


def test_returned_trials_are_copies() -> None:
    study = hn.create_study(space=hn.Space(x=hn.Float(0, 1)), seed=0)
    study.optimize(lambda t: t.params["x"], n_trials=2)
    study.trials[0].params["x"] = 99.0
    study.best_trial.user_attrs["k"] = 1
    assert study.trials[0].params["x"] != 99.0 and study.best_trial.user_attrs == {}


def test_a_negative_seed_is_refused_up_front():
    with pytest.raises(hn.ConfigError, match=r"create_study: seed must be an integer in \[0, 9223372036854775807\] or None, got -1"):
        hn.create_study(seed=-1)
    with pytest.raises(hn.StrategyError, match=r"tpe: seed must be an integer in \[0, 9223372036854775807\] or None, got -3"):
        hn.make_strategy({"type": "tpe", "seed": -3})
