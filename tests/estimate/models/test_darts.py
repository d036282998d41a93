import numpy as np
import pytest
import torch

from hypernas.errors import SpaceError
from hypernas.estimate.models import DARTSNetwork, build_darts, cell_edge
from hypernas.space import DARTSCell

from .helpers import Recorder, assert_fingerprint, fingerprint, mixed

GENOTYPE = {"normal": [["sep_conv_3x3", 0], ["avg_pool_3x3", 1], ["none", 2], ["max_pool_3x3", 0],
                       ["sep_conv_3x3", 2], ["sep_conv_3x3", 3], ["sep_conv_3x3", 3], ["sep_conv_3x3", 4]],
            "reduce": [["dil_conv_3x3", 1], ["sep_conv_5x5", 0], ["sep_conv_3x3", 0], ["none", 1],
                       ["max_pool_3x3", 2], ["none", 3], ["none", 3], ["avg_pool_3x3", 0]]}


def nodes(edges):
    return [[(op, src) for op, src in edges[k:k + 2]] for k in range(0, len(edges), 2)]


def test_darts_network_runs_a_sampled_genotype():
    genotype = DARTSCell().sample(np.random.default_rng(0))
    net = build_darts(genotype, num_classes=5, channels=4, layers=3, in_channels=1)
    assert net(torch.randn(2, 1, 16, 16)).shape == (2, 5)
    with pytest.raises(SpaceError, match="darts network: channels must be an integer >= 2, got 1"):
        build_darts(genotype, channels=1)


def test_darts_skeleton_asks_the_edge_factory_for_every_edge():
    edge = Recorder(cell_edge)
    DARTSNetwork(nodes(GENOTYPE["normal"]), nodes(GENOTYPE["reduce"]), channels=4, layers=5, in_channels=1, edge=edge)
    expected = []
    c = 4
    for i in range(5):  # reductions at cells 1 and 3; their edges from the previous cells have stride 2
        reduction = i in (1, 3)
        c *= 2 if reduction else 1
        expected += [(op, c, 2 if reduction and src < 2 else 1) for op, src in GENOTYPE["reduce" if reduction else "normal"]]
    assert edge.calls == expected


def test_darts_skeleton_takes_a_supernet_cell():
    """Every node reads every earlier state through a mixed operation, as in the DARTS search network."""
    choices = tuple(DARTSCell().ops)
    cell = [[(choices, src) for src in range(2 + k)] for k in range(4)]
    edge = Recorder(mixed(cell_edge))
    net = DARTSNetwork(cell, cell, num_classes=3, channels=4, layers=3, in_channels=1, edge=edge)
    assert len(edge.calls) == 3 * 14 and {op for op, _, _ in edge.calls} == {choices}
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 3)


def test_darts_network_is_the_one_built_before_edge_factories():
    got = fingerprint("darts", (1, 16, 16), 5, genotype=GENOTYPE, channels=4, layers=5)
    assert_fingerprint(got, 14057, 225270.708582,
                       [[-0.100402, 0.053705, 0.11161, -0.01602, -0.079081],
                        [-0.09916, 0.0543, 0.111898, -0.016049, -0.077572]])
