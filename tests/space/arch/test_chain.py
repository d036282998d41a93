import numpy as np
import pytest

from hypernas import create_study
from hypernas.errors import SpaceError
from hypernas.space import ChainSpace, Space
from hypernas.strategy import NEAT, QLearning

CHAIN = ChainSpace(input_size=8, max_layers=5, name="net")
CONV = {"type": "conv", "filters": 16, "kernel": 3}
POOL = {"type": "pool", "size": 2}
DENSE = {"type": "dense", "units": 32}


def test_samples_follow_the_rules():
    rng = np.random.default_rng(0)
    for _ in range(50):
        layers = CHAIN.sample(rng)
        assert CHAIN.validate(layers) == layers and 1 <= len(layers) <= 5
        kinds = [layer["type"] for layer in layers]
        if "dense" in kinds:
            assert all(k == "dense" for k in kinds[kinds.index("dense"):])
        assert sum(k == "pool" for k in kinds) <= 3  # 8 -> 4 -> 2 -> 1


@pytest.mark.parametrize("bad, words", [
    ([CONV, DENSE, CONV], "cannot follow a dense layer"),
    ([POOL, POOL], "two poolings in a row"),
    ([POOL, CONV, POOL, CONV, POOL, CONV], "6 layer(s)"),
    ([{"type": "conv", "filters": 7, "kernel": 3}], "not in the vocabulary"),
    ("conv", "must be a list of layers"),
])
def test_validate_names_the_problem(bad, words):
    with pytest.raises(SpaceError, match="net") as err:
        CHAIN.validate(bad)
    assert words in str(err.value)


def test_pooling_must_fit_the_input():
    tiny = ChainSpace(input_size=2, pool_sizes=[2, 3])
    with pytest.raises(SpaceError, match="does not fit a 2x2 map"):
        tiny.validate([{"type": "pool", "size": 3}])
    assert tiny.validate([{"type": "pool", "size": 2}])


def test_moves_tokens_and_encoding():
    rng = np.random.default_rng(1)
    layers = [CONV, POOL, DENSE]
    near = CHAIN.neighbors(layers)
    assert near and all(CHAIN.distance(layers, n) >= 1 for n in near)
    assert len(CHAIN.grow(layers, rng)) == 4 and len(CHAIN.shrink(layers, rng)) == 2
    assert CHAIN.from_tokens(CHAIN.to_tokens(layers)) == layers
    assert CHAIN.decode(CHAIN.encode(layers)) == layers
    child = CHAIN.crossover(layers, [CONV, CONV], rng)
    assert CHAIN.validate(child) == child
    assert len(ChainSpace(input_size=4, max_layers=2, filters=[8], kernels=[3], units=[8]).grid()) > 5


def test_describe_reads_as_a_layer_sequence():
    assert CHAIN.describe([CONV, POOL, DENSE]) == "conv 16 3x3 > max-pool 2 > dense 32 > classifier"


@pytest.mark.parametrize("strategy", [NEAT(population_size=6), QLearning()])
def test_layer_strategies_search_chains(strategy):
    space = Space({"net": ChainSpace(input_size=8, max_layers=4)})
    study = create_study(direction="maximize", seed=0, strategy=strategy)
    study.optimize(lambda t: sum(layer.get("filters", 0) for layer in t.params["net"]), space, n_trials=24,
                   show_progress=False)
    assert study.best_value >= 64


def test_morphisms_widen_grow_kernels_and_deepen_where_the_identity_fits():
    space = ChainSpace(input_size=8, filters=(16, 32), kernels=(2, 3, 5), units=(32, 64), max_layers=5, name="net")
    moves = dict(space.morphisms([{**CONV, "kernel": 2}, POOL, CONV, DENSE]))
    assert set(moves) == {"widen layer 0 to 32", "widen layer 2 to 32", "kernel 3->5 at layer 2", "widen layer 3 to 64",
                          "deepen after layer 0 with conv 3x3", "deepen after layer 0 with conv 5x5",
                          "deepen after layer 1 with conv 3x3", "deepen after layer 1 with conv 5x5",
                          "deepen after layer 2 with conv 3x3", "deepen after layer 2 with conv 5x5",
                          "deepen after layer 3 with dense 32"}  # no even kernels, no conv on the image
    assert moves["deepen after layer 1 with conv 5x5"] == [{**CONV, "kernel": 2}, POOL, {**CONV, "kernel": 5}, CONV, DENSE]
    assert all(space.contains(child) for child in moves.values())
    full = [CONV, POOL, CONV, POOL, DENSE]  # max_layers: no deepening
    assert not [name for name, _ in space.morphisms(full) if name.startswith("deepen")]
