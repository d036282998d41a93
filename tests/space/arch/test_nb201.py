import json

import numpy as np
import pytest

from hypernas.errors import SpaceError
from hypernas.space import NB201Cell, Space

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def test_sample_is_valid_and_json_serializable():
    cell = NB201Cell()
    rng = np.random.default_rng(0)
    for _ in range(50):
        v = cell.sample(rng)
        assert cell.validate(v) == v
        assert json.loads(json.dumps(v)) == v
    assert cell.to_ops(BEST) == ["nor_conv_3x3"] * 3 + ["skip_connect", "nor_conv_3x3", "nor_conv_3x3"]
    assert cell.from_ops(cell.to_ops(BEST)) == BEST


@pytest.mark.parametrize("bad, words", [
    ("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown operation 'conv'"),
    ("|none~0|+|none~0|none~1|", "2 node group(s), expected 3"),
    ("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "must come from node 0"),
    ("|none~0|+|none~0|+|none~0|none~1|none~2|", "node 2"),
    (42, "not a cell string"),
])
def test_validate_names_the_problem(bad, words):
    with pytest.raises(SpaceError, match="cell") as err:
        NB201Cell(name="cell").validate(bad)
    assert words in str(err.value)


def test_bad_construction():
    with pytest.raises(SpaceError, match="nodes must be an integer >= 2"):
        NB201Cell(nodes=1)
    with pytest.raises(SpaceError, match="distinct"):
        NB201Cell(ops=["a", "a"])


def test_neighbors_are_all_single_edge_changes():
    cell = NB201Cell()
    near = cell.neighbors(BEST)
    assert len(near) == 24 and len(set(near)) == 24 and BEST not in near
    assert all(cell.distance(BEST, n) == 1 for n in near)


def test_mutate_changes_exactly_one_edge():
    cell = NB201Cell()
    rng = np.random.default_rng(1)
    for _ in range(20):
        assert cell.distance(BEST, cell.mutate(BEST, rng)) == 1


def test_crossover_takes_each_edge_from_a_parent():
    cell = NB201Cell()
    rng = np.random.default_rng(2)
    a, b = BEST, cell.default
    for _ in range(20):
        child = cell.crossover(a, b, rng)
        assert all(c in (x, y) for c, x, y in zip(cell.to_ops(child), cell.to_ops(a), cell.to_ops(b)))


def test_onehot_encoding_roundtrip():
    cell = NB201Cell()
    x = cell.encode(BEST)
    assert len(x) == cell.n_dims == 30 and sum(x) == 6
    assert cell.decode(x) == BEST


def test_path_encoding():
    cell = NB201Cell()
    assert len(cell.path_encoding(BEST)) == 4 + 16 + 64
    assert len(cell.paths(BEST)) == 4  # 0-3, 0-1-3, 0-2-3, 0-1-2-3
    empty = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    assert cell.paths(empty) == [] and sum(cell.path_encoding(empty)) == 0
    only_skip = "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"
    assert cell.paths(only_skip) == [("skip_connect",)]
    assert len(cell.features(BEST)) == 84 + 30


def test_grid_is_the_whole_space():
    grid = NB201Cell().grid()
    assert len(grid) == len(set(grid)) == 15625 == NB201Cell().cardinality


def test_structural_moves():
    cell = NB201Cell()
    rng = np.random.default_rng(3)
    grown = cell.grow("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", rng)
    assert sum(o != "none" for o in cell.to_ops(grown)) == 1
    shrunk = cell.shrink(BEST, rng)
    assert sum(o == "none" for o in cell.to_ops(shrunk)) == 1
    assert cell.grow(BEST, rng) is None


def test_in_a_space_and_config_roundtrip():
    space = Space.from_config({"cell": {"type": "nb201"}, "lr": {"type": "float", "low": 0.01, "high": 0.1}})
    rng = np.random.default_rng(4)
    params = space.sample(rng)
    assert space.validate(params) == params
    assert Space.from_config(space.to_config()) == space
    assert len(space.neighbors({"cell": BEST, "lr": 0.05})) == 24 + 2
    small = NB201Cell(ops=["none", "skip_connect"], nodes=3)
    assert small.cardinality == 8 and Space.from_config({"c": small.to_config()})["c"] == small


def test_morphisms_connect_removed_edges_with_convolutions():
    cell = NB201Cell()
    value = "|none~0|+|skip_connect~0|none~1|+|nor_conv_3x3~0|avg_pool_3x3~1|none~2|"
    moves = dict(cell.morphisms(value))
    assert set(moves) == {f"connect edge {e} with {op}" for e in ("1<-0", "2<-1", "3<-2") for op in ("nor_conv_1x1", "nor_conv_3x3")}
    assert cell.to_ops(moves["connect edge 2<-1 with nor_conv_1x1"])[2] == "nor_conv_1x1"
    assert cell.morphisms(BEST) == [] and NB201Cell(["skip_connect", "nor_conv_3x3"]).morphisms(
        "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|") == []
