import numpy as np
import pytest

from hypernas.errors import SpaceError, StrategyError
from hypernas.space import (
    Categorical,
    ChainSpace,
    Crossable,
    DARTSCell,
    Float,
    Growable,
    HasDistance,
    HasFeatures,
    HierarchicalSpace,
    MobileNetSpace,
    Morphable,
    NB201Cell,
    ShuffleNetSpace,
    Tokenizable,
    missing_capability,
)
from hypernas.space.capabilities import capability_text, offering

OFFERS = {
    NB201Cell: {Tokenizable, Crossable, HasDistance, HasFeatures, Growable, Morphable},
    ChainSpace: {Tokenizable, Crossable, HasDistance, Growable, Morphable},
    DARTSCell: {Tokenizable, Crossable, HasDistance},
    MobileNetSpace: {Tokenizable, Crossable, HasDistance, Growable},
    HierarchicalSpace: {Tokenizable, Crossable, HasDistance, Growable},
    ShuffleNetSpace: {Tokenizable, Crossable, HasDistance},
}
CAPABILITIES = (Tokenizable, Crossable, HasDistance, HasFeatures, Growable, Morphable)


@pytest.mark.parametrize("cls", list(OFFERS))
def test_architecture_spaces_declare_what_they_offer(cls):
    space = cls(name="arch")
    assert {c for c in CAPABILITIES if isinstance(space, c)} == OFFERS[cls]
    rng = np.random.default_rng(0)
    a, b = space.sample(rng), space.sample(rng)
    if isinstance(space, Tokenizable):
        tokens = space.to_tokens(a)
        assert len(tokens) == len(space.token_choices()) and all(0 <= t < n for t, n in zip(tokens, space.token_choices()))
        assert space.from_tokens(tokens) == space.validate(a)
    if isinstance(space, Crossable):
        assert space.contains(space.crossover(a, b, rng))
    if isinstance(space, HasDistance):
        assert space.distance(a, a) == 0
    if isinstance(space, HasFeatures):
        assert len(space.features(a)) == len(space.features(b))
    if isinstance(space, Morphable):
        assert all(isinstance(name, str) and space.contains(child) for name, child in space.morphisms(a))
    if isinstance(space, Growable):
        for changed in (space.grow(a, rng), space.shrink(a, rng)):
            assert changed is None or space.contains(changed)


def test_plain_parameters_offer_nothing():
    for p in (Float(0, 1), Categorical(["a", "b"])):
        assert not any(isinstance(p, c) for c in CAPABILITIES)


def test_a_capability_is_recognised_without_subclassing():
    class Splicer:
        def crossover(self, a, b, rng):
            return a

    assert isinstance(Splicer(), Crossable) and not isinstance(Splicer(), Growable)


def test_a_declared_capability_must_be_implemented():
    class HalfGrown(Growable):
        def grow(self, value, rng):
            return None

    with pytest.raises(TypeError, match="shrink"):
        HalfGrown()


def test_capability_names_and_providers():
    assert capability_text(Tokenizable) == "tokens (token_choices/to_tokens/from_tokens)"
    assert capability_text(Growable) == "growth (grow/shrink)"
    assert offering(HasFeatures) == ["NB201Cell"]
    assert offering(Growable) == ["ChainSpace", "HierarchicalSpace", "MobileNetSpace", "NB201Cell"]


def test_missing_capability_message_names_owner_parameter_and_alternatives():
    error = missing_capability("reinforce", "arch", Float(0, 1), Tokenizable, error=StrategyError)
    assert isinstance(error, StrategyError)
    assert str(error) == ("reinforce: parameter 'arch' (Float) lacks tokens (token_choices/to_tokens/from_tokens); "
                          "spaces that have tokens: ChainSpace, DARTSCell, HierarchicalSpace, MobileNetSpace, NB201Cell, "
                          "ShuffleNetSpace")
    assert isinstance(missing_capability("x", "a", Float(0, 1), Crossable), SpaceError)

