"""The fast building blocks of mixed edges compute what the PyTorch modules they stand for compute."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from hypernas.oneshot.mixed import BoxAvgPool2d, ScaledBatchNorm2d


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_box_pooling_is_average_pooling(stride, count_include_pad):
    x = torch.randn(3, 5, 9, 8, dtype=torch.double, requires_grad=True)
    reference = nn.AvgPool2d(3, stride, 1, count_include_pad=count_include_pad)
    box = BoxAvgPool2d(3, stride, 1, count_include_pad=count_include_pad)
    box(torch.randn(2, 5, 6, 7, dtype=torch.double))  # another size first: the counts follow the input's size
    out, expected = box(x), reference(x)
    assert out.shape == expected.shape
    assert torch.allclose(out, expected, rtol=0, atol=1e-12)
    g = torch.randn_like(out)
    (grad,) = torch.autograd.grad(out, x, g)
    (grad_expected,) = torch.autograd.grad(expected, x, g)
    assert torch.allclose(grad, grad_expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_a_scaled_batch_norm_is_the_batch_norm_times_the_scale(affine, momentum):
    scaled = ScaledBatchNorm2d(4, momentum=momentum, affine=affine).double()
    plain = nn.BatchNorm2d(4, momentum=momentum, affine=affine).double()
    if affine:
        with torch.no_grad():
            for p in (*scaled.parameters(), *plain.parameters()):
                p.copy_(torch.arange(4, dtype=torch.double) + 0.5)
    x = torch.randn(6, 4, 5, 5, dtype=torch.double, requires_grad=True)
    w, w_ref = (torch.tensor(0.3, dtype=torch.double, requires_grad=True) for _ in range(2))
    for _ in range(2):  # running statistics follow the same updates
        out, expected = scaled(x, w), w_ref * plain(x)
    assert torch.allclose(out, expected, rtol=0, atol=1e-12)
    g = torch.randn_like(out)
    inputs = [x, w, *scaled.parameters()]
    found = torch.autograd.grad(out, inputs, g)
    wanted = torch.autograd.grad(expected, [x, w_ref, *plain.parameters()], g)
    for a, b in zip(found, wanted):
        assert torch.allclose(a, b, rtol=0, atol=1e-10)
    assert torch.allclose(scaled.running_mean, plain.running_mean) and torch.allclose(scaled.running_var, plain.running_var)
    assert int(scaled.num_batches_tracked) == int(plain.num_batches_tracked) == 2
    scaled.eval(), plain.eval()
    assert torch.allclose(scaled(x, w), w_ref * plain(x), rtol=0, atol=1e-12)
    assert torch.allclose(scaled(x), plain(x), rtol=0, atol=1e-12)
