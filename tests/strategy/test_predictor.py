import numpy as np
import pytest

from hypernas import create_study, load_study
from hypernas.errors import StrategyError
from hypernas.space import (
    ChainSpace,
    DARTSCell,
    Float,
    HierarchicalSpace,
    MobileNetSpace,
    NB201Cell,
    ShuffleNetSpace,
    Space,
)
from hypernas.strategy import PredictorGuidedEvolution
from hypernas.strategy._nas.candidates import features

CELL = NB201Cell()
WEIGHTS = {"none": 0.0, "skip_connect": 1.0, "nor_conv_1x1": 2.0, "nor_conv_3x3": 3.0, "avg_pool_3x3": 0.5}
OPTIMUM = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def cell_score(trial) -> float:
    return sum(WEIGHTS[o] * (1 + 0.1 * e) for e, o in enumerate(CELL.to_ops(trial.params["cell"])))


@pytest.mark.parametrize("model,acquisition", [("gp", "ei"), ("gp", "ucb"), ("mlp", "ucb"), ("gp", "thompson"),
                                               ("mlp", "thompson")])
def test_finds_the_optimum_of_an_additive_cell_score(model, acquisition):
    strategy = PredictorGuidedEvolution(model=model, n_initial=10, ensemble_size=3, acquisition=acquisition)
    study = create_study(direction="maximize", seed=0, strategy=strategy)
    study.optimize(cell_score, Space({"cell": NB201Cell()}), n_trials=45, show_progress=False)
    assert study.best_params["cell"] == OPTIMUM
    cells = [t.params["cell"] for t in study.trials]
    assert len(set(cells)) == len(cells)


@pytest.mark.parametrize("model", ["gp", "mlp"])
def test_works_on_a_space_with_numbers_beside_the_cell(model):
    space = Space({"cell": NB201Cell(), "lr": Float(0.001, 0.1, log=True)})
    x = features(space, {"cell": OPTIMUM, "lr": 0.01})
    assert len(x) == 84 + 30 + 1  # the path encoding and one-hot cell, then the learning rate (for "mlp")
    study = create_study(direction="minimize", seed=2, strategy=PredictorGuidedEvolution(model=model, n_initial=5))
    study.optimize(lambda t: (np.log10(t.params["lr"]) + 2) ** 2 - cell_score(t), space, n_trials=30,
                   show_progress=False)
    assert study.best_value < min(t.values[0] for t in study.trials[:5])


def test_bad_options():
    with pytest.raises(StrategyError, match="predictor: model must be one of 'gp', 'mlp'"):
        PredictorGuidedEvolution(model="forest")
    with pytest.raises(StrategyError, match="n_initial must be an integer >= 2"):
        PredictorGuidedEvolution(n_initial=1)
    with pytest.raises(StrategyError, match="kappa"):
        PredictorGuidedEvolution(kappa=-1)
    with pytest.raises(StrategyError, match="predictor: acquisition must be one of 'ei', 'ucb', 'thompson', got 'pi'"):
        PredictorGuidedEvolution(acquisition="pi")


def test_whole_space_ranking_and_queue():
    small = Space({"cell": NB201Cell(ops=["none", "skip_connect", "nor_conv_3x3"], nodes=3)})  # 27 cells
    strategy = PredictorGuidedEvolution(model="gp", n_initial=4, whole_space_limit=100, batch_size=3)
    study = create_study(direction="maximize", seed=0, strategy=strategy)
    weights = {"none": 0, "skip_connect": 1, "nor_conv_3x3": 2}
    study.optimize(lambda t: sum(weights[o] for o in small["cell"].to_ops(t.params["cell"])), small, n_trials=12,
                   show_progress=False)
    assert study.best_value == 6
    assert len({t.params["cell"] for t in study.trials}) == 12
    assert "queue" in study.strategy_state("predictor")


