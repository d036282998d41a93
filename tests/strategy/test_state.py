"""The strategy contract's declared state, its per-trial decisions, and what ``ask`` sees of the history."""

from __future__ import annotations

import base64
import json

import pytest

import hypernas as hn
from hypernas.record import TrialState
from hypernas.space import NB201Cell
from hypernas.strategy import STRATEGIES, HyperbandScheduler, RandomSearch, Strategy

SPACE = hn.Space({"x": hn.Float(0, 1), "n": hn.Int(1, 4)})


def quadratic(trial) -> float:
    return (trial.params["x"] - 0.3) ** 2 + 1.0 / (trial.budget or 1)


def test_state_is_json_kept_under_its_key_and_survives_a_reload(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = hn.create_study("s", url, space=SPACE)
    assert study.strategy_state("mine") is None
    study.set_strategy_state("mine", {"a": (1, 2.5), "b": None})
    assert study.strategy_state("mine") == {"a": [1, 2.5], "b": None}  # stored as JSON
    assert study.system_attrs["strategy_state:mine"] == {"a": [1, 2.5], "b": None}
    assert hn.load_study("s", url).strategy_state("mine") == {"a": [1, 2.5], "b": None}
    with pytest.raises(hn.ConfigError, match="strategy state 'mine' must be JSON data"):
        study.set_strategy_state("mine", {"a": object()})


def test_a_read_state_is_a_copy():
    study = hn.create_study(space=SPACE)
    study.set_strategy_state("k", {"queue": [1]})
    study.strategy_state("k")["queue"].append(2)
    assert study.strategy_state("k") == {"queue": [1]}


def test_a_strategy_keeps_its_state_under_its_registered_name_or_declared_key():
    class Counter(Strategy):
        name = "test_counter"

        def ask(self, study, trial):
            self.save_state(study, (self.load_state(study) or 0) + 1)
            return study.space.complete({})

    class Keyed(Counter):
        state_key = "counted"

    with STRATEGIES.temporarily("test_counter", Counter):
        study = hn.create_study(strategy="test_counter", space=SPACE)
        study.optimize(lambda t: 0.0, n_trials=3)
        assert study.strategy_state("test_counter") == 3
        keyed = hn.create_study(strategy=Keyed(), space=SPACE)
        keyed.optimize(lambda t: 0.0, n_trials=2)
        assert keyed.strategy_state("counted") == 2 and keyed.strategy_state("test_counter") is None


OLD_STATE = {  # what studies made before the state was declared hold: never unpickled, ignored
    "cmaes:state": {"restart": 0, "members": [[0, [0.5, 0.5]]], "optimizer": base64.b64encode(b"not a pickle").decode()},
    "reinforce:state": {"version": 3, "baseline": 0.5, "model": "bm90IGEgdG9yY2ggZmlsZQ==", "optimizer": "eA=="},
    "hyperband:plan": {"brackets": "?", "budgets": {"0": 27}, "parents": {}},
    "grid:stages": [{"center": None}, {"center": {"x": 0.5}}],
}


@pytest.mark.parametrize("config, space", [
    ({"type": "cmaes"}, SPACE),
    ({"type": "reinforce", "hidden": 4}, hn.Space({"cell": NB201Cell()})),
    ({"type": "hyperband", "max_resource": 9}, SPACE),
    ({"type": "grid", "resolution": 3}, SPACE),
])
def test_a_study_with_old_format_state_resumes_from_its_history(tmp_path, config, space, caplog):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    study = hn.create_study("old", url, strategy=config, space=space, seed=0)
    study.optimize(lambda t: 0.0, n_trials=2)
    for key, value in OLD_STATE.items():
        study.set_system_attr(key, value)
    old_config = {k: v for k, v in study.system_attrs["strategy"].items() if v is not None}  # as written before
    study.set_system_attr("strategy", old_config)
    resumed = hn.load_study("old", url)
    assert "strategy state in an old format" in caplog.text and "is ignored" in caplog.text
    resumed.optimize(lambda t: 0.0, n_trials=3)
    assert [t.state for t in resumed.trials] == [TrialState.COMPLETE] * 5
    assert resumed.strategy.to_config() == study.strategy.to_config()


def test_hyperband_records_each_trials_budget_at_ask_time():
    study = hn.create_study(direction="minimize", seed=1, space={"x": hn.Float(0, 1)},
                            strategy={"type": "hyperband", "max_resource": 9})
    study.optimize(quadratic, n_trials=13)
    budgets = [t.system_attrs["decisions"]["budget"] for t in study.trials]
    assert budgets == [1] * 9 + [3] * 3 + [9]
    frame = study.to_dataframe()
    assert list(frame["budget"]) == budgets
    assert list(frame.columns[:4]) == ["number", "state", "value", "budget"]
    running = study.ask()
    assert running.budget == 3 and study.trials[-1].system_attrs["decisions"] == {"budget": 3}


def test_enqueued_trials_get_a_budget_when_the_scheduler_proposes_for_them():
    study = hn.create_study(direction="minimize", seed=0, space=SPACE, strategy={"type": "hyperband", "max_resource": 9})
    study.enqueue({"x": 0.5, "n": 2})  # complete: the scheduler is not asked, the trial has its full budget
    study.enqueue({"x": 0.25})  # partial: the scheduler proposes the rest and gives it a budget
    full, partial = study.ask(), study.ask()
    assert (full.params, full.budget) == ({"x": 0.5, "n": 2}, None)
    assert partial.params["x"] == 0.25 and partial.budget == 1
    assert "decisions" not in study.trials[0].system_attrs
    assert study.trials[1].system_attrs["decisions"] == {"budget": 1}


def test_no_decisions_no_column():
    study = hn.create_study(space=SPACE)
    study.optimize(lambda t: 0.0, n_trials=2)
    assert "budget" not in study.to_dataframe().columns
    assert all(t.budget is None for t in [study.ask()])


def test_ask_sees_the_history_its_docstring_describes():
    seen = []

    class Recorder(RandomSearch):
        def ask(self, study, trial):
            history = study.get_trials()
            seen.append((trial.number, [(t.number, t.state) for t in history]))
            assert [t.number for t in history] == list(range(len(history)))
            mine = [t for t in history if t.number == trial.number]
            if mine:  # an enqueued trial with partial parameters: RUNNING in the history
                assert mine[0].state is TrialState.RUNNING and mine[0].params == {"x": 0.5}
            else:  # a new trial: the next number, and nothing WAITING
                assert trial.number == len(history)
                assert all(t.state is not TrialState.WAITING for t in history)
            return super().ask(study, trial)

    study = hn.create_study(strategy=Recorder(seed=0), space=SPACE)
    first = study.ask()
    study.tell(study.ask(), 1.0)  # trial 1 complete, trial 0 still running
    study.enqueue({"x": 0.5})
    study.enqueue({"x": 0.7, "n": 3})
    study.tell(study.ask(), state="FAILED")  # the partial enqueued trial 2, completed by the strategy
    study.ask()  # the complete enqueued trial 3: the strategy is not asked
    study.tell(first, state="PRUNED")
    study.ask()  # trial 4: a new one
    assert [n for n, _ in seen] == [0, 1, 2, 4]
    assert seen[2][1] == [(0, TrialState.RUNNING), (1, TrialState.COMPLETE), (2, TrialState.RUNNING),
                          (3, TrialState.WAITING)]
    assert seen[3][1] == [(0, TrialState.PRUNED), (1, TrialState.COMPLETE), (2, TrialState.FAILED),
                          (3, TrialState.RUNNING)]


def test_reinforce_keeps_its_controller_as_json_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'rl.db'}"
    space = hn.Space({"cell": NB201Cell()})
    study = hn.create_study("rl", url, direction="maximize", seed=0, strategy={"type": "reinforce", "hidden": 4})
    study.optimize(lambda t: float(len(t.params["cell"])), space, n_trials=3)
    state = study.strategy_state("reinforce")
    assert state["version"] == 3 and json.loads(json.dumps(state)) == state
    weights = state["model"]["embed.weight"]
    assert weights["dtype"] == "float32" and weights["shape"][1] == 4 and isinstance(weights["base64"], str)
    assert state["optimizer"]["param_groups"][0]["lr"] == 0.01


