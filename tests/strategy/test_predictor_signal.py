"""The predictor with a cheap signal (Abdelfattah et al. 2021): zero-cost warm-up and move proposal, on NAS-Bench-201
looked up in the table, with a deterministic fake signal that favours convolutions (as the table does)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hypernas import create_study, load_study
from hypernas.errors import StrategyError
from hypernas.estimate.registry import SIGNALS
from hypernas.estimate.tabular import NB201Benchmark
from hypernas.registry import Configurable
from hypernas.space import NB201Cell, Space
from hypernas.strategy import CheapSignal, PredictorGuidedEvolution
from tests.cli.bench.nb201_table import NB201_TABLE, needs_table

CELL = NB201Cell()
SPACE = Space({"cell": CELL})
WEIGHTS = {"none": 0.0, "skip_connect": 1.0, "nor_conv_1x1": 2.0, "nor_conv_3x3": 3.0, "avg_pool_3x3": 0.5}

pytestmark = needs_table


def op_score(params) -> float:
    """More and larger convolutions score higher (edges weighted apart, so that few cells tie)."""
    return sum(WEIGHTS[o] * (1 + 0.1 * e) for e, o in enumerate(CELL.to_ops(params["cell"])))


class Recording:
    """``op_score``, remembering every configuration it scored."""

    def __init__(self) -> None:
        self.scored: list[str] = []

    def __call__(self, params) -> float:
        self.scored.append(params["cell"])
        return op_score(params)


class OpSignal(Configurable):
    """``op_score`` as a signal with a config, registered for a test so that a study rebuilds it."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def __call__(self, params) -> float:
        return self.scale * op_score(params)


@pytest.fixture(scope="module")
def table() -> NB201Benchmark:
    return NB201Benchmark(NB201_TABLE)


def _study(table, n_trials, storage=None, name=None, **options):
    options = {"n_initial": 5, "n_mutations": 20, "n_random": 5, **options}
    study = create_study(name, storage, direction="maximize", seed=0, strategy=PredictorGuidedEvolution(**options))
    study.optimize(table, SPACE, n_trials=n_trials, show_progress=False)
    return study


def _cells(study) -> list[str]:
    return [t.params["cell"] for t in study.trials]


def test_warmup_takes_the_n_initial_best_of_the_pool_by_the_signal(table):
    signal = Recording()
    study = _study(table, 5, signal=signal, warmup_pool=40)
    pool = signal.scored
    assert len(pool) == len(set(pool)) == 40  # each configuration scored once
    best = sorted(pool, key=lambda c: -op_score({"cell": c}))[:5]
    assert _cells(study) == best
    random = _study(table, 5)
    accuracy = [np.mean([t.values[0] for t in s.trials]) for s in (study, random)]
    assert accuracy[0] > accuracy[1]  # the signal is correlated with the table: a better start


def test_parallel_asks_during_warmup_take_the_pools_next_best():
    signal = Recording()
    study = create_study(direction="maximize", seed=1, space=SPACE,
                         strategy=PredictorGuidedEvolution(n_initial=4, signal=signal, warmup_pool=30))
    cells = [study.ask().params["cell"] for _ in range(4)]  # no tell in between: four pending trials
    assert cells == sorted(signal.scored, key=lambda c: -op_score({"cell": c}))[:4]


def test_move_proposal_keeps_only_the_signals_best_candidates(table):
    rank = 30
    study = _study(table, 9, signal=op_score, signal_rank=rank)
    everything = {c["cell"]: op_score(c) for c in SPACE.grid(5)}
    cells = _cells(study)
    for t in range(5, len(cells)):  # NB201 is small: the predictor ranks every unseen cell, after the signal's cut
        unseen = sorted((s for c, s in everything.items() if c not in cells[:t]), reverse=True)
        assert everything[cells[t]] >= unseen[rank - 1]
    free = _cells(_study(table, 9))
    assert any(everything[c] < sorted(everything.values())[-rank] for c in free[5:])  # without it, not so


def test_move_proposal_among_mutants_when_the_space_is_not_enumerated(table):
    signal = Recording()
    study = _study(table, 8, signal=signal, signal_rank=3, whole_space_limit=0)
    assert len(set(_cells(study))) == 8
    assert set(_cells(study)[5:]) <= set(signal.scored)


