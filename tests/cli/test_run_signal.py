"""``hypernas run`` with a predictor whose cheap signal is a zero-cost proxy given by its config: the study builds
the signal, records it by its config and rebuilds it on ``hypernas resume``."""

from __future__ import annotations

import textwrap
from pathlib import Path

from hypernas import create_study, load_study
from hypernas.estimate.proxies import ProxySignal
from hypernas.estimate.tabular import NB201Benchmark
from hypernas.space import NB201Cell, Space
from hypernas.strategy import PredictorGuidedEvolution
from tests.cli.bench.nb201_table import NB201_TABLE, needs_table
from tests.cli.cli_cases import run_cli

SIGNAL = {"type": "zero_cost", "proxy": "params", "dataset": None, "input_shape": [3, 8, 8],
          "model_options": {"channels": 4, "cells": 1}}


@needs_table
def test_run_warms_the_predictor_up_with_a_zero_cost_proxy_and_resume_rebuilds_it(workdir: Path) -> None:
    (workdir / "zc.yaml").write_text(textwrap.dedent(f"""
        space:
          cell: {{type: nb201}}
        objective: {{type: nb201, data: {str(NB201_TABLE)!r}}}
        strategy:
          type: predictor
          n_initial: 3
          warmup_pool: 8
          n_mutations: 10
          n_random: 2
          whole_space_limit: 0
          signal: {{type: zero_cost, proxy: params, dataset: null, input_shape: [3, 8, 8],
                   model_options: {{channels: 4, cells: 1}}}}
        direction: maximize
        n_trials: 4
        seed: 0
    """))
    code, _, err = run_cli("run", "zc.yaml", "--storage", "s.db", "--quiet")
    assert code == 0, err
    study = load_study("zc", "s.db")
    assert isinstance(study.strategy.signal, ProxySignal)
    stored = study.system_attrs["strategy"]["signal"]
    assert {k: stored[k] for k in SIGNAL} == SIGNAL and stored["seed"] == 0
    scored: list[str] = []
    proxy = ProxySignal(**{k: v for k, v in SIGNAL.items() if k != "type"})

    def recording(params):
        scored.append(params["cell"])
        return proxy(params)

    same = create_study(direction="maximize", seed=0, strategy=PredictorGuidedEvolution(
        n_initial=3, warmup_pool=8, n_mutations=10, n_random=2, whole_space_limit=0, signal=recording))
    same.optimize(NB201Benchmark(NB201_TABLE), Space({"cell": NB201Cell()}), n_trials=4, show_progress=False)
    cells = [t.params["cell"] for t in study.trials]
    assert cells == [t.params["cell"] for t in same.trials]
    pool = sorted(set(scored[:8]), key=lambda c: -proxy({"cell": c}))  # the pool: the first 8 cells scored
    assert [proxy({"cell": c}) for c in cells[:3]] == [proxy({"cell": c}) for c in pool[:3]]
    code, _, err = run_cli("resume", "zc", "--storage", "s.db", "--n-trials", "1", "--quiet")
    assert code == 0, err
    assert len(load_study("zc", "s.db").trials) == 5


def test_a_bad_signal_in_a_run_config_is_one_line_and_exit_2(workdir: Path) -> None:
    (workdir / "bad.yaml").write_text(textwrap.dedent("""
        space:
          cell: {type: nb201}
        objective: {type: zero_cost, proxy: params}
        strategy: {type: predictor, warmup_pool: 50, signal: {type: zero_cost, proxy: synflw}}
    """))
    code, _, err = run_cli("run", "bad.yaml", "--storage", "s.db")
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "bad.yaml: signal 'zero_cost': unknown proxy 'synflw'" in err
