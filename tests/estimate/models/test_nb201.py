import numpy as np
import pytest
import torch

from hypernas.errors import SpaceError
from hypernas.estimate.models import NB201Network, build_nb201, cell_edge
from hypernas.space import NB201Cell

from .helpers import Recorder, assert_fingerprint, fingerprint, mixed

CELL = "|avg_pool_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|skip_connect~1|none~2|"


@pytest.mark.parametrize("seed", [0, 1])
def test_nb201_network_runs_any_cell(seed):
    cell = NB201Cell().sample(np.random.default_rng(seed))
    net = build_nb201(cell, num_classes=7, channels=4, cells=1)
    out = net(torch.randn(2, 3, 16, 16))
    assert out.shape == (2, 7)


def test_nb201_network_has_fewer_parameters_without_convolutions():
    conv = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    skip = "|skip_connect~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|skip_connect~2|"

    def count(genotype):
        return sum(p.numel() for p in build_nb201(genotype, channels=4, cells=1).parameters())

    assert count(conv) > count(skip)
    with pytest.raises(SpaceError, match="unknown operation"):
        build_nb201(conv.replace("nor_conv_3x3", "conv9"))
    with pytest.raises(SpaceError, match="nb201 network: cells must be an integer >= 1, got 0"):
        build_nb201(conv, cells=0)


def test_nb201_skeleton_asks_the_edge_factory_for_every_edge():
    ops = NB201Cell().to_ops(CELL)
    edge = Recorder(cell_edge)
    NB201Network(ops, channels=4, cells=2, edge=edge)
    assert edge.calls == [(op, c, 1) for c in (4, 8, 16) for _ in range(2) for op in ops]


def test_nb201_skeleton_takes_candidates_on_searchable_edges():
    choices = tuple(NB201Cell().ops)
    edge = Recorder(mixed(cell_edge))
    net = NB201Network([choices] * 6, num_classes=3, channels=4, cells=1, edge=edge)
    assert edge.calls == [(choices, c, 1) for c in (4, 8, 16) for _ in range(6)]
    assert net(torch.randn(2, 3, 8, 8)).shape == (2, 3)


def test_nb201_network_is_the_one_built_before_edge_factories():
    got = fingerprint("nb201", (3, 16, 16), 7, cell=CELL, channels=4, cells=2)
    assert_fingerprint(got, 11787, 25886.899593,
                       [[0.080267, 0.540076, 0.094436, 0.558888, -0.159691, 0.008531, -0.486638],
                        [0.179895, 0.912893, 0.12276, 0.830936, -0.09213, 0.063563, -0.73202]])
