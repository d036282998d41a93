import numpy as np
import pytest

from hypernas import create_study, load_study
from hypernas.errors import StorageError, StrategyError
from hypernas.space import Categorical, Int, NB201Cell, Space
from hypernas.strategy import Reinforce
from hypernas.strategy._nas.tokens import TokenPlan

CELL = NB201Cell()


def conv_count(trial) -> float:
    return float(CELL.to_ops(trial.params["cell"]).count("nor_conv_3x3"))


def test_token_plan_covers_cells_and_plain_parameters():
    space = Space({"cell": NB201Cell(), "act": Categorical(["relu", "gelu"]), "width": Int(8, 64, step=8)})
    plan = TokenPlan(space)
    assert [n for _, _, n in plan.slots] == [5] * 6 + [2, 5]
    params = {"cell": CELL.default, "act": "gelu", "width": 64}
    seq = plan.tokens_of(params)
    tokens = iter(t for _, t in seq)
    assert plan.generate(lambda slot: next(tokens))[0] == params


def test_learns_to_prefer_rewarded_operations():
    study = create_study(direction="maximize", seed=0, strategy=Reinforce(hidden=16, lr=0.05, entropy_weight=0.0))
    study.optimize(conv_count, Space({"cell": NB201Cell()}), n_trials=60, show_progress=False)
    counts = [t.values[0] for t in study.trials]
    assert np.mean(counts[-15:]) > np.mean(counts[:15]) + 1.0  # random cells have 1.2 on average


def test_resume_continues_with_the_trained_controller(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    space = Space({"cell": NB201Cell()})
    study = create_study(name="rl", storage=url, direction="maximize", seed=1, strategy=Reinforce(lr=0.05))
    study.optimize(conv_count, space, n_trials=10, show_progress=False)
    assert study.strategy_state("reinforce")["version"] == 10
    fresh = create_study(name="rl2", storage=url, direction="maximize", seed=1, strategy=Reinforce(lr=0.05))
    resumed = load_study("rl", url, strategy=Reinforce(lr=0.05))
    a, b = resumed.ask(space), fresh.ask(space)
    assert a.number == 10 and b.number == 0
    resumed.tell(a, conv_count(a))
    assert resumed.strategy_state("reinforce")["version"] == 11


def test_bad_options():
    with pytest.raises(StrategyError, match="baseline_decay must be a number in"):
        Reinforce(baseline_decay=2)
    with pytest.raises(StrategyError, match="hidden"):
        Reinforce(hidden=0)
    with pytest.raises(StrategyError, match="batch_size must be an integer >= 1, got 0"):
        Reinforce(batch_size=0)


def test_batches_update_the_controller_once_per_batch_and_resume_mid_batch(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    space = Space({"cell": NB201Cell()})
    study = create_study(name="rl", storage=url, direction="maximize", seed=1, strategy=Reinforce(batch_size=4))
    pending = [study.ask(space) for _ in range(4)]  # four workers: one batch from one policy
    for trial in pending[:3]:
        study.tell(trial, conv_count(trial))
    state = study.strategy_state("reinforce")
    assert state["version"] == 0 and state["batch"] == [0, 1, 2] and state["baseline"] is None
    resumed = load_study("rl", url, strategy=Reinforce(batch_size=4))
    resumed.tell(pending[3], conv_count(pending[3]))
    state = resumed.strategy_state("reinforce")
    assert state["version"] == 1 and state["batch"] == []
    resumed.optimize(conv_count, n_trials=8, show_progress=False)
    assert resumed.strategy_state("reinforce")["version"] == 3



def test_a_stored_batch_that_should_have_been_applied_is_malformed():
    space = Space({"cell": NB201Cell()})
    study = create_study(direction="maximize", seed=1, strategy=Reinforce(batch_size=2), space=space)
    study.optimize(conv_count, n_trials=3, show_progress=False)
    state = study.strategy_state("reinforce")
    assert state["batch"] == [2]
    study.set_strategy_state("reinforce", {**state, "batch": [2, 3]})
    with pytest.raises(StorageError, match=r"batch: expected fewer than 2 trial numbers, got \[2, 3\]"):
        study.ask()