def test_hyperband_base_strategy_state_goes_through_the_budget_view():
    scheduler = HyperbandScheduler(base={"type": "gp", "n_startup_trials": 2, "n_raw": 16, "n_restarts": 1},
                                   max_resource=3, min_points_in_model=2, seed=0)
    study = hn.create_study(direction="minimize", space={"x": hn.Float(0, 1)}, strategy=scheduler)
    study.optimize(quadratic, n_trials=6)
    assert study.strategy_state("gp")["n"] >= 2 and study.strategy_state("hyperband")["budgets"]


def test_a_requeued_lost_trial_keeps_the_budget_it_was_given(tmp_path):
    from hypernas.study.workers import mark_done

    study = hn.create_study("hb", f"sqlite:///{tmp_path / 'hb.db'}", direction="minimize", seed=0,
                            space={"x": hn.Float(0, 1)}, strategy={"type": "hyperband", "max_resource": 9})
    lost = study.ask()
    mark_done(study.storage, lost.trial_id)  # its worker stopped without finishing it
    assert study.fail_lost_trials(requeue=True) == [lost.number]
    again = study.ask()
    assert again.number != lost.number and again.params == lost.params
    assert again.budget == lost.budget == 1


def test_parallel_threads_update_a_learning_strategy_safely():
    space = hn.Space({"cell": NB201Cell()})
    for name in ("reinforce", "qlearning"):
        study = hn.create_study(direction="maximize", seed=0, strategy={"type": name})
        study.optimize(lambda t: float(str(t.params["cell"]).count("conv")), space, n_trials=16, n_workers=4, catch=())
        assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 16


@pytest.mark.parametrize("decision", ["number", "error", "accuracy", "params_x"])
def test_a_decision_may_not_take_the_name_of_a_record_column(decision):
    class Deciding(RandomSearch):
        def decisions(self, study, trial):
            return {decision: 1}

    with STRATEGIES.temporarily("deciding", Deciding):
        study = hn.create_study(metrics=["accuracy"], directions=["maximize"], space={"x": hn.Float(0, 1)},
                                strategy="deciding")
        with pytest.raises(hn.InternalError, match=f"'{decision}' is a column of the trial's record"):
            study.ask()