class _Stub:
    """A predictor with fixed means, no spread, whose Thompson draws are its means."""

    def __init__(self, mean: np.ndarray) -> None:
        self.mean = mean

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.mean, np.zeros_like(self.mean)

    def draw(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.mean.copy()


def test_batches_mix_incumbent_neighbours_and_the_best_bounds():
    space = Space({"cell": NB201Cell()})
    incumbent = {"cell": OPTIMUM}
    near = space.neighbors(incumbent)[:2]
    far = [{"cell": "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"}]
    pool = far + near
    model, rng, x = _Stub(np.array([5.0, 1.0, 2.0])), np.random.default_rng(0), np.zeros((3, 1))
    batch = PredictorGuidedEvolution(batch_size=2, local_share=0.5)._batch(space, pool, x, model, rng, incumbent, 0.0)
    assert batch == [near[1], far[0]]
    only_bounds = PredictorGuidedEvolution(batch_size=2, local_share=0.0, acquisition="ucb")._batch(
        space, pool, x, model, rng, incumbent, 0.0)
    assert only_bounds == [far[0], near[1]]
    draws = PredictorGuidedEvolution(batch_size=2, acquisition="thompson")._batch(space, pool, x, model, rng,
                                                                                  incumbent, 0.0)
    assert draws == [far[0], near[1]]  # each draw's best among the candidates not chosen yet
    improvements = PredictorGuidedEvolution(batch_size=3)._batch(space, pool, x, model, rng, incumbent, 1.5)
    assert improvements == [far[0], near[1], near[0]]  # 3.5, 0.5 and 0 above the best reward
    with pytest.raises(StrategyError, match="local_share"):
        PredictorGuidedEvolution(local_share=2)


def test_tournament_parents_npenas_mode():
    strategy = PredictorGuidedEvolution(model="gp", n_initial=10, population_size=10, sample_size=3, local_share=0.5)
    study = create_study(direction="maximize", seed=1, strategy=strategy)
    study.optimize(cell_score, Space({"cell": NB201Cell()}), n_trials=40, show_progress=False)
    assert study.best_value > max(t.values[0] for t in study.trials[:10])
    assert len({t.params["cell"] for t in study.trials}) == 40


SMALL = Space({"cell": NB201Cell(ops=["none", "skip_connect", "nor_conv_3x3"], nodes=3)})  # 27 cells, 6 neighbours each


def _near(a: str, b: str) -> bool:
    return SMALL["cell"].distance(a, b) == 1


def test_a_stall_sweeps_the_incumbents_neighbourhood_and_moves_on_improvement():
    strategy = PredictorGuidedEvolution(model="gp", n_initial=4, batch_size=1, patience=3)
    study = create_study(direction="maximize", seed=3, strategy=strategy)
    first = [study.ask(SMALL) for _ in range(4)]
    for i, t in enumerate(first):
        study.tell(t, 10.0 if i == 0 else 0.0)
    centre = first[0].params["cell"]
    step = study.ask()  # 3 results without a new best: sweep around trial 0
    assert _near(step.params["cell"], centre)
    study.tell(step, 20.0)  # improvement: sweep the new incumbent's neighbourhood at once
    centre = step.params["cell"]
    pending = [study.ask(), study.ask()]  # several asks before any tell: different neighbours
    assert all(_near(t.params["cell"], centre) for t in pending)
    assert pending[0].params != pending[1].params
    for t in pending:
        study.tell(t, 0.0)
    while not all(n["cell"] in {t.params["cell"] for t in study.trials} for n in SMALL.neighbors({"cell": centre})):
        t = study.ask()
        assert _near(t.params["cell"], centre)
        study.tell(t, 0.0)
    assert study.strategy_state("predictor")["local"] == list(range(step.number, study.trials[-1].number + 1))
    after = study.ask()  # neighbourhood exhausted: the predictor proposes again
    assert not _near(after.params["cell"], centre) and after.params["cell"] != centre
    assert after.number not in study.strategy_state("predictor")["local"]
    cells = [t.params["cell"] for t in study.trials]
    assert len(set(cells)) == len(cells)


def test_no_sweep_while_the_search_improves():
    strategy = PredictorGuidedEvolution(model="gp", n_initial=4, batch_size=1, patience=3)
    study = create_study(direction="maximize", seed=0, strategy=strategy)
    for value in range(10):  # every trial is a new best
        study.tell(study.ask(SMALL), float(value))
    assert (study.strategy_state("predictor") or {"local": []})["local"] == []


def test_resume_gives_the_same_proposal_mid_sweep(tmp_path):
    def run(name: str) -> tuple[dict, "object"]:
        url = f"sqlite:///{tmp_path / (name + '.db')}"
        strategy = PredictorGuidedEvolution(model="gp", n_initial=5, patience=4)
        study = create_study(name=name, storage=url, direction="maximize", seed=7, strategy=strategy)
        study.optimize(cell_score, Space({"cell": NB201Cell()}), n_trials=25, show_progress=False)
        return study, url

    a, _ = run("a")
    b, url = run("b")
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert a.strategy_state("predictor")["local"]  # the runs did sweep
    resumed = load_study("b", url)
    assert resumed.ask().params == a.ask().params


def test_bad_patience():
    with pytest.raises(StrategyError, match="patience must be an integer >= 0"):
        PredictorGuidedEvolution(patience=1.5)
    assert PredictorGuidedEvolution(patience=4).to_config()["patience"] == 4


@pytest.mark.parametrize("param", [ChainSpace(input_size=8, max_layers=4), DARTSCell(),
                                   MobileNetSpace(stages=[[8, 1], [16, 2]]),
                                   HierarchicalSpace(n_motifs=2, motif_nodes=3, top_nodes=3, init_mutations=10),
                                   ShuffleNetSpace(depths=[2, 2])],
                         ids=["chain", "darts", "mobilenet", "hierarchical", "shufflenet"])
def test_the_gene_gp_searches_every_architecture_space(param):
    space = Space({"arch": param, "lr": Float(0.001, 0.1, log=True)})

    def score(trial) -> float:  # a deterministic score of the genotype's tokens and the learning rate
        tokens = param.to_tokens(trial.params["arch"])
        return sum((t % 3) * (1 + k % 2) for k, t in enumerate(tokens)) - (np.log10(trial.params["lr"]) + 2) ** 2

    study = create_study(direction="maximize", seed=0, strategy=PredictorGuidedEvolution(n_initial=6))
    study.optimize(score, space, n_trials=14, show_progress=False)
    keys = [space.key(t.params) for t in study.trials]
    assert len(set(keys)) == 14 and all(t.state.name == "COMPLETE" for t in study.trials)


@pytest.mark.parametrize("model", ["gp", "mlp"])
def test_pending_configurations_are_believed_at_the_predicted_mean(model, monkeypatch):
    """Parallel workers: the model is told its own mean at the pending cells (kriging believer) before it ranks."""
    from hypernas.strategy import predictor

    believed: list[int] = []
    cls = predictor.GeneGP if model == "gp" else predictor._MLPEnsemble
    believe = cls.believe
    monkeypatch.setattr(cls, "believe", lambda self, x: believed.append(len(x)) or believe(self, x))
    strategy = PredictorGuidedEvolution(model=model, n_initial=6, ensemble_size=2)
    study = create_study(direction="maximize", seed=0, strategy=strategy, space=Space({"cell": NB201Cell()}))
    study.optimize(cell_score, n_trials=6, show_progress=False)
    assert believed == []  # sequentially nothing is pending
    pending = [study.ask() for _ in range(4)]
    assert believed == [1, 2, 3]
    assert len({t.params["cell"] for t in pending}) == 4
