import numpy as np
import pytest

from hypernas.errors import SpaceError
from hypernas.space import MobileNetSpace, Space

SPACE = MobileNetSpace(stages=[[8, 1], [16, 2], [24, 2]], name="mb")


def test_samples_moves_and_encodings():
    rng = np.random.default_rng(0)
    g = SPACE.sample(rng)
    assert SPACE.validate(g) == g and len(g) == 3
    assert SPACE.decode(SPACE.encode(g)) == g and SPACE.from_tokens(SPACE.to_tokens(g)) == g
    assert all(SPACE.distance(g, n) == 1 for n in SPACE.neighbors(g))
    assert len(SPACE.neighbors(g)) == 3 * (2 + 4 + 1 + 3)
    assert SPACE.distance(g, SPACE.mutate(g, rng)) == 1
    deeper = SPACE.grow(SPACE.default, rng)
    assert sum(s["depth"] for s in deeper) == 4
    assert SPACE.shrink(SPACE.default, rng) is None
    assert SPACE.validate(SPACE.crossover(g, SPACE.default, rng))


@pytest.mark.parametrize("bad, words", [
    ([{"expansion": 6, "kernel": [3], "se": False, "depth": 1}], "list of 3 stage settings"),
    ([{"expansion": 5, "kernel": [3], "se": False, "depth": 1}] * 3, "expansion 5 is not allowed"),
    ([{"expansion": 6, "kernel": [9], "se": False, "depth": 1}] * 3, "kernel [9] is not allowed"),
    ([{"expansion": 6, "kernel": [3]}] * 3, "exactly the keys"),
])
def test_validate_names_the_problem(bad, words):
    with pytest.raises(SpaceError, match="mb") as err:
        SPACE.validate(bad)
    assert words in str(err.value)


def test_config_roundtrip_and_bad_kernels():
    space = Space({"mb": SPACE})
    assert Space.from_config(space.to_config()) == space
    with pytest.raises(SpaceError, match="odd sizes"):
        MobileNetSpace(kernels=[[4]])
