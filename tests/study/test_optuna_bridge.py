"""Copying studies between Optuna and hypernas: import, export, the round trip, resuming, optuna-dashboard."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)

import hypernas as hn  # noqa: E402
from hypernas import (  # noqa: E402
    ConfigError,
    DuplicateStudyError,
    StorageError,
    StudyNotFoundError,
    TrialState,
    export_to_optuna,
    import_optuna_study,
)
from hypernas.study.optuna_bridge import IMPORT_ATTR  # noqa: E402


def objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 9, step=2)
    units = trial.suggest_int("units", 8, 256, log=True)
    opt = trial.suggest_categorical("opt", ["sgd", "adam", None])
    if opt == "sgd":
        trial.suggest_float("momentum", 0.0, 0.9, step=0.1)
    trial.set_user_attr("tag", f"t{trial.number}")
    for step in range(3):
        trial.report(x * x + step + lr, step)
        if trial.number % 5 == 4 and step == 1:
            raise optuna.TrialPruned()
    if trial.number == 7:
        raise ValueError("diverged")
    return x * x + layers + units / 100


def multi(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    kind = trial.suggest_categorical("kind", [1, 2.5, "c"])
    return x, (1 - x) ** 2 + (kind == "c")


@pytest.fixture(scope="module")
def optuna_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An Optuna study 'o' (14 trials: complete, pruned, one failed) and a multi-objective study 'mo'; only read."""
    url = f"sqlite:///{tmp_path_factory.mktemp('optuna') / 'optuna.db'}"
    study = optuna.create_study(study_name="o", storage=url, sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=5))
    study.set_user_attr("owner", "me")
    for _ in range(3):
        study.enqueue_trial({"opt": "sgd"})
    study.optimize(objective, n_trials=14, catch=(ValueError,))
    mo = optuna.create_study(study_name="mo", storage=url, directions=["minimize", "minimize"],
                             sampler=optuna.samplers.TPESampler(seed=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        mo.set_metric_names(["loss", "cost"])
    mo.optimize(multi, n_trials=8)
    return url


def same_trials(a: list, b: list) -> None:
    assert len(a) == len(b)
    for s, t in zip(a, b):
        assert (s.number, s.state, s.params, s.values, s.intermediate_values) == \
            (t.number, t.state, t.params, t.values, t.intermediate_values)
        assert s.distributions == t.distributions
        assert s.user_attrs == t.user_attrs
        assert (s.datetime_start, s.datetime_complete) == (t.datetime_start, t.datetime_complete)
        assert s.system_attrs.get("fail_reason") == t.system_attrs.get("fail_reason")


def test_import_copies_the_trials_and_infers_the_space(optuna_url: str, tmp_path: Path) -> None:
    source = optuna.load_study(study_name="o", storage=optuna_url)
    study = import_optuna_study(optuna_url, "o", str(tmp_path / "hn.db"), name="copy")
    assert study.name == "copy" and [d.value for d in study.directions] == ["minimize"]
    assert study.user_attrs == {"owner": "me"}
    space = study.space
    assert space.to_config()["lr"] == {"type": "float", "low": 1e-5, "high": 0.1, "log": True}
    assert space.to_config()["layers"] == {"type": "int", "low": 1, "high": 9, "step": 2}
    assert space.to_config()["units"] == {"type": "int", "low": 8, "high": 256, "log": True}
    assert space["opt"].choices == ["sgd", "adam", None]
    assert space["momentum"].when == {"opt": ["sgd"]}  # suggested only under an if: conditional
    trials = study.trials
    states = {t.number: t.state for t in trials}
    assert states[7] is TrialState.FAILED and states[4] is TrialState.PRUNED and states[0] is TrialState.COMPLETE
    for s, t in zip(source.trials, trials):
        assert t.number == s.number and t.params == s.params and t.intermediate == s.intermediate_values
        assert t.values == s.values and t.user_attrs == s.user_attrs
        assert t.duration == pytest.approx((s.datetime_complete - s.datetime_start).total_seconds())
    assert study.best_trial.number == source.best_trial.number
    assert study.system_attrs[IMPORT_ATTR]["params_left_out"] == []


def test_optuna_to_hypernas_to_optuna_keeps_everything(optuna_url: str, tmp_path: Path) -> None:
    back = f"sqlite:///{tmp_path / 'back.db'}"
    for name in ("o", "mo"):
        study = import_optuna_study(optuna_url, name, str(tmp_path / "hn.db"))
        exported = export_to_optuna(study, back)
        source = optuna.load_study(study_name=name, storage=optuna_url)
        again = optuna.load_study(study_name=name, storage=back)
        same_trials(source.trials, again.trials)
        assert again.directions == source.directions and again.metric_names == source.metric_names
        assert exported.study_name == name
    assert hn.load_study("mo", str(tmp_path / "hn.db")).metric_names == ["loss", "cost"]


@pytest.mark.parametrize("strategy", ["tpe", "random", "evolution"])
def test_an_imported_study_resumes_with_hypernas_strategies(optuna_url: str, tmp_path: Path, strategy: str) -> None:
    study = import_optuna_study(optuna_url, "o", str(tmp_path / "hn.db"), strategy=strategy, seed=0)
    seen = []

    def hn_objective(trial):
        p = trial.params
        seen.append(p)
        assert ("momentum" in p) == (p["opt"] == "sgd")
        return p["x"] ** 2 + p["layers"] + p["units"] / 100

    study.optimize(hn_objective, n_trials=4)
    resumed = hn.load_study("o", str(tmp_path / "hn.db"))
    assert len(resumed.trials) == 18 and [t.number for t in resumed.trials[-4:]] == [14, 15, 16, 17]
    assert len(seen) == 4


def test_gp_continues_an_imported_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"

    def flat(trial):
        return trial.suggest_float("x", -1, 1) ** 2 + trial.suggest_int("n", 0, 4) + (trial.suggest_categorical("c", ["a", "b"]) == "b")

    optuna.create_study(study_name="s", storage=url, sampler=optuna.samplers.RandomSampler(seed=0)).optimize(flat, n_trials=12)
    study = import_optuna_study(url, "s", str(tmp_path / "hn.db"), strategy={"type": "gp", "n_startup_trials": 10}, seed=0)
    study.optimize(lambda t: t.params["x"] ** 2 + t.params["n"] + (t.params["c"] == "b"), n_trials=2)
    assert [t.state for t in study.trials[12:]] == [TrialState.COMPLETE] * 2


def test_a_loop_over_an_int_parameter_makes_conditions_on_its_range(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"

    def layered(trial):
        n = trial.suggest_int("n_layers", 1, 6)
        return sum(trial.suggest_int(f"units_{i}", 4, 64, log=True) for i in range(n))

    source = optuna.create_study(study_name="s", storage=url, sampler=optuna.samplers.RandomSampler(seed=1))
    for n in (1, 2, 4):
        source.enqueue_trial({"n_layers": n})
    source.optimize(layered, n_trials=10)
    study = import_optuna_study(url, "s", str(tmp_path / "hn.db"), strategy="tpe", seed=0)
    seen = sorted({t.params["n_layers"] for t in source.trials})
    assert study.space["units_1"].when == {"n_layers": [v for v in range(2, 7)]}
    assert study.space["units_3"].when == {"n_layers": [v for v in range(4, 7)]}
    assert seen[0] == 1
    study.optimize(lambda t: sum(t.params[f"units_{i}"] for i in range(t.params["n_layers"])), n_trials=3)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_running_and_waiting_optuna_trials(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    source = optuna.create_study(study_name="s", storage=url)
    source.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    source.ask({"x": optuna.distributions.FloatDistribution(0, 1)})  # left RUNNING
    source.enqueue_trial({"x": 0.25})
    study = import_optuna_study(url, "s", str(tmp_path / "hn.db"))
    running, waiting = study.trials[2], study.trials[3]
    assert running.state is TrialState.FAILED and "was RUNNING" in running.error
    assert waiting.state is TrialState.WAITING
    study.optimize(lambda t: t.params["x"], n_trials=1)
    assert study.trials[3].params == {"x": 0.25} and study.trials[3].state is TrialState.COMPLETE


def test_a_parameter_no_parent_explains_is_left_out_but_kept_in_the_trials(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"

    def by_threshold(trial):
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1) if x > 0.5 else 0.0  # depends on a continuous value
        return x + y

    source = optuna.create_study(study_name="s", storage=url, sampler=optuna.samplers.RandomSampler(seed=3))
    source.optimize(by_threshold, n_trials=10)
    study = import_optuna_study(url, "s", str(tmp_path / "hn.db"), strategy="tpe")
    assert list(study.space) == ["x"] and study.system_attrs[IMPORT_ATTR]["params_left_out"] == ["y"]
    assert [t.params for t in study.trials] == [t.params for t in source.trials]
    study.optimize(lambda t: t.params["x"], n_trials=2)
    assert len(study.trials) == 12


def nas_study(tmp_path: Path) -> hn.Study:
    space = hn.Space(cell=hn.NB201Cell(), chain=hn.ChainSpace(input_size=8, max_layers=3, filters=[4, 8], kernels=[3],
                                                              units=[16], max_dense=1),
                     lr=hn.Float(1e-3, 1e-1, log=True), act=hn.Categorical([[1, 2], "relu"]), seed=hn.Fixed(7))
    study = hn.create_study("nas", str(tmp_path / "hn.db"), strategy={"type": "evolution", "population_size": 3,
                                                                "sample_size": 2}, seed=0, space=space)

    def score(trial):
        trial.report(0, 0.5)
        trial.set_user_attr("genotype", str(trial.params["cell"]))
        return len(json.dumps(trial.params["cell"])) * trial.params["lr"]

    study.optimize(score, n_trials=6)
    return study


def dashboard_get(url: str, path: str) -> tuple[str, dict]:
    from optuna_dashboard import wsgi

    app = wsgi(url)
    environ: dict = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    status = []
    body = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
    return status[0], json.loads(body)


def test_a_nas_study_exports_for_optuna_and_its_dashboard(tmp_path: Path) -> None:
    study = nas_study(tmp_path)
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    export_to_optuna("nas", url, storage=str(tmp_path / "hn.db"))
    loaded = optuna.load_study(study_name="nas", storage=url)
    assert len(loaded.trials) == 6
    for hn_trial, o_trial in zip(study.trials, loaded.trials):
        assert o_trial.params["cell"] == hn_trial.params["cell"]  # NB201's genotype is text already
        assert json.loads(o_trial.params["chain"]) == hn_trial.params["chain"]
        act = hn_trial.params["act"]
        assert o_trial.params["act"] == (act if act == "relu" else json.dumps(act, separators=(",", ":")))
        assert o_trial.params["cell"] in o_trial.distributions["cell"].choices
        assert o_trial.params["lr"] == hn_trial.params["lr"] and o_trial.values == hn_trial.values
        assert o_trial.intermediate_values == hn_trial.intermediate
    parents = [t.user_attrs.get("hypernas:parent") for t in loaded.trials]
    assert any(p is not None for p in parents)  # evolution's decisions show as user attributes
    status, studies = dashboard_get(url, "/api/studies")
    summaries = studies["study_summaries"]
    assert status.startswith("200") and [s["study_name"] for s in summaries] == ["nas"]
    status, detail = dashboard_get(url, f"/api/studies/{summaries[0]['study_id']}")
    assert status.startswith("200") and len(detail["trials"]) == 6

    back = import_optuna_study(url, "nas", str(tmp_path / "hn.db"), name="nas-again")
    assert back.space == study.space
    for a, b in zip(study.trials, back.trials):
        assert (a.params, a.values, a.state, a.intermediate, a.user_attrs) == (b.params, b.values, b.state, b.intermediate, b.user_attrs)
        assert a.system_attrs == b.system_attrs and a.datetime_start == b.datetime_start
    back.optimize(lambda t: t.params["lr"], n_trials=2)


def test_bad_input_is_one_clear_error(optuna_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hn_db = str(tmp_path / "hn.db")
    with pytest.raises(StudyNotFoundError, match=r"no Optuna study named 'nope'.*known: 'o', 'mo'"):
        import_optuna_study(optuna_url, "nope", hn_db)
    with pytest.raises(StorageError, match="no such file"):
        import_optuna_study(f"sqlite:///{tmp_path / 'missing.db'}", "o", hn_db)
    with pytest.raises(ConfigError, match="unknown database kind 'nosuchdb'"):
        import_optuna_study("nosuchdb://host/db", "o", hn_db)
    import_optuna_study(optuna_url, "o", hn_db)
    with pytest.raises(DuplicateStudyError, match="'o' already exists"):
        import_optuna_study(optuna_url, "o", hn_db)
    with pytest.raises(DuplicateStudyError, match="an Optuna study named 'o' already exists"):
        export_to_optuna("o", optuna_url, storage=hn_db)
    with pytest.raises(StudyNotFoundError):
        export_to_optuna("nope", optuna_url, storage=hn_db)
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(ConfigError, match=r'pip install "hypernas\[optuna\]"'):
        import_optuna_study(optuna_url, "o", hn_db, name="other")


def test_a_range_widened_between_runs_is_merged(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    source = optuna.create_study(study_name="s", storage=url)
    dist = optuna.distributions
    for x, high in ((0.5, 1.0), (1.5, 2.0)):
        source.add_trial(optuna.trial.create_trial(params={"x": x}, distributions={"x": dist.FloatDistribution(0, high)},
                                                   value=x))
    study = import_optuna_study(url, "s", str(tmp_path / "hn.db"))
    assert study.space.to_config() == {"x": {"type": "float", "low": 0.0, "high": 2.0}}
