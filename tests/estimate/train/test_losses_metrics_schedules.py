"""Losses, metrics, optimizers and learning-rate schedules."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from hypernas.errors import ConfigError
from hypernas.estimate.train import FocalLoss, balanced_class_weights
from hypernas.estimate.train.losses import class_weights, make_loss
from hypernas.estimate.train.metrics import confusion_matrix, summarize
from hypernas.estimate.train.optim import make_optimizer, swats_sgd_lr
from hypernas.estimate.train.schedules import make_schedule


def test_focal_loss_reduces_to_cross_entropy_at_gamma_zero_and_down_weights_easy_examples():
    logits = torch.tensor([[4.0, 0.0], [0.2, 0.1], [0.0, 3.0]])
    target = torch.tensor([0, 1, 1])
    assert torch.allclose(FocalLoss(gamma=0)(logits, target), F.cross_entropy(logits, target))
    per = F.cross_entropy(logits, target, reduction="none")
    assert FocalLoss(gamma=2)(logits, target) < per.mean()
    w = torch.tensor([1.0, 3.0])
    assert torch.allclose(FocalLoss(gamma=0, weight=w)(logits, target), F.cross_entropy(logits, target, weight=w))


def test_class_weights():
    weights = balanced_class_weights(torch.tensor([0, 0, 0, 1]), 3)
    assert weights.tolist() == pytest.approx([4 / 9, 4 / 3, 0.0])
    assert class_weights([1, 2], torch.tensor([0, 1]), 2).tolist() == [1.0, 2.0]
    with pytest.raises(ConfigError, match="class_weights must be 'balanced' or 2 numbers"):
        class_weights([1], torch.tensor([0, 1]), 2)
    with pytest.raises(ConfigError, match="training: loss must be one of 'cross_entropy', 'focal', got 'hinge'"):
        make_loss("hinge")


def test_metrics_from_a_known_confusion():
    target = torch.tensor([0, 0, 0, 1, 1, 2])
    pred = torch.tensor([0, 0, 1, 1, 0, 2])
    cm = confusion_matrix(pred, target, 3)
    assert cm.tolist() == [[2, 1, 0], [1, 1, 0], [0, 0, 1]]
    m = summarize(cm, loss_sum=3.0, count=6)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["per_class_accuracy"] == pytest.approx([2 / 3, 1 / 2, 1.0])
    f1 = [2 * 2 / (3 + 3), 2 * 1 / (2 + 2), 1.0]
    assert m["macro_f1"] == pytest.approx(sum(f1) / 3) and m["loss"] == 0.5


def test_optimizers_by_name():
    p = [torch.nn.Parameter(torch.zeros(2))]
    assert isinstance(make_optimizer("sgd", p, lr=0.1, nesterov=True), torch.optim.SGD)
    assert make_optimizer("sgd", p, lr=0.1, nesterov=True).param_groups[0]["nesterov"]
    for name, cls in (("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW), ("rmsprop", torch.optim.RMSprop)):
        assert isinstance(make_optimizer(name, p, lr=0.1, weight_decay=0.01), cls)
    with pytest.raises(ConfigError, match="training: optimizer must be one of 'sgd', 'adam', 'adamw', 'rmsprop', got 'lbfgs'"):
        make_optimizer("lbfgs", p, lr=0.1)


def test_swats_estimate_matches_adam_step_length():
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = torch.optim.Adam([w], lr=0.01)
    assert swats_sgd_lr(opt, 0.9) is None  # no step yet
    for _ in range(5):
        opt.zero_grad()
        (w ** 2).sum().backward()
        opt.step()
    lr = swats_sgd_lr(opt, 0.0)
    state = opt.state[w]
    m_hat = state["exp_avg"] / (1 - 0.9 ** 5)
    v_hat = state["exp_avg_sq"] / (1 - 0.999 ** 5)
    p = -0.01 * m_hat / (v_hat.sqrt() + 1e-8)
    assert lr == pytest.approx(float((p @ p) / -(p @ m_hat)), rel=1e-5)
    assert swats_sgd_lr(opt, 0.9) == pytest.approx(0.1 * lr)


def test_schedules():
    step = make_schedule({"type": "step", "step_size": 2, "gamma": 0.5}, epochs=6)
    assert [step(t) for t in (0.5, 1.9, 2.0, 4.5)] == [1.0, 1.0, 0.5, 0.25]
    cosine = make_schedule("cosine", epochs=4)
    assert cosine(0) == 1.0 and cosine(2) == pytest.approx(0.5) and cosine(4) == pytest.approx(0.0)
    warm = make_schedule("cosine", epochs=4, warmup_epochs=2)
    assert warm(1) == pytest.approx(0.5) and warm(2) == pytest.approx(1.0) and warm(3) == pytest.approx(0.5)
    assert warm(0, 0.25) == pytest.approx(0.125)  # a step is warmed up by where it ends, never at rate 0
    plateau = make_schedule({"type": "plateau", "factor": 0.5, "patience": 1}, epochs=10)
    for loss in (1.0, 0.9, 0.95, 0.95):
        plateau.epoch_end(loss)
    assert plateau(5) == 0.5
    restored = make_schedule({"type": "plateau", "factor": 0.5, "patience": 1}, epochs=10)
    restored.load_state_dict(plateau.state_dict())
    assert restored(5) == 0.5 and math.isclose(restored.best, 0.9)
    with pytest.raises(ConfigError, match="schedule: type must be one of 'constant', 'step', 'cosine', 'plateau', got 'poly'"):
        make_schedule("poly", epochs=3)
