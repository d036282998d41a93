import json

import numpy as np
import pytest

from hypernas.errors import SpaceError
from hypernas.space import DARTSCell, Space

CELL = DARTSCell(name="arch")


def test_samples_are_valid_genotypes():
    rng = np.random.default_rng(0)
    for _ in range(30):
        g = CELL.sample(rng)
        assert CELL.validate(g) == g and json.loads(json.dumps(g)) == g
        for cell in ("normal", "reduce"):
            assert len(g[cell]) == 8
            for node in range(4):
                a, b = g[cell][2 * node][1], g[cell][2 * node + 1][1]
                assert a != b and a < node + 2 and b < node + 2


@pytest.mark.parametrize("bad, words", [
    ({"normal": []}, "keys 'normal' and 'reduce'"),
    ({"normal": [["conv", 0]] * 8, "reduce": [["conv", 0]] * 8}, "unknown operation 'conv'"),
    ({"normal": [["skip_connect", 0], ["skip_connect", 5]] + [["skip_connect", 0], ["skip_connect", 1]] * 3,
      "reduce": CELL.default["reduce"]}, "reads node 5"),
    ({"normal": [["skip_connect", 0], ["skip_connect", 0]] + [["skip_connect", 0], ["skip_connect", 1]] * 3,
      "reduce": CELL.default["reduce"]}, "reads node 0 twice"),
])
def test_validate_names_the_problem(bad, words):
    with pytest.raises(SpaceError, match="arch") as err:
        CELL.validate(bad)
    assert words in str(err.value)


def test_operation_and_input_mutations():
    rng = np.random.default_rng(1)
    g = CELL.default
    kinds = set()
    for _ in range(40):
        child = CELL.mutate(g, rng)
        assert CELL.distance(g, child) == 1 and CELL.validate(child) == child
        changed = next((x, y) for c in ("normal", "reduce") for x, y in zip(g[c], child[c]) if x != y)
        kinds.add("op" if changed[0][0] != changed[1][0] else "input")
    assert kinds == {"op", "input"}
    near = CELL.neighbors(g)
    assert all(CELL.distance(g, n) == 1 for n in near)
    assert len({json.dumps(n) for n in near}) == len(near)


def test_encoding_roundtrip_tokens_and_crossover():
    rng = np.random.default_rng(2)
    a, b = CELL.sample(rng), CELL.sample(rng)
    assert len(CELL.encode(a)) == CELL.n_dims and CELL.decode(CELL.encode(a)) == a
    assert CELL.from_tokens(CELL.to_tokens(a)) == a
    assert len(CELL.token_choices()) == len(CELL.to_tokens(a)) == 32
    child = CELL.crossover(a, b, rng)
    assert CELL.validate(child) == child


def test_space_config_and_grid_refusal():
    space = Space.from_config({"arch": {"type": "darts", "steps": 3}})
    assert space["arch"].steps == 3 and Space.from_config(space.to_config()) == space
    with pytest.raises(SpaceError, match="cannot be enumerated"):
        CELL.grid()
