import numpy as np
import pytest

from hypernas.errors import SpaceError
from hypernas.space import HierarchicalSpace, Space

SPACE = HierarchicalSpace(n_motifs=3, motif_nodes=3, top_nodes=3, init_mutations=20, name="h")


def test_trivial_genotype_and_random_initialisation():
    trivial = SPACE.trivial()
    assert trivial["motifs"][0] == ["identity", "none", "identity"] and trivial["top"] == [0, "none", 0]
    rng = np.random.default_rng(0)
    samples = [SPACE.sample(rng) for _ in range(10)]
    assert all(SPACE.validate(g) == g for g in samples)
    assert any(SPACE.distance(trivial, g) >= 5 for g in samples)


def test_mutation_replaces_one_edge_and_keeps_motifs_connected():
    rng = np.random.default_rng(1)
    g = SPACE.sample(rng)
    for _ in range(30):
        child = SPACE.mutate(g, rng)
        assert SPACE.distance(g, child) == 1 and SPACE.contains(child)
    assert all(SPACE.distance(g, n) == 1 for n in SPACE.neighbors(g))
    assert SPACE.shrink(SPACE.trivial(), rng) is None  # a chain has no removable edge
    assert SPACE.distance(SPACE.trivial(), SPACE.grow(SPACE.trivial(), rng)) == 1


@pytest.mark.parametrize("bad, words", [
    ({"motifs": [["none", "none", "identity"]] * 3, "top": [0, "none", 0]}, "no path from its input"),
    ({"motifs": [["conv_9x9", "none", "identity"]] * 3, "top": [0, "none", 0]}, "unknown operation"),
    ({"motifs": [["identity", "none", "identity"]] * 3, "top": [7, "none", 0]}, "motif index in 0..2"),
])
def test_validate_names_the_problem(bad, words):
    with pytest.raises(SpaceError, match="'h'") as err:
        SPACE.validate(bad)
    assert words in str(err.value)


def test_encodings_tokens_and_config():
    rng = np.random.default_rng(2)
    g = SPACE.sample(rng)
    assert SPACE.decode(SPACE.encode(g)) == g and SPACE.from_tokens(SPACE.to_tokens(g)) == g
    assert SPACE.validate(SPACE.crossover(g, SPACE.trivial(), rng)) is not None
    assert Space.from_config(Space({"h": SPACE}).to_config())["h"] == SPACE
