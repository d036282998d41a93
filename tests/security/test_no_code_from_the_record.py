"""Nothing read from a study's storage is unpickled, imported or executed.

A study file is data: a record whose stored strategy state, strategy name or run config names code
(a pickle, a ``module:function``, a module path) runs none of it when it is read or continued.
"""

from __future__ import annotations

import base64
import pickle
import re
from pathlib import Path

import pytest

import hypernas as hn
from hypernas.strategy import STRATEGIES
from tests.cli.cli_cases import run_cli

SRC = Path(hn.__file__).parent


class _Marker:
    """Unpickling this writes a file: proof that something unpickled the record."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (Path.write_text, (Path(self.path), "unpickled"))  # type: ignore[return-value]


def test_the_package_unpickles_imports_and_evaluates_nothing_it_reads() -> None:
    """The only unpickling is the process executor's payload from its own parent; checkpoints load weights
    only; YAML is read with the safe loader; there is no eval or exec."""
    found: list[str] = []
    for path in SRC.rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            where = f"{path.relative_to(SRC)}:{n}: {line.strip()}"
            if re.search(r"\bpickle\.loads?\(", code) and path.name != "process.py":
                found.append(where)
            if re.search(r"\btorch\.load\(", code) and "weights_only=True" not in code:
                found.append(where)
            if re.search(r"\byaml\.(load|unsafe_load|full_load)\(", code) and "Loader=YamlLoader" not in code:
                found.append(where)
            if re.search(r"(?<![\w.])(eval|exec|__import__)\(", code):
                found.append(where)
    assert found == []


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_a_pickle_in_the_stored_strategy_state_is_never_unpickled(strategy: str, tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    payload = pickle.dumps(_Marker(str(marker)))
    db = str(tmp_path / "s.db")
    space = hn.Space(x=hn.Float(0, 1), n=hn.Int(1, 4))
    try:
        hn.make_strategy(strategy).check_space(space)
    except hn.StrategyError:  # a strategy that needs an architecture (morphisms)
        space = hn.Space(x=hn.NB201Cell())
    study = hn.create_study("s", db, strategy=strategy, seed=0, space=space)
    study.optimize(lambda t: float(len(str(t.params["x"]))), n_trials=2)
    key = study.strategy.state_key or strategy
    for value in (base64.b64encode(payload).decode(), payload.decode("latin-1"),
                  {"py/object": "os.system", "pickle": base64.b64encode(payload).decode()}):
        study.storage.set_study_attr(study.study_id, f"strategy_state:{key}", value, system=True)
        try:
            again = hn.load_study("s", db)
            again.optimize(lambda t: float(len(str(t.params["x"]))), n_trials=1)
        except hn.HypernasError:
            pass  # refusing the malformed state in one line is fine; running its code is not
        assert not marker.exists()


def test_a_stored_strategy_that_names_code_is_not_imported(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    study = hn.create_study("s", db, space=hn.Space(x=hn.Float(0, 1)))
    for spec in ("os:system", "subprocess.Popen", {"type": "os:system"}, {"type": "builtins:eval"}):
        study.set_system_attr("strategy", spec)
        with pytest.raises(hn.StrategyError, match="cannot be rebuilt"):
            hn.load_study("s", db)


def test_reading_a_study_imports_no_stored_objective(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """studies, show, best, export and a resume without trust never import the stored module:function."""
    code_dir = tmp_path / "elsewhere"
    code_dir.mkdir()
    marker = tmp_path / "imported.txt"
    (code_dir / "evil_objective.py").write_text(f"open({str(marker)!r}, 'w').write('imported')\n"
                                                "def f(trial):\n    return trial.params['x']\n")
    (code_dir / "run.yaml").write_text("space: {x: {type: float, low: 0, high: 1}}\nobjective: evil_objective:f\n"
                                       "n_trials: 2\nseed: 0\n")
    db = str(tmp_path / "shared.db")
    monkeypatch.chdir(code_dir)
    assert run_cli("run", "run.yaml", "--storage", db, "--quiet")[0] == 0
    marker.unlink()  # the owner ran it; now a colleague reads the file somewhere else
    import sys
    sys.modules.pop("evil_objective", None)
    monkeypatch.syspath_prepend(str(tmp_path))  # nothing on the path holds the module
    sys.path[:] = [p for p in sys.path if p != str(code_dir)]
    reader = tmp_path / "reader"
    reader.mkdir()
    monkeypatch.chdir(reader)
    for argv in (["studies"], ["show", "run"], ["best", "run"], ["export", "run"], ["resume", "run"]):
        run_cli(*argv, "--storage", db)
        assert not marker.exists(), argv


def test_kept_networks_are_read_as_data(tmp_path: Path) -> None:
    """A study file whose kept network is a pickle, or whose manifest names other code, exports nothing and runs
    nothing: one clear line."""
    from hypernas.errors import ConfigError
    from hypernas.estimate.train import TrainingObjective
    from hypernas.estimate.train.trial_weights import MODEL, WEIGHTS

    study = hn.create_study("kept", str(tmp_path / "s.db"), direction="maximize")
    objective = TrainingObjective("digits", "mlp", epochs=1, train_size=100, val_size=30, test_size=30,
                                  measure_latency=False)
    study.optimize(objective, {"width": hn.Fixed(8)}, n_trials=1, show_progress=False)
    marker = tmp_path / "marker"
    study.set_trial_artifact(0, WEIGHTS, pickle.dumps(_Marker(str(marker))))
    with pytest.raises(ConfigError, match="model weights: not a safetensors file"):
        hn.export_trial(study, tmp_path / "out")
    manifest = study.trial_artifact(0, MODEL).decode().replace("hypernas.estimate.models:build_model", "os:system")
    study.set_trial_artifact(0, MODEL, manifest.encode())
    with pytest.raises(ConfigError, match="builder must be 'hypernas.estimate.models:build_model' .no other code"):
        hn.export_trial(study, tmp_path / "out")
    assert not marker.exists()
