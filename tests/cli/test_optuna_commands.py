"""``hypernas import-optuna`` and ``hypernas export-optuna``: one line with counts, or one line saying what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from hypernas import load_study
from tests.cli.cli_cases import run_cli

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.ERROR)


def objective(trial):
    x = trial.suggest_float("x", -2.0, 2.0)
    trial.report(x, 0)
    if trial.number == 3:
        raise optuna.TrialPruned()
    return x * x + trial.suggest_int("n", 1, 3)


@pytest.fixture
def optuna_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    optuna.create_study(study_name="o", storage=url, sampler=optuna.samplers.RandomSampler(seed=0)).optimize(objective, n_trials=5)
    return url


def test_import_then_export(optuna_url: str, tmp_path: Path) -> None:
    code, out, err = run_cli("import-optuna", optuna_url, "--study", "o", "--storage", "hn.db", "--name", "mine",
                             "--strategy", "tpe")
    assert (code, err) == (0, "")
    assert out.startswith("imported 5 trial(s) (4 COMPLETE, 1 PRUNED) from Optuna study 'o' into hypernas study 'mine' in ")
    assert out.count("\n") == 1
    assert load_study("mine", "hn.db").strategy.to_config()["type"] == "tpe"

    back = f"sqlite:///{tmp_path / 'back.db'}"
    code, out, err = run_cli("export-optuna", "mine", "--storage", "hn.db", "--to", back)
    assert (code, err) == (0, "")
    assert out == f"exported 5 trial(s) (4 COMPLETE, 1 PRUNED) of hypernas study 'mine' to Optuna study 'mine' in {back}\n"
    code, out, _ = run_cli("export-optuna", "mine", "--storage", "hn.db", "--to", back, "--name", "again")
    assert code == 0 and "Optuna study 'again'" in out
    assert [t.params for t in optuna.load_study(study_name="again", storage=back).trials] == \
        [t.params for t in optuna.load_study(study_name="o", storage=optuna_url).trials]


@pytest.mark.parametrize(("args", "message"), [
    (["import-optuna", "{url}", "--study", "nope", "--storage", "hn.db"], "no Optuna study named 'nope' in {url}; known: 'o'"),
    (["import-optuna", "sqlite:///missing.db", "--study", "o", "--storage", "hn.db"], "no such file"),
    (["import-optuna", "hn.db", "--study", "o", "--storage", "hn.db"], "holds no Optuna record (no table 'studies')"),
    (["import-optuna", "nosuchdb://h/db", "--study", "o", "--storage", "hn.db"], "unknown database kind 'nosuchdb'"),
    (["import-optuna", "{url}", "--study", "o", "--storage", "hn.db", "--name", "taken"], "'taken' already exists"),
    (["export-optuna", "nope", "--storage", "hn.db", "--to", "{url}"], "no study named 'nope'"),
    (["export-optuna", "taken", "--storage", "hn.db", "--to", "{url}", "--name", "o"], "an Optuna study named 'o' already exists"),
    (["export-optuna", "taken", "--storage", "hn.db", "--to", "nosuchdb://h/db"], "unknown database kind 'nosuchdb'"),
])
def test_bad_input_is_one_line_and_exit_2(optuna_url: str, args: list[str], message: str) -> None:
    assert run_cli("import-optuna", optuna_url, "--study", "o", "--storage", "hn.db", "--name", "taken")[0] == 0
    code, out, err = run_cli(*(a.format(url=optuna_url) for a in args))
    assert code == 2 and out == ""
    assert err.startswith("hypernas: error: ") and err.count("\n") == 1 and message.format(url=optuna_url) in err
