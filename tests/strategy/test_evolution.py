import numpy as np
import pytest

from hypernas import create_study
from hypernas.errors import StrategyError
from hypernas.space import Categorical, Float, NB201Cell, Space
from hypernas.strategy import AgingEvolution, make_strategy

CELL = NB201Cell()
WEIGHTS = {"none": 0.0, "skip_connect": 1.0, "nor_conv_1x1": 2.0, "nor_conv_3x3": 3.0, "avg_pool_3x3": 0.5}


def cell_score(trial) -> float:
    return sum(WEIGHTS[o] * (1 + 0.1 * e) for e, o in enumerate(CELL.to_ops(trial.params["cell"])))


def run(strategy, n=60, seed=0):
    study = create_study(direction="maximize", seed=seed, strategy=strategy)
    study.optimize(cell_score, Space({"cell": NB201Cell()}), n_trials=n, show_progress=False)
    return study


def test_children_are_single_mutations_of_earlier_trials():
    study = run(AgingEvolution(population_size=10, sample_size=3), n=40)
    cells = [t.params["cell"] for t in study.trials]
    assert len(set(cells)) == len(cells)  # never proposes an architecture twice
    for k in range(10, 40):
        assert min(CELL.distance(cells[k], c) for c in cells[:k]) == 1


def test_aging_population_is_the_most_recent_and_tournament_keeps_the_best():
    study = run(AgingEvolution(population_size=10, sample_size=3), n=30)
    pop = AgingEvolution(population_size=10).population(study)
    assert [t.number for t, _ in pop] == list(range(20, 30))
    worst = AgingEvolution(population_size=10, removal="worst").population(study)
    scores = sorted((t.values[0] for t in study.trials), reverse=True)[:10]
    assert sorted((r for _, r in worst), reverse=True) == scores


def test_improves_over_random_and_is_reproducible():
    evo = [run(make_strategy({"type": "evolution", "population_size": 10, "sample_size": 5}), seed=s).best_value
           for s in range(3)]
    rnd = [run("random", seed=s).best_value for s in range(3)]
    assert np.mean(evo) > np.mean(rnd)
    again = run(make_strategy({"type": "evolution", "population_size": 10, "sample_size": 5}), seed=0)
    assert again.best_value == evo[0]


def test_any_space_and_minimize():
    space = Space({"x": Float(-5, 5), "k": Categorical(["a", "b"])})
    study = create_study(direction="minimize", seed=1, strategy=AgingEvolution(population_size=8, sample_size=3))
    study.optimize(lambda t: t.params["x"] ** 2 + (t.params["k"] == "b"), space, n_trials=60, show_progress=False)
    assert study.best_value < 0.5 and study.best_params["k"] == "a"


def test_bad_options():
    with pytest.raises(StrategyError, match="evolution: removal must be one of 'oldest', 'worst'"):
        AgingEvolution(removal="youngest")
    with pytest.raises(StrategyError, match="sample_size"):
        AgingEvolution(population_size=5, sample_size=9)
    with pytest.raises(StrategyError, match="weights"):
        AgingEvolution(weights=[0, 0])
