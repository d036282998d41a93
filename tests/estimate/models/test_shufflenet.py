import numpy as np
import pytest
import torch

import hypernas
from hypernas.errors import SpaceError
from hypernas.estimate.models import (
    ShuffleNetNetwork,
    ShuffleStage,
    build_model,
    channel_shuffle,
    count_flops,
    count_params,
    shuffle_edge,
)
from hypernas.estimate.train import TrainingObjective
from hypernas.space import ShuffleNetSpace

from .helpers import Recorder, mixed

BLOCKS = ["shuffle3", "shuffle5", "shuffle7", "xception"]
TINY = {"depths": [2, 1], "widths": [8, 16], "stem": 4, "head": 32}


def test_channel_shuffle_interleaves_the_two_halves():
    x = torch.arange(6.0).view(1, 6, 1, 1)
    assert channel_shuffle(x).flatten().tolist() == [0, 3, 1, 4, 2, 5]


def test_a_stride_1_unit_keeps_half_the_channels_and_transforms_the_other_half():
    unit = shuffle_edge("shuffle3", (16, 16), 1)
    # by hand: branch on 8 channels, inner width 16 // 2 = 8, 8 outputs: 1x1 8->8 + BN, 3x3 depthwise 8 + BN, 1x1 8->8 + BN
    assert count_params(unit) == (8 * 8 + 2 * 8) + (8 * 9 + 2 * 8) + (8 * 8 + 2 * 8)
    x = torch.randn(2, 16, 6, 6)
    y = unit.eval()(x)
    assert y.shape == (2, 16, 6, 6)
    assert torch.equal(y[:, 0::2], x[:, :8])  # the kept half, interleaved by the shuffle


def test_a_stride_2_unit_has_a_projection_and_halves_the_map():
    unit = shuffle_edge("shuffle5", (4, 8), 2)
    proj = (4 * 25 + 2 * 4) + (4 * 4 + 2 * 4)  # 5x5 depthwise + BN, 1x1 4->4 + BN
    main = (4 * 4 + 2 * 4) + (4 * 25 + 2 * 4) + (4 * 4 + 2 * 4)  # 1x1 4->4, 5x5 depthwise, 1x1 4->(8-4)
    assert count_params(unit) == proj + main
    assert unit(torch.randn(2, 4, 7, 7)).shape == (2, 8, 4, 4)


def test_the_xception_unit_has_three_separable_convolutions():
    unit = shuffle_edge("xception", (16, 16), 1)
    depthwise = [m for m in unit.modules() if isinstance(m, torch.nn.Conv2d) and m.groups > 1]
    assert [m.kernel_size for m in depthwise] == [(3, 3)] * 3
    assert count_params(unit) == 3 * (8 * 9 + 2 * 8) + 3 * (8 * 8 + 2 * 8)


@pytest.mark.parametrize("block", BLOCKS)
def test_every_block_runs_at_both_strides(block):
    assert shuffle_edge(block, (8, 8), 1)(torch.randn(1, 8, 5, 5)).shape == (1, 8, 5, 5)
    assert shuffle_edge(block, (8, 24), 2)(torch.randn(1, 8, 5, 5)).shape == (1, 24, 3, 3)


def test_the_spos_network_matches_the_published_size():
    """The SPOS repository's searched architecture: 3.5M parameters and 323M multiply-adds at 224x224
    (the reference code, run with channel scale 1, has exactly this parameter count)."""
    arch = [BLOCKS[i] for i in (2, 1, 0, 1, 2, 0, 2, 0, 2, 0, 2, 3, 0, 0, 0, 0, 3, 2, 3, 3)]
    net = build_model("shufflenet", (3, 224, 224), 1000, blocks=arch, stem_stride=2)
    assert count_params(net) == 3_558_464
    assert round(count_flops(net, (3, 224, 224)) / 2e6) == 323


