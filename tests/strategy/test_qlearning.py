import numpy as np
import pytest

from hypernas import create_study
from hypernas.errors import StrategyError
from hypernas.space import Categorical, NB201Cell, Space
from hypernas.strategy import QLearning

CELL = NB201Cell()


def conv_count(trial) -> float:
    return float(CELL.to_ops(trial.params["cell"]).count("nor_conv_3x3"))


def test_epsilon_decreases_along_the_schedule():
    q = QLearning(epsilon_schedule=[[0, 1.0], [10, 0.5], [20, 0.1]])
    assert [q.epsilon(n) for n in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.1]


def test_update_rule_on_a_one_step_space():
    # one slot, two actions: Q(a) <- (1 - alpha) Q(a) + alpha * r, with r scaled into [0, 1]
    space = Space({"k": Categorical(["bad", "good"])})
    study = create_study(direction="maximize", seed=0, strategy=QLearning(alpha=0.5, replay=1, q_init=0.5))
    study.enqueue({"k": "bad"})
    study.enqueue({"k": "good"})
    study.optimize(lambda t: 1.0 if t.params["k"] == "good" else 0.0, space, n_trials=2, show_progress=False)
    table = study.strategy_state("qlearning")
    assert table["0:-1"] == [0.5, 0.75]  # bad alone scales to r = 0.5: Q stays 0.5; good: r = 1 -> 0.75


def test_greedy_phase_exploits_what_was_learned():
    schedule = [[0, 1.0], [40, 0.1]]
    study = create_study(direction="maximize", seed=0, strategy=QLearning(epsilon_schedule=schedule, alpha=0.3))
    study.optimize(conv_count, Space({"cell": NB201Cell()}), n_trials=90, show_progress=False)
    counts = [t.values[0] for t in study.trials]
    assert np.mean(counts[60:]) > np.mean(counts[:40]) + 0.5
    assert len({t.params["cell"] for t in study.trials}) == 90


def test_bad_options():
    with pytest.raises(StrategyError, match="epsilon_schedule"):
        QLearning(epsilon_schedule=[[0, 2.0]])
    with pytest.raises(StrategyError, match="alpha must be a number in"):
        QLearning(alpha=1.5)
