"""Every registered builder builds what the genotype says, so a space with non-default settings builds."""

import numpy as np
import pytest
import torch

import hypernas
from hypernas.errors import SpaceError
from hypernas.space import DARTSCell, HierarchicalSpace, MobileNetSpace, NB201Cell, ShuffleNetSpace

SPACES = {
    "darts": (DARTSCell(steps=2), "genotype", {"channels": 4, "layers": 3}),
    "nb201": (NB201Cell(ops=["none", "skip_connect", "conv_3x3"], nodes=3), "cell", {"channels": 4, "cells": 1}),
    "hierarchical": (HierarchicalSpace(n_motifs=2, motif_nodes=3, top_nodes=4, init_mutations=10), "genotype",
                     {"channels": 4}),
    "mobilenet": (MobileNetSpace(stages=[[8, 1], [16, 2], [24, 2]], expansions=[2, 4], kernels=[[3], [3, 5]],
                                 depths=[1, 2]), "stages", {"skeleton": [[8, 1], [16, 2], [24, 2]], "width": 0.25}),
    "shufflenet": (ShuffleNetSpace(depths=[2, 1, 1], choices=["shuffle7", "xception"]), "blocks",
                   {"depths": [2, 1, 1], "widths": [8, 16, 32], "stem": 4, "head": 16}),
}


@pytest.mark.parametrize("name", SPACES)
@pytest.mark.parametrize("seed", [0, 1])
def test_a_sampled_genotype_of_a_non_default_space_builds_and_runs(name, seed):
    space, option, options = SPACES[name]
    genotype = space.sample(np.random.default_rng(seed))
    net = hypernas.build_model(name, (1, 8, 8), 3, **{option: genotype}, **options)
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 3)


def test_the_darts_network_has_the_genotypes_steps():
    genotype = SPACES["darts"][0].default
    net = hypernas.build_model("darts", (1, 8, 8), 3, genotype=genotype, channels=4, layers=1)
    assert net.cells[0].fan_in == [2, 2] and net.head[-1].in_features == 2 * 4  # two nodes concatenated


def test_the_nb201_network_has_the_cells_nodes_and_ops():
    cell = "|conv_3x3~0|+|skip_connect~0|conv_3x3~1|"
    net = hypernas.build_model("nb201", (1, 8, 8), 3, cell=cell, channels=4, cells=1)
    first = net.features[2]
    assert first.nodes == 3 and [type(op).__name__ for op in first.ops] == ["ReLUConvBN", "Identity", "ReLUConvBN"]
    assert first.ops[0][1].kernel_size == (3, 3)


@pytest.mark.parametrize("name, options, message", [
    ("hierarchical", {"n_motifs": 6},
     "model 'hierarchical': option n_motifs=6 contradicts the genotype, whose n_motifs is 2"),
    ("hierarchical", {"motif_nodes": 4},
     "model 'hierarchical': option motif_nodes=4 contradicts the genotype, whose motif_nodes is 3"),
    ("hierarchical", {"top_nodes": 5},
     "model 'hierarchical': option top_nodes=5 contradicts the genotype, whose top_nodes is 4"),
    ("mobilenet", {"skeleton": [[8, 1], [16, 2]]},
     "model 'mobilenet': the genotype has 3 stage(s) but the option skeleton has 2 ([[8, 1], [16, 2]]); "
     "set skeleton to the space's stages"),
    ("shufflenet", {"depths": [4, 4, 8, 4]},
     "model 'shufflenet': the genotype has 4 block(s) but the option depths [4, 4, 8, 4] make 20 layers; "
     "set depths to the space's depths"),
])
def test_a_builder_option_that_contradicts_the_genotype_is_named(name, options, message):
    space, option, _ = SPACES[name]
    with pytest.raises(SpaceError) as info:
        hypernas.build_model(name, (1, 8, 8), 3, **{option: space.sample(np.random.default_rng(0))}, **options)
    assert str(info.value) == message


@pytest.mark.parametrize("name, option, genotype, words", [
    ("darts", "genotype", {"normal": [["conv_11x11", 0], ["none", 1]], "reduce": [["none", 0], ["none", 1]]},
     "parameter 'genotype': unknown operation 'conv_11x11' in cell 'normal'; allowed: none, skip_connect"),
    ("darts", "genotype", {"normal": [["none", 0], ["none", 1]], "reduce": [["none", 0]] * 4},
     "parameter 'genotype': cell 'reduce' needs 2 [op, input] pairs (2 per node, 1 nodes)"),
    ("nb201", "cell", "|conv_11x11~0|", "parameter 'cell': unknown operation 'conv_11x11' in '|conv_11x11~0|'"),
    ("hierarchical", "genotype", {"motifs": [["bogus"]], "top": [0]},
     "parameter 'genotype': motif 0 has unknown operation 'bogus'; allowed: none, identity"),
    ("mobilenet", "stages", [{"expansion": 0, "kernel": [3], "se": False, "depth": 1}] * 6,
     "parameter 'stages': stage 0 {'expansion': 0, 'kernel': [3], 'se': False, 'depth': 1} needs an integer expansion"),
    ("mobilenet", "stages", [{"expansion": 1, "kernel": [4], "se": False, "depth": 1}] * 6, "odd kernel sizes"),
    ("shufflenet", "blocks", ["shuffle3"] * 19 + ["shuffle11"],
     "parameter 'blocks': layer 19 'shuffle11' is not allowed; choices: shuffle3, shuffle5, shuffle7, xception"),
])
def test_a_bad_genotype_is_one_clear_line(name, option, genotype, words):
    with pytest.raises(SpaceError) as info:
        hypernas.build_model(name, (1, 8, 8), 3, **{option: genotype})
    assert words in str(info.value) and "\n" not in str(info.value)