def test_same_seed_same_trials_and_the_state_keeps_no_callable(table):
    options = {"signal": op_score, "warmup_pool": 20, "signal_rank": 50, "batch_size": 2}
    a, b = _study(table, 9, **options), _study(table, 9, **options)
    assert _cells(a) == _cells(b)
    state = json.dumps(a.strategy_state("predictor"))
    assert "op_score" not in state and "signal" not in state
    config = a.system_attrs["strategy"]
    assert config["signal"] == {"type": "callable", "name": f"{__name__}.op_score"}
    assert config["warmup_pool"] == 20 and config["signal_rank"] == 50
    json.dumps(config)


def test_resume_needs_a_plain_callable_again_and_then_continues_as_if_never_stopped(table, tmp_path):
    options = {"signal": op_score, "warmup_pool": 20, "signal_rank": 50}
    whole = _study(table, 10, **options)
    storage = str(tmp_path / "s.db")
    _study(table, 6, storage, "zc", **options)
    with pytest.raises(StrategyError) as info:
        load_study("zc", storage)
    message = str(info.value)
    assert "\n" not in message
    assert f"the signal '{__name__}.op_score' is a Python callable" in message and "pass strategy=" in message
    resumed = load_study("zc", storage, strategy=PredictorGuidedEvolution(n_initial=5, n_mutations=20, n_random=5,
                                                                          **options))
    resumed.optimize(table, n_trials=4, show_progress=False)
    assert _cells(resumed) == _cells(whole)


def test_a_registered_signal_is_rebuilt_from_the_record(table, tmp_path):
    storage = str(tmp_path / "s.db")
    with SIGNALS.temporarily("ops", OpSignal):
        spec = {"type": "predictor", "n_initial": 5, "signal": {"type": "ops", "scale": 2.0}, "warmup_pool": 20}
        study = create_study("zc", storage, direction="maximize", seed=0, strategy=spec)
        assert isinstance(study.strategy.signal, OpSignal) and isinstance(study.strategy.signal, CheapSignal)
        study.optimize(table, SPACE, n_trials=6, show_progress=False)
        resumed = load_study("zc", storage)
        assert resumed.strategy.signal.scale == 2.0
        resumed.optimize(table, n_trials=3, show_progress=False)
        whole = create_study(direction="maximize", seed=0, strategy=spec)
        whole.optimize(table, SPACE, n_trials=9, show_progress=False)
    assert _cells(resumed) == _cells(whole)
    assert resumed.system_attrs["strategy"]["signal"] == {"type": "ops", "scale": 2.0}


@pytest.mark.parametrize("options,match", [
    ({"warmup_pool": 100}, r"predictor: warmup_pool 100 needs a signal"),
    ({"signal_rank": 10}, r"predictor: signal_rank 10 needs a signal"),
    ({"signal": op_score, "warmup_pool": -1}, r"predictor: warmup_pool must be an integer >= 0, got -1"),
    ({"signal": op_score, "signal_rank": -3}, r"predictor: signal_rank must be an integer >= 0, got -3"),
    ({"signal": op_score}, r"a signal is used only with warmup_pool > 0 or signal_rank > 0"),
    ({"signal": op_score, "warmup_pool": 5}, r"warmup_pool must be 0 \(off\) or at least n_initial \(20\), got 5"),
    ({"signal": 3, "warmup_pool": 50}, r"signal must be a callable params -> float"),
    ({"signal": {"type": "zero_cost"}, "warmup_pool": 50}, r"is a config, which only create_study"),
])
def test_bad_options(options, match):
    with pytest.raises(StrategyError, match=match):
        PredictorGuidedEvolution(**options)


@pytest.mark.parametrize("signal,match", [
    ({"type": "zero_kost"}, r"^unknown signal 'zero_kost'; known signals: zero_cost$"),
    ({"type": "zero_cost", "proxy": "nope"}, r"^signal 'zero_cost': unknown proxy 'nope'; allowed: "),
    ({"type": "zero_cost", "proxy": ["synflow", "params"]}, r"proxy must be the name of one proxy"),
])
def test_a_bad_signal_config_is_one_line(signal, match):
    with pytest.raises(StrategyError, match=match):
        create_study(strategy={"type": "predictor", "signal": signal, "warmup_pool": 50})
