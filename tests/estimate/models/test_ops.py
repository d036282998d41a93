"""The edge factories build exactly the vocabularies the spaces declare, and nothing else."""

import pytest
import torch

from hypernas.errors import SpaceError
from hypernas.estimate.models import cell_edge, motif_edge
from hypernas.estimate.models.ops import CELL_BUILDERS, MOTIF_BUILDERS
from hypernas.space import DARTSCell, HierarchicalSpace, NB201Cell
from hypernas.space.arch import CELL_OPS, HIERARCHICAL_OPS


def test_the_tables_are_the_vocabularies_and_hold_the_default_ops():
    assert list(CELL_BUILDERS) == list(CELL_OPS) and list(MOTIF_BUILDERS) == list(HIERARCHICAL_OPS)
    assert set(NB201Cell().ops) <= set(CELL_OPS) and set(DARTSCell().ops) <= set(CELL_OPS)
    assert set(HierarchicalSpace().ops) <= set(HIERARCHICAL_OPS)


@pytest.mark.parametrize("edge, op", [(cell_edge, op) for op in CELL_OPS] + [(motif_edge, op) for op in HIERARCHICAL_OPS])
@pytest.mark.parametrize("stride", [1, 2])
def test_every_vocabulary_op_builds_and_keeps_the_width(edge, op, stride):
    x = torch.randn(2, 4, 8, 8)
    assert edge(op, 4, stride)(x).shape == (2, 4, 8 // stride, 8 // stride)


@pytest.mark.parametrize("op, kernel", [("nor_conv_1x1", 1), ("nor_conv_5x5", 5), ("conv_7x7", 7), ("sep_conv_7x7", 7),
                                        ("dil_conv_5x5", 5)])
def test_the_kernel_is_the_one_named(op, kernel):
    sizes = {m.kernel_size for m in cell_edge(op, 4, 1).modules() if isinstance(m, torch.nn.Conv2d)}
    assert max(sizes) == (kernel, kernel) and sizes <= {(kernel, kernel), (1, 1)}


@pytest.mark.parametrize("edge, op", [(cell_edge, "conv_11x11"), (cell_edge, "identity"), (motif_edge, "conv_5x5"),
                                      (motif_edge, "none"), (cell_edge, ("none", "skip_connect"))])
def test_an_op_outside_the_vocabulary_is_refused(edge, op):
    with pytest.raises(SpaceError, match="unknown operation|builds one named operation"):
        edge(op, 4, 1)
