import numpy as np
import pytest
import torch

from hypernas.errors import SpaceError
from hypernas.estimate.archnets import build_darts, build_nb201
from hypernas.space import DARTSCell, NB201Cell


@pytest.mark.parametrize("seed", [0, 1])
def test_nb201_network_runs_any_cell(seed):
    cell = NB201Cell().sample(np.random.default_rng(seed))
    net = build_nb201(cell, num_classes=7, channels=4, cells=1)
    out = net(torch.randn(2, 3, 16, 16))
    assert out.shape == (2, 7)


def test_nb201_network_has_fewer_parameters_without_convolutions():
    conv = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    skip = "|skip_connect~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|skip_connect~2|"
    count = lambda g: sum(p.numel() for p in build_nb201(g, channels=4, cells=1).parameters())
    assert count(conv) > count(skip)
    with pytest.raises(SpaceError, match="unknown operation"):
        build_nb201(conv.replace("nor_conv_3x3", "conv9"))


def test_darts_network_runs_a_sampled_genotype():
    genotype = DARTSCell().sample(np.random.default_rng(0))
    net = build_darts(genotype, num_classes=5, channels=4, layers=3, in_channels=1)
    assert net(torch.randn(2, 1, 16, 16)).shape == (2, 5)


def test_mobilenet_network_with_mixconv_and_se():
    from hypernas.estimate.archnets import build_mobilenet
    from hypernas.space import MobileNetSpace

    space = MobileNetSpace(stages=[[8, 1], [16, 2]])
    genotype = [{"expansion": 3, "kernel": [3, 5, 7], "se": True, "depth": 2},
                {"expansion": 1, "kernel": [5], "se": False, "depth": 1}]
    net = build_mobilenet(genotype, num_classes=4, in_channels=1, width=0.25, space=space)
    assert net(torch.randn(2, 1, 12, 12)).shape == (2, 4)


def test_hierarchical_network_runs_a_sampled_genotype():
    from hypernas.estimate.archnets import build_hierarchical
    from hypernas.space import HierarchicalSpace

    space = HierarchicalSpace(n_motifs=2, motif_nodes=3, top_nodes=3, init_mutations=10)
    genotype = space.sample(np.random.default_rng(3))
    net = build_hierarchical(genotype, num_classes=3, channels=4, in_channels=1, space=space)
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 3)


def test_genotype_networks_are_training_models():
    from hypernas.estimate.train.models import build_model

    cell = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"
    net = build_model("nb201", (1, 8, 8), 10, cell=cell, channels=4, cells=1)
    assert net(torch.randn(3, 1, 8, 8)).shape == (3, 10)
    genotype = DARTSCell().sample(np.random.default_rng(0))
    assert build_model("darts", (1, 8, 8), 10, genotype=genotype, channels=4, layers=3)(torch.randn(2, 1, 8, 8)).shape == (2, 10)
