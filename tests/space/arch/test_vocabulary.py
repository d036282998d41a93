"""The cell spaces take operations only from their vocabulary, so a bad op fails when the space is made."""

import pytest

from hypernas.errors import SpaceError
from hypernas.space import DARTSCell, HierarchicalSpace, NB201Cell, Space
from hypernas.space.arch import CELL_OPS, DARTS_OPS, HIERARCHICAL_OPS, NB201_OPS

CELL_ALLOWED = ", ".join(CELL_OPS)
MOTIF_ALLOWED = ", ".join(HIERARCHICAL_OPS)

BAD_CELL_OPS = ["bogus", "conv_11x11", "nor_conv_2x2", "nor_conv_9x9", "sep_conv_1x1", "dil_conv_7x7", "avg_pool_5x5",
                "max_pool_2x2", "CONV_3X3", "skip", "none ", "", "identity", "dw_conv_3x3", 3, None, ["conv_3x3"]]
BAD_MOTIF_OPS = ["bogus", "conv_5x5", "conv_11x11", "nor_conv_3x3", "skip_connect", "sep_conv_5x5", "dw_conv_5x5",
                 "Identity", "", 1, None]


def made(kind, ops):
    return Space.from_config({"a": {"type": kind, "ops": ops}})


def assert_one_line(info, op, allowed, kind):
    assert str(info.value) == f"parameter 'a' ({kind}): unknown operation {op!r} in ops; allowed: {allowed}"
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("kind", ["nb201", "darts"])
@pytest.mark.parametrize("op", BAD_CELL_OPS, ids=repr)
def test_a_cell_space_refuses_an_op_outside_the_vocabulary(kind, op):
    with pytest.raises(SpaceError) as info:
        made(kind, ["none", "conv_3x3", op])
    assert_one_line(info, op, CELL_ALLOWED, kind)


@pytest.mark.parametrize("op", BAD_MOTIF_OPS, ids=repr)
def test_the_hierarchical_space_refuses_an_op_outside_its_primitives(op):
    with pytest.raises(SpaceError) as info:
        made("hierarchical", ["identity", op])
    assert_one_line(info, op, MOTIF_ALLOWED, "hierarchical")


def test_the_issue_examples_and_the_other_construction_errors():
    with pytest.raises(SpaceError, match="parameter 'a' \\(nb201\\): unknown operation 'bogus' in ops; allowed: none, "):
        made("nb201", ["conv_3x3", "bogus"])
    with pytest.raises(SpaceError, match="parameter 'a' \\(darts\\): unknown operation 'bogus' in ops"):
        made("darts", ["bogus"])
    with pytest.raises(SpaceError, match="ops must be distinct operation names, got \\['conv_3x3', 'conv_3x3'\\]"):
        made("nb201", ["conv_3x3", "conv_3x3"])
    with pytest.raises(SpaceError, match="ops must be distinct operation names without 'none'"):
        made("hierarchical", ["identity", "none"])


def test_the_default_ops_and_any_vocabulary_ops_are_accepted():
    assert set(NB201_OPS) <= set(CELL_OPS) and set(DARTS_OPS) <= set(CELL_OPS)
    assert NB201Cell().ops == list(NB201_OPS) and DARTSCell().ops == list(DARTS_OPS)
    assert HierarchicalSpace().ops == list(HIERARCHICAL_OPS)
    assert NB201Cell(CELL_OPS).ops == DARTSCell(CELL_OPS).ops == list(CELL_OPS)
    assert made("nb201", ["none", "skip_connect", "conv_3x3", "sep_conv_7x7"]).to_config()["a"]["ops"][-1] == "sep_conv_7x7"


@pytest.mark.parametrize("make, value, message", [
    (DARTSCell.for_genotype, {"normal": [["skip_connect", 0]] * 3, "reduce": []},
     "parameter 'g': cell 'normal' has 3 [op, input] pair(s); a DARTS cell has 2 per node and 1 to 8 nodes"),
    (DARTSCell.for_genotype, {"normal": [["skip_connect", 0], ["skip_connect", 1]] * 9, "reduce": []},
     "parameter 'g': cell 'normal' has 18 [op, input] pair(s); a DARTS cell has 2 per node and 1 to 8 nodes"),
    (HierarchicalSpace.for_genotype, {"motifs": [["identity"] * 4], "top": [0]},
     "parameter 'g': motif 0 has 4 edge(s); a motif of n nodes has n(n-1)/2 edges (1, 3, 6, 10, ...)"),
    (HierarchicalSpace.for_genotype, {"motifs": [["identity"]], "top": []},
     "parameter 'g': 'top' has 0 edge(s); a motif of n nodes has n(n-1)/2 edges (1, 3, 6, 10, ...)"),
])
def test_the_space_of_a_genotype_refuses_an_impossible_shape(make, value, message):
    with pytest.raises(SpaceError) as info:
        make(value, name="g")
    assert str(info.value) == message


def test_the_space_of_a_genotype_follows_its_shape():
    small = DARTSCell(steps=2, ops=["skip_connect", "conv_3x3"])
    darts = DARTSCell.for_genotype(small.default)
    assert darts.steps == 2 and darts.ops == list(CELL_OPS) and darts.validate(small.default) == small.default
    cell = NB201Cell(["none", "conv_3x3"], nodes=3)
    nb201 = NB201Cell.for_genotype(cell.default)
    assert nb201.nodes == 3 and nb201.to_ops(cell.default) == ["conv_3x3"] * 3
    motifs = HierarchicalSpace(n_motifs=2, motif_nodes=3, top_nodes=4)
    hier = HierarchicalSpace.for_genotype(motifs.trivial())
    assert (hier.n_motifs, hier.motif_nodes, hier.top_nodes) == (2, 3, 4)
