"""``ProxySignal``: a zero-cost proxy scoring a configuration without a trial, as the objective scores a trial."""

from __future__ import annotations

import pickle

import pytest

from hypernas.errors import StrategyError
from hypernas.estimate.proxies import ProxySignal, ZeroCostObjective
from hypernas.estimate.registry import SIGNALS
from hypernas.space import Float, NB201Cell, Space
from hypernas.strategy import CheapSignal

from .helpers import CONV, OTHER

TINY = {"channels": 4, "cells": 1}


class _Trial:
    def __init__(self, params):
        self.params = params


@pytest.mark.parametrize("options", [{"proxy": "synflow", "dataset": None, "input_shape": [3, 8, 8]},
                                     {"proxy": "snip", "batch_size": 8, "seed": 2}])
def test_the_signal_is_the_objectives_score_and_rebuilds_from_its_config(options):
    signal = SIGNALS.build({"type": "zero_cost", "model_options": TINY, **options})
    assert isinstance(signal, ProxySignal) and isinstance(signal, CheapSignal)
    objective = ZeroCostObjective(model_options=TINY, **options)
    assert signal({"cell": CONV}) == objective(_Trial({"cell": CONV})) != signal({"cell": OTHER})
    config = signal.to_config()
    assert config["type"] == "zero_cost" and config["model_options"] == TINY
    rebuilt = SIGNALS.build(config)
    assert rebuilt.to_config() == config and rebuilt({"cell": CONV}) == signal({"cell": CONV})
    assert pickle.loads(pickle.dumps(signal))({"cell": CONV}) == signal({"cell": CONV})


def test_bad_signals_are_strategy_errors_that_name_the_signal():
    with pytest.raises(StrategyError, match=r"^signal 'zero_cost': without a dataset give input_shape"):
        ProxySignal("synflow", dataset=None)
    with pytest.raises(StrategyError, match=r"^signal 'zero_cost': proxy 'naswot' needs data"):
        ProxySignal("naswot", dataset=None, input_shape=[3, 8, 8])
    with pytest.raises(StrategyError, match=r"^signal 'zero_cost': trial parameter 'lr' is not read"):
        ProxySignal("params").check_space(Space({"cell": NB201Cell(), "lr": Float(0.1, 1.0)}))
