"""What an error does: a user mistake is one line and exit code 2, a bug shows its traceback and exits 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hypernas.errors import InternalError, NoCompleteTrialError, StrategyError, WorkerCrashedError
from hypernas.record import FrozenTrial
from hypernas.strategy import STRATEGIES, RandomSearch, Strategy, StudyView
from tests.cli.cli_cases import CONFIG, run_cli


@pytest.mark.parametrize("config, message", [
    ("space: {lr: {type: float, low: 1, high: 0}}\nobjective: cli_objectives:bowl\n", "low 1 is greater than high 0"),
    ("space: {lr: {type: flot, low: 0, high: 1}}\nobjective: cli_objectives:bowl\n", "unknown type 'flot'"),
    ("space: {lr: [1, 2]}\nobjective: cli_objectives:bowl\nn_trails: 3\n", "unknown key 'n_trails'"),
    ("space: {lr: [1, 2]}\nobjective: cli_objectives:bowl\nstrategy: rando\n", "unknown strategy 'rando'"),
    ("space: {lr: [1, 2]}\nobjective: cli_objectives:nothere\n", "has no attribute 'nothere'"),
    ("space: {lr: [1, 2]}\nobjective: no_such_module:f\n", "cannot import module 'no_such_module'"),
    ("space: {lr: [1, 2]}\n", "missing required key 'objective'"),
    ("space: {lr: [1, 2]}\nobjective: cli_objectives:bowl\nn_trials: -3\n", "n_trials"),
    ("space: {a: {type: int, low: 0, high: 3, when: {b: 1}}}\nobjective: cli_objectives:bowl\n", "not in the space"),
    ("space: [unclosed\n", "not valid YAML"),
    ("space: {lr: [1, 2]}\nobjective: cli_objectives:bowl\npruner: {type: nope}\n", "unknown pruner 'nope'"),
])
def test_bad_configs_are_one_line_errors(workdir: Path, config: str, message: str) -> None:
    Path("bad.yaml").write_text(config)
    code, _, err = run_cli("run", "bad.yaml", "--storage", "s.db")
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and err.startswith("hypernas: error:")
    assert "Traceback" not in err


def test_usage_errors_are_one_line(workdir: Path) -> None:
    for args in (["run"], ["show"], ["export", "x", "--format", "xml"], ["frobnicate"]):
        code, _, err = run_cli(*args)
        assert code == 2
        assert err.count("\n") == 1 and "hypernas: error:" in err


def test_missing_config_file(workdir: Path) -> None:
    code, _, err = run_cli("run", "nope.yaml")
    assert code == 2 and "does not exist" in err


def _strategy_raising(error: Exception, *, in_tell: bool = False) -> type[Strategy]:
    class Raising(RandomSearch):
        name = "raising"

        def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
            if not in_tell:
                raise error
            return super().ask(study, trial)

        def tell(self, study: StudyView, trial: FrozenTrial) -> None:
            raise error

    return Raising


def _run_with_strategy(strategy: type[Strategy]) -> tuple[int, str, str]:
    Path("raising.yaml").write_text(CONFIG.replace("strategy: random", "strategy: raising"))
    with STRATEGIES.temporarily("raising", strategy):
        return run_cli("run", "raising.yaml", "--storage", "s.db", "--quiet")


@pytest.mark.parametrize("error", [RuntimeError("proposal bug"), InternalError("bookkeeping bug"),
                                   WorkerCrashedError("worker 2 died")], ids=lambda e: type(e).__name__)
def test_a_bug_shows_its_traceback_and_exits_1(workdir: Path, error: Exception) -> None:
    code, _, err = _run_with_strategy(_strategy_raising(error))
    assert code == 1
    assert err.startswith("Traceback (most recent call last):")
    assert err.rstrip().endswith(f"{type(error).__name__}: {error}")
    assert "hypernas: error:" not in err


@pytest.mark.parametrize("error", [NoCompleteTrialError("study 'raising' has no complete trial yet"),
                                   StrategyError("tpe: gamma must be a number in (0, 1], got 2")],
                         ids=lambda e: type(e).__name__)
def test_a_state_or_mistake_the_user_can_act_on_is_one_line(workdir: Path, error: Exception) -> None:
    code, _, err = _run_with_strategy(_strategy_raising(error))
    assert code == 2
    assert err == f"hypernas: error: {error}\n"


def test_a_strategy_crashing_in_tell_is_a_bug(workdir: Path) -> None:
    code, _, err = _run_with_strategy(_strategy_raising(RuntimeError("tell bug"), in_tell=True))
    assert code == 1
    assert err.startswith("Traceback (most recent call last):") and "RuntimeError: tell bug" in err


@pytest.mark.parametrize("args", [["--help"], ["studies", "--help"], ["bench", "nas", "--help"], ["report", "--help"],
                                  ["dashboard", "--help"]], ids=" ".join)
def test_help_imports_no_heavy_library(args: list[str]) -> None:
    # scipy is not checked: `import hypernas` loads it (through the Gaussian-process strategy)
    heavy = ["matplotlib", "optuna", "pandas", "plotly", "pydantic", "starlette", "torch", "uvicorn"]
    script = (f"import sys\nfrom hypernas.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
              f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage: hypernas" in result.stdout
    assert result.stdout.splitlines()[-1] == "[]"
