"""The same seed gives the same results with any executor: each trial builds its model from its own seed
and draws its dropout masks, batch order and augmentations from its own generators."""

from __future__ import annotations

from pathlib import Path

import pytest

import hypernas as hn
from hypernas import TrainingObjective

pytestmark = pytest.mark.timeout(240)

SPACE = {"lr": hn.Float(1e-3, 1e-1, log=True), "width": hn.Int(16, 48, step=16), "dropout": hn.Float(0.2, 0.5)}


def objective() -> TrainingObjective:
    return TrainingObjective("digits", "mlp", epochs=2, train_size=240, val_size=60, test_size=60, batch_size=32,
                             measure_latency=False, metric="val_loss")


def results(storage: str | None, **run: object) -> dict[int, tuple[dict[str, object], float | None]]:
    study = hn.create_study("det", storage, strategy="random", seed=7)
    study.optimize(objective(), SPACE, n_trials=4, **run)  # type: ignore[arg-type]
    return {t.number: (t.params, t.value) for t in study.trials}


def test_threads_and_processes_give_the_sequential_results(tmp_path: Path) -> None:
    sequential = results(None)
    assert all(value is not None for _, value in sequential.values())
    assert results(None, n_workers=2) == sequential
    assert results(f"sqlite:///{tmp_path / 'p.db'}", n_workers=2, executor="process") == sequential


def test_a_dropout_layer_draws_from_the_run_generator() -> None:
    import torch

    from hypernas.estimate.models.ops import SeededDropout

    layer = SeededDropout(0.5)
    x = torch.ones(1000)
    layer.generator = torch.Generator().manual_seed(3)
    first = layer(x)
    torch.manual_seed(0)  # the global generator plays no part
    layer.generator = torch.Generator().manual_seed(3)
    assert torch.equal(layer(x), first)
    assert set(first.unique().tolist()) == {0.0, 2.0}
    layer.eval()
    assert torch.equal(layer(x), x)
