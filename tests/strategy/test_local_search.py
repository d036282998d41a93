import pytest

from hypernas import create_study, load_study
from hypernas.space import Int, NB201Cell, Space
from hypernas.strategy import LocalSearch

CELL = NB201Cell()
WEIGHTS = {"none": 0.0, "skip_connect": 1.0, "nor_conv_1x1": 2.0, "nor_conv_3x3": 3.0, "avg_pool_3x3": 0.5}
OPTIMUM = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def cell_score(trial) -> float:
    return sum(WEIGHTS[o] * (1 + 0.1 * e) for e, o in enumerate(CELL.to_ops(trial.params["cell"])))


def test_climbs_to_the_optimum_without_repeats():
    study = create_study(direction="maximize", seed=0, strategy=LocalSearch())
    study.optimize(cell_score, Space({"cell": NB201Cell()}), n_trials=150, show_progress=False)
    assert study.best_params["cell"] == OPTIMUM
    keys = [t.params["cell"] for t in study.trials]
    assert len(set(keys)) == len(keys)


def test_restarts_at_a_local_optimum():
    space = Space({"x": Int(0, 20)})
    study = create_study(direction="maximize", seed=3, strategy=LocalSearch())
    # two peaks: x=5 (local) and x=17 (global); neighbours are x-1 and x+1
    study.optimize(lambda t: -abs(t.params["x"] - 5) if t.params["x"] < 11 else 10 - abs(t.params["x"] - 17),
                   space, n_trials=21, show_progress=False)
    assert study.best_params == {"x": 17}
    assert len({t.params["x"] for t in study.trials}) == 21


def test_resume_continues_from_the_stored_centre(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = create_study(name="ls", storage=url, direction="maximize", seed=1, strategy=LocalSearch())
    study.optimize(cell_score, Space({"cell": NB201Cell()}), n_trials=30, show_progress=False)
    center = study.strategy_state("local")
    resumed = load_study("ls", url)
    trial = resumed.ask()
    assert CELL.distance(trial.params["cell"], center["cell"]) <= 1 or trial.params == center


@pytest.mark.parametrize("weights", [[1.0, 0.0]])
def test_weights_combine_objectives(weights):
    study = create_study(directions=["maximize", "minimize"], seed=0, strategy=LocalSearch(weights=weights))
    study.optimize(lambda t: (cell_score(t), 1.0), Space({"cell": NB201Cell()}), n_trials=150, show_progress=False)
    assert OPTIMUM in [t.params["cell"] for t in study.trials]


def test_with_parallel_workers_the_move_waits_for_the_pending_neighbours():
    """A neighbour still running may be the best: the centre stays until it is told, meanwhile others are tried."""
    space = Space({"x": Int(0, 20)})
    study = create_study(direction="maximize", seed=0, strategy=LocalSearch(), space=space)
    centre = study.ask()
    study.tell(centre, 0.0)
    c = centre.params["x"]
    first, second = study.ask(), study.ask()  # both neighbours, the second still running below
    assert sorted([first.params["x"], second.params["x"]]) == [c - 1, c + 1]
    study.tell(first, -1.0)  # worse than the centre: sequentially a local optimum, restart
    meanwhile = study.ask()
    assert study.strategy_state("local") == {"x": c}  # no restart yet
    study.tell(second, 1.0)  # the pending neighbour improves
    study.tell(meanwhile, -5.0)
    step = study.ask()
    assert study.strategy_state("local") == second.params
    assert abs(step.params["x"] - second.params["x"]) == 1
