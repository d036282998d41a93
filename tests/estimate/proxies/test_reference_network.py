"""Our NAS-Bench-201 network is the reference one: the parameter counts and FLOPs the benchmark's API reports.

Reference values, CIFAR-10 (10 classes), from the NATS-Bench API's ``get_cost_info`` as quoted in the
NATS-Bench issue tracker (github.com/D-X-Y/NATS-Bench):
- issue #36: ``|skip_connect~0|+|none~0|nor_conv_3x3~1|+|avg_pool_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|``
  ``{'flops': 113.95137, 'params': 0.802426}`` (hp="12"; its hp="200" value is the bug that issue reports);
- issue #24: architecture index 0 (``|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|
  skip_connect~1|skip_connect~2|``), cifar10-valid FLOPs 15.64737 M, the parameter count equal to thop's.
The API's FLOPs are multiply-adds in millions; PyTorch's counter counts 2 FLOPs per multiply-add.
"""

import pytest

from hypernas.estimate.models import build_nb201, count_flops, count_params

ISSUE_36 = "|skip_connect~0|+|none~0|nor_conv_3x3~1|+|avg_pool_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
INDEX_0 = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"


def test_parameter_count_and_flops_match_the_benchmark_api():
    net = build_nb201(ISSUE_36, num_classes=10)
    assert count_params(net) == 802_426
    assert count_flops(net, (3, 32, 32)) / 2e6 == pytest.approx(113.95137, abs=2e-5)
    assert count_flops(build_nb201(INDEX_0, num_classes=10), (3, 32, 32)) / 2e6 == pytest.approx(15.64737, abs=2e-5)
