import math

import pytest
import torch

from hypernas.errors import ObjectiveError
from hypernas.estimate.models import build_nb201, count_flops, count_params
from hypernas.estimate.proxies import PROXIES, get_proxy, init_params, proxy_score

from .helpers import CONV, NONE, OTHER, batch, tiny

ALL = ["fisher", "flops", "grad_norm", "grasp", "jacob_cov", "naswot", "params", "snip", "synflow"]


def test_every_proxy_is_registered():
    assert PROXIES.names() == ALL


@pytest.mark.parametrize("name", ALL)
def test_each_proxy_gives_a_finite_deterministic_number(name):
    x, y = batch()
    first = proxy_score(name, tiny(), x, y)
    assert math.isfinite(first)
    assert proxy_score(name, tiny(), x, y) == first  # same weights, same batch: the very same number


@pytest.mark.parametrize("name", ALL)
def test_scoring_leaves_the_network_as_it_was(name):
    net = tiny()
    net.eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x, y = batch()
    proxy_score(name, net, x, y)
    assert not net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(p.grad is None for p in net.parameters())


def test_the_weights_depend_on_the_seed_only():
    torch.manual_seed(123)
    a = build_nb201(CONV, num_classes=5, channels=4, cells=1)
    torch.manual_seed(456)
    b = build_nb201(CONV, num_classes=5, channels=4, cells=1)
    init_params(a, 7), init_params(b, 7)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values(), strict=True))
    assert proxy_score("synflow", tiny(seed=1), (3, 8, 8)) != proxy_score("synflow", tiny(seed=2), (3, 8, 8))


def test_synflow_of_a_cell_without_any_operation_is_zero():
    assert proxy_score("synflow", tiny(NONE), (3, 8, 8)) == 0.0
    assert proxy_score("synflow", tiny(CONV), (3, 8, 8)) > 0.0


def test_synflow_does_not_overflow_on_the_benchmark_network():
    net = init_params(build_nb201(CONV.replace("avg_pool_3x3", "nor_conv_3x3")), 0)  # C=16, 5 cells per stage
    value = proxy_score("synflow", net, (3, 32, 32))
    assert math.isfinite(value) and value > 1e30  # the products of weights are far beyond float32's range


def test_synflow_ignores_batch_norm_statistics_and_input_values():
    net = tiny()
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_var.fill_(9.0)
    assert proxy_score("synflow", net, torch.randn(4, 3, 8, 8)) == proxy_score("synflow", tiny(), (3, 8, 8))


def test_the_baselines_are_the_parameter_count_and_the_flops():
    net = tiny()
    assert proxy_score("params", net, (3, 8, 8)) == count_params(net)
    assert proxy_score("flops", net, (3, 8, 8)) == count_flops(net, (3, 8, 8))
    assert proxy_score("params", tiny(CONV), (3, 8, 8)) > proxy_score("params", tiny(NONE), (3, 8, 8))


def test_naswot_tells_cells_apart_and_prefers_the_one_that_separates_inputs():
    x, _ = batch(16)
    conv, other = proxy_score("naswot", tiny(CONV), x), proxy_score("naswot", tiny(OTHER), x)
    assert conv != other
    assert proxy_score("naswot", tiny(NONE), x) < min(conv, other)  # all outputs alike: a (near) singular kernel


def test_naswot_is_the_log_determinant_of_the_hamming_kernel():
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    codes = (net[0](x) > 0).double()
    hamming = (codes[:, None, :] != codes[None, :, :]).sum(-1).double()
    expected = torch.linalg.slogdet(codes.shape[1] - hamming)[1]
    assert proxy_score("naswot", net, x) == pytest.approx(float(expected))


def test_loss_based_proxies_are_zero_without_a_path_from_the_weights():
    x, y = batch()
    for name in ("snip", "grad_norm", "grasp"):
        assert proxy_score(name, tiny(NONE), x, y) == pytest.approx(0.0, abs=1e-12)
        assert proxy_score(name, tiny(CONV), x, y) > 0.0


def test_jacob_cov_of_a_network_that_ignores_its_input_is_minus_infinity():
    x, _ = batch()
    assert proxy_score("jacob_cov", tiny(NONE), x) == -math.inf
    assert math.isfinite(proxy_score("jacob_cov", tiny(CONV), x))


def test_proxies_say_what_they_need():
    assert {n for n in ALL if get_proxy(n).needs == "shape"} == {"synflow", "params", "flops"}
    assert {n for n in ALL if get_proxy(n).needs == "labels"} == {"snip", "grasp", "fisher", "grad_norm"}


def test_bad_calls_get_one_line_errors():
    x, y = batch()
    with pytest.raises(ObjectiveError, match=r"^unknown proxy 'synflw'; known proxies: fisher, flops, ") as info:
        proxy_score("synflw", tiny(), x, y)
    assert "\n" not in str(info.value)
    with pytest.raises(ObjectiveError, match=r"^proxy 'snip' needs one class label per input, got none$"):
        proxy_score("snip", tiny(), x)
    with pytest.raises(ObjectiveError, match=r"^proxy 'snip' needs one class label per input, got 3 for 8 inputs$"):
        proxy_score("snip", tiny(), x, y[:3])
    with pytest.raises(ObjectiveError, match=r"^proxy 'naswot' needs a batch of inputs, not only the shape \(3, 8, 8\)$"):
        proxy_score("naswot", tiny(), (3, 8, 8))
    with pytest.raises(ObjectiveError, match=r"^proxy 'jacob_cov' compares the samples of a batch: give at least 2"):
        proxy_score("jacob_cov", tiny(), x[:1])
    with pytest.raises(ObjectiveError, match=r"^proxy 'naswot' needs a network with nn.ReLU modules; Linear has none$"):
        proxy_score("naswot", torch.nn.Linear(3, 2), torch.randn(4, 3))


def test_a_proxy_of_ones_own_can_be_registered_and_used_by_the_objective():
    from hypernas.estimate.proxies import Proxy, ZeroCostObjective

    def depth(model, inputs, targets, loss):
        return float(sum(1 for _ in model.modules()))

    with PROXIES.temporarily("depth", Proxy(depth, "shape", "number of modules")):
        objective = ZeroCostObjective(["depth", "params"], dataset=None, input_shape=[3, 8, 8],
                                      model_options={"channels": 4, "cells": 1})
        scores = objective(type("T", (), {"params": {"cell": CONV}})())
        assert scores["depth"] > 10 and scores["params"] == count_params(build_nb201(CONV, 10, channels=4, cells=1))
    assert "depth" not in PROXIES
