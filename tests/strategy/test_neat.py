import pytest

from hypernas import create_study
from hypernas.errors import StrategyError
from hypernas.space import Float, Int, NB201Cell, Space
from hypernas.strategy import NEAT

CELL = NB201Cell()
WEIGHTS = {"none": 0.0, "skip_connect": 1.0, "nor_conv_1x1": 2.0, "nor_conv_3x3": 3.0, "avg_pool_3x3": 0.5}


def cell_score(trial) -> float:
    return sum(WEIGHTS[o] * (1 + 0.1 * e) for e, o in enumerate(CELL.to_ops(trial.params["cell"])))


def run(strategy, n, seed=0):
    study = create_study(direction="maximize", seed=seed, strategy=strategy)
    study.optimize(cell_score, Space({"cell": NB201Cell()}), n_trials=n, show_progress=False)
    return study


def test_generations_improve_and_are_saved_with_the_study():
    study = run(NEAT(population_size=10), 60)
    gens = [[t.values[0] for t in study.trials[g * 10:(g + 1) * 10]] for g in range(6)]
    assert max(gens[-1]) > max(gens[0]) and sum(gens[-1]) > sum(gens[0])
    assert len(study.strategy_state("neat")["5"]) == 10
    assert len({t.params["cell"] for t in study.trials}) == 60


def test_speciation_groups_by_distance():
    study = run(NEAT(population_size=10), 10)
    members = [(t, t.values[0]) for t in study.trials]
    strict = NEAT(compatibility=0).speciate(study.space, members)
    loose = NEAT(compatibility=6).speciate(study.space, members)
    assert len(strict) == 10 and len(loose) == 1
    assert loose[0][0][1] == max(v for _, v in members)


def test_quotas_fill_the_population():
    study = run(NEAT(population_size=10), 10)
    neat = NEAT(population_size=10, compatibility=3)
    species = neat.speciate(study.space, [(t, t.values[0]) for t in study.trials])
    assert sum(neat._quotas(species)) == 10


def test_plain_space():
    space = Space({"x": Float(-3, 3), "n": Int(0, 10)})
    study = create_study(direction="minimize", seed=0, strategy=NEAT(population_size=8))
    study.optimize(lambda t: t.params["x"] ** 2 + abs(t.params["n"] - 4), space, n_trials=48, show_progress=False)
    assert study.best_value < min(t.values[0] for t in study.trials[:8])


def test_bad_options():
    with pytest.raises(StrategyError, match="add_rate \\+ remove_rate"):
        NEAT(add_rate=0.7, remove_rate=0.7)
    with pytest.raises(StrategyError, match="population_size"):
        NEAT(population_size=1)


def test_members_still_running_are_stood_in_for_by_earlier_results(monkeypatch):
    """Parallel workers: a generation bred while members of the previous one run still has a full set of parents."""
    study = create_study(direction="maximize", seed=0, strategy=NEAT(population_size=4), space=Space({"cell": NB201Cell()}))
    study.optimize(cell_score, n_trials=6, show_progress=False)  # generation 0 and half of generation 1
    running = [study.ask(), study.ask()]  # the rest of generation 1, still running below
    members: list[list[int]] = []
    speciate = NEAT.speciate
    monkeypatch.setattr(NEAT, "speciate", lambda self, space, m: members.append([t.number for t, _ in m]) or speciate(self, space, m))
    study.ask()  # the first of generation 2
    assert sorted(members[0]) == [2, 3, 4, 5]  # generation 1's told members and the latest of generation 0
    assert all(t.number in (6, 7) for t in running)
