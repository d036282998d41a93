import numpy as np
import torch

from hypernas.estimate.models import HierarchicalNetwork, build_hierarchical, motif_edge
from hypernas.space import HierarchicalSpace

from .helpers import Recorder, assert_fingerprint, fingerprint, mixed

GENOTYPE = {"motifs": [["dw_conv_3x3", "max_pool_3x3", "sep_conv_3x3"], ["sep_conv_3x3", "identity", "conv_1x1"]],
            "top": [0, 1, "none"]}


def test_hierarchical_network_runs_a_sampled_genotype():
    space = HierarchicalSpace(n_motifs=2, motif_nodes=3, top_nodes=3, init_mutations=10)
    genotype = space.sample(np.random.default_rng(3))
    net = build_hierarchical(genotype, num_classes=3, channels=4, in_channels=1, space=space)
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 3)


def test_hierarchical_skeleton_asks_the_edge_factory_for_every_present_edge():
    motifs = [GENOTYPE["motifs"][0], ["sep_conv_3x3", "none", "conv_1x1"]]
    edge = Recorder(motif_edge)
    HierarchicalNetwork(motifs, GENOTYPE["top"], channels=4, in_channels=1, edge=edge)
    per_cell = ["dw_conv_3x3", "max_pool_3x3", "sep_conv_3x3", "sep_conv_3x3", "conv_1x1"]  # "none" edges are absent
    assert edge.calls == [(op, c, 1) for c in (4, 8, 16) for op in per_cell]


def test_hierarchical_skeleton_takes_candidates_on_motif_edges():
    choices = ("identity", "conv_3x3")
    edge = Recorder(mixed(motif_edge))
    net = HierarchicalNetwork([[choices] * 3], [0, 0, 0], num_classes=3, channels=4, in_channels=1, edge=edge)
    assert len(edge.calls) == 3 * 3 * 3 and {op for op, _, _ in edge.calls} == {choices}
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 3)


def test_hierarchical_network_is_the_one_built_before_edge_factories():
    got = fingerprint("hierarchical", (1, 8, 8), 3, genotype=GENOTYPE, n_motifs=2, motif_nodes=3, top_nodes=3,
                      channels=4)
    assert_fingerprint(got, 4235, 40980.553541,
                       [[-0.107234, -0.232389, 0.010666], [-0.107155, -0.232461, 0.010715]])
