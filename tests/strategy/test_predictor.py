import numpy as np
import pytest

from hypernas import create_study
from hypernas.errors import StrategyError
from hypernas.space import Float, NB201Cell, Space
from hypernas.strategy import PredictorGuidedEvolution
from hypernas.strategy._candidates import features

CELL = NB201Cell()
WEIGHTS = {"none": 0.0, "skip_connect": 1.0, "nor_conv_1x1": 2.0, "nor_conv_3x3": 3.0, "avg_pool_3x3": 0.5}
OPTIMUM = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def cell_score(trial) -> float:
    return sum(WEIGHTS[o] * (1 + 0.1 * e) for e, o in enumerate(CELL.to_ops(trial.params["cell"])))


@pytest.mark.parametrize("model", ["gp", "mlp"])
def test_finds_the_optimum_of_an_additive_cell_score(model):
    strategy = PredictorGuidedEvolution(model=model, n_initial=10, ensemble_size=3)
    study = create_study(direction="maximize", seed=0, strategy=strategy)
    study.optimize(cell_score, Space({"cell": NB201Cell()}), n_trials=45, show_progress=False)
    assert study.best_params["cell"] == OPTIMUM
    cells = [t.params["cell"] for t in study.trials]
    assert len(set(cells)) == len(cells)


def test_uses_the_path_encoding_and_works_on_any_space():
    space = Space({"cell": NB201Cell(), "lr": Float(0.001, 0.1, log=True)})
    x = features(space, {"cell": OPTIMUM, "lr": 0.01})
    assert len(x) == 84 + 30 + 1
    study = create_study(direction="minimize", seed=2, strategy=PredictorGuidedEvolution(model="gp", n_initial=5))
    study.optimize(lambda t: (np.log10(t.params["lr"]) + 2) ** 2 - cell_score(t), space, n_trials=30,
                   show_progress=False)
    assert study.best_value < min(t.values[0] for t in study.trials[:5])


def test_bad_options():
    with pytest.raises(StrategyError, match="model must be 'gp' or 'mlp'"):
        PredictorGuidedEvolution(model="forest")
    with pytest.raises(StrategyError, match="n_initial must be an integer >= 2"):
        PredictorGuidedEvolution(n_initial=1)
    with pytest.raises(StrategyError, match="kappa"):
        PredictorGuidedEvolution(kappa=-1)


def test_whole_space_ranking_and_queue():
    small = Space({"cell": NB201Cell(ops=["none", "skip_connect", "nor_conv_3x3"], nodes=3)})  # 27 cells
    strategy = PredictorGuidedEvolution(model="gp", n_initial=4, whole_space_limit=100, batch_size=3)
    study = create_study(direction="maximize", seed=0, strategy=strategy)
    weights = {"none": 0, "skip_connect": 1, "nor_conv_3x3": 2}
    study.optimize(lambda t: sum(weights[o] for o in small["cell"].to_ops(t.params["cell"])), small, n_trials=12,
                   show_progress=False)
    assert study.best_value == 6
    assert len({t.params["cell"] for t in study.trials}) == 12
    assert "predictor:queue" in study.system_attrs


def test_batches_mix_incumbent_neighbours_and_the_best_bounds():
    space = Space({"cell": NB201Cell()})
    incumbent = {"cell": OPTIMUM}
    near = space.neighbors(incumbent)[:2]
    far = [{"cell": "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"}]
    pool = far + near
    mean, std = np.array([5.0, 1.0, 2.0]), np.zeros(3)
    batch = PredictorGuidedEvolution(batch_size=2, local_share=0.5)._batch(space, pool, mean, std, incumbent)
    assert batch == [near[1], far[0]]
    only_bounds = PredictorGuidedEvolution(batch_size=2, local_share=0.0)._batch(space, pool, mean, std, incumbent)
    assert only_bounds == [far[0], near[1]]
    with pytest.raises(StrategyError, match="local_share"):
        PredictorGuidedEvolution(local_share=2)


def test_tournament_parents_npenas_mode():
    strategy = PredictorGuidedEvolution(model="gp", n_initial=10, population_size=10, sample_size=3, local_share=0.5)
    study = create_study(direction="maximize", seed=1, strategy=strategy)
    study.optimize(cell_score, Space({"cell": NB201Cell()}), n_trials=40, show_progress=False)
    assert study.best_value > max(t.values[0] for t in study.trials[:10])
    assert len({t.params["cell"] for t in study.trials}) == 40
