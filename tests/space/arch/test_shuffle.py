import json

import numpy as np
import pytest

from hypernas.errors import SpaceError
from hypernas.space import ShuffleNetSpace, Space

SPACE = ShuffleNetSpace(name="sh")
SMALL = ShuffleNetSpace(depths=[2, 1], choices=["shuffle3", "xception"], name="small")


def test_the_spos_space_has_20_layers_of_four_blocks():
    assert SPACE.n_layers == 20 and SPACE.cardinality == 4 ** 20
    assert SPACE.token_choices() == [4] * 20 and SPACE.n_dims == 80
    assert SPACE.default == ["shuffle3"] * 20


def test_samples_moves_and_encodings():
    rng = np.random.default_rng(0)
    g = SPACE.sample(rng)
    assert SPACE.validate(g) == g and len(g) == 20 and json.loads(json.dumps(g)) == g
    assert SPACE.validate(tuple(g)) == g
    assert SPACE.decode(SPACE.encode(g)) == g and SPACE.from_tokens(SPACE.to_tokens(g)) == g
    assert sum(SPACE.encode(g)) == 20
    near = SPACE.neighbors(g)
    assert len(near) == 20 * 3 and all(SPACE.distance(g, n) == 1 for n in near)
    assert SPACE.distance(g, SPACE.mutate(g, rng)) == 1
    other = SPACE.sample(rng)
    child = SPACE.crossover(g, other, rng)
    assert all(c in (a, b) for c, a, b in zip(child, g, other))
    assert SPACE.distance(g, other) == sum(a != b for a, b in zip(g, other))


def test_stages_and_description():
    g = ["shuffle3", "xception", "shuffle3"]
    assert SMALL.stages(g) == [["shuffle3", "xception"], ["shuffle3"]]
    assert SMALL.describe(g) == "3 x | 3"


def test_a_small_space_enumerates_its_grid():
    grid = SMALL.grid()
    assert len(grid) == SMALL.cardinality == 8 and len({tuple(g) for g in grid}) == 8
    with pytest.raises(SpaceError, match="too many to enumerate"):
        SPACE.grid()


@pytest.mark.parametrize("bad, message", [
    (["shuffle3"] * 2, "parameter 'small': ['shuffle3', 'shuffle3'] must be a list of 3 block names (stages of 2, 1) "
                       "from shuffle3, xception"),
    ("shuffle3", "must be a list of 3 block names"),
    (["shuffle3", "shuffle5", "shuffle3"], "parameter 'small': layer 1 'shuffle5' is not allowed; choices: shuffle3, "
                                           "xception"),
    (["shuffle3", "shuffle3", 3], "layer 2 3 is not allowed"),
])
def test_validate_names_the_layer_and_the_choices(bad, message):
    with pytest.raises(SpaceError) as info:
        SMALL.validate(bad)
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("make, message", [
    (lambda: ShuffleNetSpace(depths=[4, 0], name="s"),
     "parameter 's' (shufflenet): depths must be a non-empty list of integers >= 1, got [4, 0]"),
    (lambda: ShuffleNetSpace(choices=["shuffle9"], name="s"),
     "parameter 's' (shufflenet): unknown block 'shuffle9' in choices; allowed: shuffle3, shuffle5, shuffle7, xception"),
    (lambda: ShuffleNetSpace(choices=[], name="s"),
     "parameter 's' (shufflenet): choices must be a non-empty list of block names from shuffle3, shuffle5, shuffle7, "
     "xception, got []"),
    (lambda: ShuffleNetSpace(choices=["shuffle3", "shuffle3"], name="s"),
     "parameter 's' (shufflenet): choices must be distinct block names, got ['shuffle3', 'shuffle3']"),
])
def test_bad_options_are_one_clear_line(make, message):
    with pytest.raises(SpaceError) as info:
        make()
    assert str(info.value) == message


def test_config_roundtrip():
    space = Space({"small": SMALL})
    config = space.to_config()
    assert config["small"] == {"type": "shufflenet", "depths": [2, 1], "choices": ["shuffle3", "xception"]}
    assert Space.from_config(config) == space
    assert Space.from_config({"blocks": {"type": "shufflenet"}})["blocks"] == ShuffleNetSpace(name="blocks")
