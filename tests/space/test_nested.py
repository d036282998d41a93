"""A parameter whose value is a configuration of an inner space."""

from __future__ import annotations

import numpy as np
import pytest

from hypernas.errors import SpaceError
from hypernas.space import Categorical, Int, Nested, Space


def _nested() -> Nested:
    return Nested(Space(op=Categorical(["a", "b", "c"]), depth=Int(1, 3)), name="arch")


def test_it_samples_validates_and_moves_as_its_inner_space():
    p = _nested()
    value = p.sample(np.random.default_rng(0))
    assert p.validate(value) == value and set(value) == {"op", "depth"}
    assert p.cardinality == 9 and len(p.grid()) == 9 and p.n_dims == p.space.n_dims
    assert p.decode(p.encode(value)) == value
    assert all(p.contains(n) for n in p.neighbors(value)) and p.mutate(value, np.random.default_rng(1)) != value
    assert p.default == {"op": "a", "depth": 2}


def test_it_round_trips_through_its_config():
    p = _nested()
    again = Space.from_config({"arch": p.to_config()})["arch"]
    assert again == p


def test_a_value_outside_the_inner_space_is_refused():
    with pytest.raises(SpaceError, match="parameter 'arch': .*'d' is not one of the choices"):
        _nested().validate({"op": "d", "depth": 1})
    with pytest.raises(SpaceError, match="is not a mapping"):
        _nested().validate("a")
