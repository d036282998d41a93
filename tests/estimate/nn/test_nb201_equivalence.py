"""The NB201 cell written with LayerChoice searches as the built-in NB201 space does: its space has one
categorical per edge over the five operations, in the built-in cell's edge and operation order, so a strategy
with the same seed proposes the same architectures."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import hypernas
from hypernas.errors import StrategyError
from hypernas.nn import instantiate, model_space
from hypernas.space import Categorical, Space
from hypernas.space.arch.nb201 import NB201_OPS, NB201Cell
from hypernas.strategy import make_strategy
from tests.estimate.nn.nb201_model import TinyNB201

CELL = NB201Cell()
TABLE = np.random.default_rng(7).random((6, 5))  # a made-up benchmark: a score per edge and operation
SPACE = model_space(TinyNB201)


def _score(ops: list[str]) -> float:
    return float(sum(TABLE[e, NB201_OPS.index(op)] for e, op in enumerate(ops)))


def _proposals(strategy: str, space: Space, as_ops, n_trials: int) -> list[list[str]]:
    study = hypernas.create_study(direction="maximize", strategy=make_strategy(strategy, seed=3))
    study.optimize(lambda trial: _score(as_ops(trial.params)), space, n_trials=n_trials, show_progress=False)
    return [as_ops(t.params) for t in study.trials]


def _model_ops(params):
    return [params[label] for label in SPACE.names]


def test_the_space_lines_up_with_the_built_in_cell():
    assert SPACE.names == [f"edge_{i}_{j}" for i, j in CELL.edges]
    assert all(p == Categorical(list(NB201_OPS)) for _, p in SPACE.items())


@pytest.mark.parametrize("strategy", ["random", "evolution", "local", "reinforce", "qlearning", "grid"])
def test_same_proposals_as_the_built_in_space(strategy):
    builtin = _proposals(strategy, Space(cell=NB201Cell()), lambda p: CELL.to_ops(p["cell"]), 60)
    assert _proposals(strategy, SPACE, _model_ops, 60) == builtin


@pytest.mark.parametrize("strategy", ["tpe", "gp"])
def test_model_based_strategies_search_it_as_declared_categoricals(strategy):
    """TPE and GP do not take the built-in cell (a genotype); the model's space is what they search, exactly as
    the same categoricals declared by hand."""
    with pytest.raises(StrategyError, match="cannot search parameter 'cell'"):
        _proposals(strategy, Space(cell=NB201Cell()), lambda p: CELL.to_ops(p["cell"]), 1)
    declared = Space({f"edge_{i}_{j}": Categorical(list(NB201_OPS)) for i, j in CELL.edges})
    n = 14 if strategy == "tpe" else 12
    assert _proposals(strategy, SPACE, _model_ops, n) == _proposals(strategy, declared, _model_ops, n)


def test_the_fixed_network_has_the_cell_of_the_architecture():
    genotype = "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|"
    net = instantiate(TinyNB201, dict(zip(SPACE.names, CELL.to_ops(genotype))))
    edges = net.cells[0].edges
    assert [type(edges[f"{i}_{j}"]).__name__ for i, j in CELL.edges] == [
        "ReLUConvBN", "Zero", "AvgPool2d", "Identity", "ReLUConvBN", "Identity"]
    assert net(torch.randn(2, 3, 8, 8)).shape == (2, 3)
