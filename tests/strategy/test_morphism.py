import pytest

from hypernas import create_study
from hypernas.errors import StrategyError
from hypernas.space import ChainSpace, Float, Int, NB201Cell, Space
from hypernas.strategy import MorphismHillClimbing


def _space() -> Space:
    return Space({"arch": ChainSpace(input_size=8, filters=(8, 16, 32), kernels=(1, 3), units=(16, 32), max_layers=5),
                  "lr": Float(1e-3, 1e-1, log=True)})


def _size(trial) -> float:
    """Bigger is better: filters, units and kernels summed."""
    return float(sum(layer.get("filters", 0) + layer.get("units", 0) + layer.get("kernel", 0) for layer in trial.params["arch"]))


def _decisions(trial) -> dict:
    return trial.system_attrs.get("decisions") or {}


def test_children_are_morphisms_of_the_best_trial_and_record_their_parent():
    study = create_study(direction="maximize", seed=0, strategy=MorphismHillClimbing(n_initial=3, n_children=4, n_morphs=2))
    study.optimize(_size, _space(), n_trials=15, show_progress=False)
    trials = study.trials
    assert all(_decisions(t) == {} for t in trials[:3])
    space = study.space["arch"]
    for t in trials[3:]:
        parent = trials[_decisions(t)["parent"]]
        names = _decisions(t)["morphisms"]
        assert 1 <= len(names) <= 2 and t.params["lr"] == parent.params["lr"]
        reachable = [(parent.params["arch"], [])]
        for _ in names:  # the child is the parent changed by the named moves, in order
            reachable = [(g, [*path, n]) for genotype, path in reachable for n, g in space.morphisms(genotype)]
        assert (t.params["arch"], names) in reachable
    best_start = max(trials[:3], key=_size)
    assert _decisions(trials[3])["parent"] == best_start.number
    parents = [_decisions(t)["parent"] for t in trials[3:]]
    assert all(parents.count(p) <= 4 for p in parents)  # a round is n_children children
    assert study.best_value > _size(best_start)  # the climb went up
    keys = [study.space.key(t.params) for t in trials]
    assert len(set(keys)) == len(keys)


def test_a_round_is_n_children_then_the_next_best_trial_while_children_run():
    study = create_study(direction="maximize", seed=1, strategy=MorphismHillClimbing(n_initial=2, n_children=3))
    study.optimize(_size, _space(), n_trials=2, show_progress=False)
    best = max(study.trials, key=_size).number
    for _ in range(5):
        study.ask()
    parents = [_decisions(t)["parent"] for t in study.trials[2:]]
    assert parents[:3] == [best] * 3 and set(parents[3:]) == {1 - best}


def test_an_enqueued_start_is_climbed_from():
    study = create_study(direction="maximize", seed=2, strategy=MorphismHillClimbing(n_initial=1, n_children=2))
    start = {"arch": [{"type": "conv", "filters": 8, "kernel": 1}], "lr": 0.01}
    study.set_space(_space())
    study.enqueue(start)
    study.optimize(_size, n_trials=3, show_progress=False)
    assert study.trials[0].params == start
    assert _decisions(study.trials[1])["parent"] == 0


def test_same_seed_same_search():
    runs = []
    for _ in range(2):
        study = create_study(direction="maximize", seed=4, strategy=MorphismHillClimbing(n_initial=2, n_children=2))
        study.optimize(lambda t: t.params["cell"].count("conv"), Space({"cell": NB201Cell()}), n_trials=8, show_progress=False)
        runs.append([(t.params, _decisions(t)) for t in study.trials])
    assert runs[0] == runs[1]


@pytest.mark.parametrize("option", ["n_initial", "n_children", "n_morphs"])
def test_options_are_checked(option):
    with pytest.raises(StrategyError, match=option):
        MorphismHillClimbing(**{option: 0})


def test_refuses_a_space_without_morphisms():
    with pytest.raises(StrategyError) as info:
        MorphismHillClimbing().check_space(Space({"x": Int(0, 3)}))
    assert str(info.value) == ("morphism: no parameter of the space has morphisms (morphisms) (parameters: 'x' (Int)); "
                               "spaces that have morphisms: ChainSpace, NB201Cell")
