import torch

from hypernas.estimate.models import MobileBlock, MobileNetNetwork, MobileStage, build_mobilenet, mobile_edge
from hypernas.space import MobileNetSpace

from .helpers import Recorder, assert_fingerprint, fingerprint, mixed

STAGES = [{"expansion": 3, "kernel": [3, 5, 7], "se": True, "depth": 2},
          {"expansion": 1, "kernel": [5], "se": False, "depth": 1}]


def test_mobilenet_network_with_mixconv_and_se():
    space = MobileNetSpace(stages=[[8, 1], [16, 2]])
    net = build_mobilenet(STAGES, num_classes=4, in_channels=1, width=0.25, space=space)
    assert net(torch.randn(2, 1, 12, 12)).shape == (2, 4)


def test_mobilenet_skeleton_asks_the_edge_factory_for_every_block():
    first, second = MobileBlock(3, (3, 5, 7), True), MobileBlock(1, (5,), False)
    edge = Recorder(mobile_edge)
    MobileNetNetwork([MobileStage(8, 1, 2, first), MobileStage(16, 2, 1, second)], in_channels=1, width=0.5, edge=edge)
    assert edge.calls == [(first, (16, 4), 1), (first, (4, 4), 1), (second, (4, 8), 2)]


def test_mobilenet_skeleton_takes_candidate_blocks():
    choices = (MobileBlock(1, (3,), False), MobileBlock(3, (5,), True))
    edge = Recorder(mixed(mobile_edge))
    net = MobileNetNetwork([MobileStage(8, 1, 1, choices), MobileStage(16, 2, 2, choices)], num_classes=3,
                           in_channels=1, width=0.25, edge=edge)
    assert [op for op, _, _ in edge.calls] == [choices] * 3
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 3)


def test_mobilenet_network_is_the_one_built_before_edge_factories():
    got = fingerprint("mobilenet", (1, 12, 12), 4, stages=STAGES, skeleton=[[8, 1], [16, 2]], width=0.25)
    assert_fingerprint(got, 2723, 15949.348076,
                       [[0.00615, 0.098179, -0.01203, -0.095794], [0.006235, 0.098265, -0.012134, -0.095781]])
