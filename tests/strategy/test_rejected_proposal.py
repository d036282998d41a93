"""A proposal the study rejects leaves the strategy's saved state as it was (no slot for a trial never created)."""

from __future__ import annotations

import pytest

import hypernas as hn
from hypernas.record import TrialState
from hypernas.strategy import HyperbandScheduler, RandomSearch

SPACE = hn.Space({"x": hn.Float(0, 1)})


class RejectedOnce(RandomSearch):
    """Random search whose proposal for one trial number is out of the space, once."""

    def __init__(self, bad_number: int, seed: int | None = None) -> None:
        super().__init__(seed)
        self.bad_number = bad_number
        self.rejected = False

    def ask(self, study, trial):
        if trial.number == self.bad_number and not self.rejected:
            self.rejected = True
            return {"x": 5.0}
        return super().ask(study, trial)


def test_hyperband_plan_keeps_no_slot_for_a_rejected_proposal():
    study = hn.create_study(direction="minimize", seed=0, space=SPACE,
                            strategy=HyperbandScheduler(base=RejectedOnce(bad_number=2, seed=0), max_resource=9))
    for _ in range(2):
        study.tell(study.ask(), 0.5)
    before = study.strategy_state("hyperband")
    with pytest.raises(hn.SpaceError):
        study.ask()
    assert study.strategy_state("hyperband") == before
    for _ in range(11):
        trial = study.ask()
        study.tell(trial, trial.params["x"])
    plan = study.strategy_state("hyperband")
    numbers = [n for bracket in plan["brackets"] for rung in bracket["rungs"] for n in rung]
    assert sorted(numbers) == list(range(13)) == sorted(int(n) for n in plan["budgets"])
    assert [t.system_attrs["decisions"]["budget"] for t in study.trials] == [1] * 9 + [3] * 3 + [9]
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 13


def test_hyperband_forgets_a_slot_left_by_a_proposal_rejected_before_this_was_fixed():
    study = hn.create_study(direction="minimize", seed=0, space=SPACE, strategy={"type": "hyperband", "max_resource": 9})
    study.tell(study.ask(), 0.5)
    plan = study.strategy_state("hyperband")  # as an older version left it: trial 1 in the plan, never created
    plan["brackets"][0]["rungs"][0].append(1)
    plan["budgets"]["1"] = 1
    study.set_strategy_state("hyperband", plan)
    for _ in range(12):
        trial = study.ask()
        study.tell(trial, trial.params["x"])
    plan = study.strategy_state("hyperband")
    numbers = [n for bracket in plan["brackets"] for rung in bracket["rungs"] for n in rung]
    assert sorted(numbers) == list(range(13))
    assert [t.system_attrs["decisions"]["budget"] for t in study.trials] == [1] * 9 + [3] * 3 + [9]


def fail_once(owner: object, method: str, error: Exception) -> None:
    """Make ``owner.method`` raise ``error`` on its next call (after the strategy has proposed)."""
    original = getattr(owner, method)
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise error
        return original(*args, **kwargs)

    setattr(owner, method, failing)


@pytest.mark.parametrize("path", ["new", "enqueued"])
@pytest.mark.parametrize("config", [
    {"type": "cmaes", "population_size": 4},
    {"type": "local"},
    {"type": "hyperband", "max_resource": 9},
    {"type": "hyperband", "max_resource": 9, "min_points_in_model": 2,
     "base": {"type": "gp", "n_startup_trials": 2, "n_raw": 16, "n_restarts": 1}},
])
def test_a_rejected_proposal_leaves_every_strategy_state_as_it_was(config, path):
    space = hn.Space({"x": hn.Float(0, 1), "n": hn.Int(1, 3)})
    study = hn.create_study(direction="minimize", seed=0, space=space, strategy=config)
    study.optimize(lambda t: t.params["x"], n_trials=5)
    before = dict(study.system_attrs)
    if path == "new":  # the record refuses the new trial
        fail_once(study.storage, "create_trial", hn.StorageError("the record is read-only"))
    else:  # an enqueued partial configuration: the strategy proposes n, then its completion is refused
        study.enqueue({"x": 0.5})
        before = dict(study.system_attrs)
        fail_once(study.space, "complete", hn.SpaceError("rejected"))
    with pytest.raises(hn.HypernasError, match="read-only" if path == "new" else "rejected"):
        study.ask()
    assert dict(study.system_attrs) == before
    if path == "enqueued":
        assert study.trials[-1].state is TrialState.FAILED and "enqueued parameters rejected" in study.trials[-1].error
    study.optimize(lambda t: t.params["x"], n_trials=3)
    assert [t.state for t in study.trials].count(TrialState.COMPLETE) == 8