@pytest.mark.parametrize("shape, stem_stride", [((1, 8, 8), 1), ((1, 28, 28), 1), ((1, 28, 28), 2), ((3, 32, 32), 2)])
def test_small_inputs_work(shape, stem_stride):
    blocks = ["xception", "shuffle7", "shuffle5"]
    net = build_model("shufflenet", shape, 10, blocks=blocks, stem_stride=stem_stride, **TINY)
    assert net(torch.randn(2, *shape)).shape == (2, 10)


def test_the_skeleton_asks_the_edge_factory_for_every_unit():
    edge = Recorder(shuffle_edge)
    ShuffleNetNetwork([ShuffleStage(8, ("shuffle3", "xception")), ShuffleStage(16, ("shuffle7",))], in_channels=1,
                      stem=4, head=32, edge=edge)
    assert edge.calls == [("shuffle3", (4, 8), 2), ("xception", (8, 8), 1), ("shuffle7", (8, 16), 2)]


def test_the_skeleton_takes_candidate_blocks():
    choices = tuple(BLOCKS)
    edge = Recorder(mixed(shuffle_edge))
    net = ShuffleNetNetwork([ShuffleStage(8, (choices, choices)), ShuffleStage(16, (choices,))], num_classes=3,
                            in_channels=1, stem=4, head=32, edge=edge)
    assert [op for op, _, _ in edge.calls] == [choices] * 3
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 3)


@pytest.mark.parametrize("options, message", [
    ({"depths": [2, 2]}, "model 'shufflenet': the genotype has 3 block(s) but the option depths [2, 2] make 4 layers; "
                         "set depths to the space's depths"),
    ({"widths": [8]}, "shufflenet network: 1 width(s) [8] for 2 stages (depths [2, 1]); give one width per stage"),
    ({"widths": [8, 6]}, "shufflenet network: stage widths must be even and each larger than the one before "
                         "(the stem's 4 first), got [8, 6]"),
    ({"widths": [9, 16]}, "shufflenet network: stage widths must be even and each larger than the one before "
                          "(the stem's 4 first), got [9, 16]"),
    ({"stem_stride": 3}, "shufflenet network: stem_stride must be one of 1, 2, got 3"),
])
def test_bad_model_options_are_one_clear_line(options, message):
    with pytest.raises(SpaceError) as info:
        build_model("shufflenet", (1, 8, 8), 3, blocks=["shuffle3"] * 3, **{**TINY, **options})
    assert str(info.value) == message


def test_a_bad_genotype_names_the_layer():
    with pytest.raises(SpaceError, match=r"parameter 'blocks': layer 2 'shuffle9' is not allowed; choices: shuffle3, "):
        build_model("shufflenet", (1, 8, 8), 3, blocks=["shuffle3", "shuffle3", "shuffle9"], **TINY)
    with pytest.raises(SpaceError, match="searchable layer needs a factory"):
        shuffle_edge(("shuffle3", "shuffle5"), (8, 8), 1)  # type: ignore[arg-type]


def test_a_sampled_genotype_of_a_choice_subset_builds():
    space = ShuffleNetSpace(depths=[2, 1], choices=["shuffle7", "xception"])
    blocks = space.sample(np.random.default_rng(0))
    net = build_model("shufflenet", (1, 8, 8), 3, blocks=blocks, **TINY)
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 3)


def test_a_shufflenet_space_trains_on_digits_through_the_objective():
    objective = TrainingObjective("digits", "shufflenet", epochs=1, train_size=64, val_size=32, test_size=32,
                                  batch_size=32, measure_latency=False, **TINY)
    space = hypernas.Space.from_config({"blocks": {"type": "shufflenet", "depths": [2, 1]}})
    study = hypernas.create_study(direction="maximize", seed=0)
    study.optimize(objective, space, n_trials=2, show_progress=False)
    assert [t.state for t in study.trials] == [hypernas.TrialState.COMPLETE] * 2, [t.error for t in study.trials]
    assert all(len(t.params["blocks"]) == 3 and 0 <= t.value <= 1 for t in study.trials)
