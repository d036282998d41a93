"""The MLflow callback against a real MLflow tracking store (SQLite in the test's folder), read back with its client."""

from __future__ import annotations

import json

import pytest

from tests.integrations.conftest import need

need("mlflow")

from mlflow.tracking import MlflowClient  # noqa: E402

import hypernas as hn  # noqa: E402
from hypernas.integrations.mlflow import MLflowCallback  # noqa: E402

SPACE = {"lr": hn.Float(1e-4, 1e-1, log=True), "arch": hn.ChainSpace(max_layers=3)}


def objective(trial: hn.Trial) -> float:
    for epoch in (1, 2, 3):
        trial.report(epoch, 1.0 / epoch + trial.number)
        if trial.number == 1 and epoch == 2:
            raise hn.TrialPruned()
    if trial.number == 2:
        raise RuntimeError("out of memory")
    trial.set_user_attr("accuracy", 0.5 + trial.number / 10)
    trial.set_user_attr("note", "a string is not a metric")
    return trial.params["lr"]


@pytest.fixture(scope="module")
def tracking(tmp_path_factory) -> tuple[str, str]:
    """One tracking store for the module (creating one takes seconds); each test has its own experiment."""
    folder = tmp_path_factory.mktemp("mlflow")
    return f"sqlite:///{folder / 'mlflow.db'}", (folder / "artifacts").as_uri()


def runs_by_trial(client: MlflowClient, experiment: str) -> tuple[dict[int, object], list[object]]:
    found = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    trials = {int(r.data.tags["hypernas.trial_number"]): r for r in found if r.data.tags["hypernas.role"] == "trial"}
    return trials, [r for r in found if r.data.tags["hypernas.role"] == "study"]


def test_every_trial_is_a_run_under_the_study_run(tracking):
    uri, artifacts = tracking
    study = hn.create_study("mlflow-study", seed=0)
    callback = MLflowCallback(uri, artifact_location=artifacts)
    study.optimize(objective, SPACE, n_trials=4, callbacks=[callback])
    client = MlflowClient(uri)
    trials, parents = runs_by_trial(client, "mlflow-study")
    assert sorted(trials) == [0, 1, 2, 3] and len(parents) == 1
    assert {r.data.tags["mlflow.parentRunId"] for r in trials.values()} == {parents[0].info.run_id}

    complete, pruned, failed = trials[0], trials[1], trials[2]
    record = study.trials[0]
    assert complete.info.status == "FINISHED" and complete.data.tags["hypernas.state"] == "COMPLETE"
    assert complete.data.metrics["value"] == pytest.approx(record.value)
    assert complete.data.metrics["accuracy"] == pytest.approx(0.5) and "note" not in complete.data.metrics
    assert complete.data.metrics["duration"] == pytest.approx(record.duration, abs=1e-3)
    assert float(complete.data.params["lr"]) == pytest.approx(record.params["lr"], rel=1e-5)
    assert complete.data.params["arch"] == SPACE["arch"].describe(record.params["arch"])
    assert "classifier" in complete.data.params["arch"]
    curve = client.get_metric_history(complete.info.run_id, "intermediate")
    assert [(m.step, m.value) for m in curve] == [(1, 1.0), (2, 0.5), (3, pytest.approx(1 / 3))]
    kept = client.download_artifacts(complete.info.run_id, "params/arch.json")
    with open(kept) as f:
        assert json.load(f) == record.params["arch"]

    assert pruned.info.status == "KILLED" and pruned.data.tags["hypernas.state"] == "PRUNED"
    assert [m.step for m in client.get_metric_history(pruned.info.run_id, "intermediate")] == [1, 2]
    assert failed.info.status == "FAILED" and "out of memory" in failed.data.tags["hypernas.error"]
    assert "value" not in failed.data.metrics


def test_a_resumed_study_logs_under_the_same_study_run(tracking, tmp_path):
    uri, artifacts = tracking
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    hn.create_study("again", storage, seed=0).optimize(lambda t: t.params["lr"], SPACE, n_trials=1,
                                                      callbacks=[MLflowCallback(uri, "shared", artifact_location=artifacts)])
    hn.load_study("again", storage).optimize(lambda t: t.params["lr"], n_trials=2,
                                             callbacks=[MLflowCallback(uri, "shared")])
    trials, parents = runs_by_trial(MlflowClient(uri), "shared")
    assert sorted(trials) == [0, 1, 2] and len(parents) == 1


def test_named_metrics_of_a_multi_objective_study(tracking):
    uri, artifacts = tracking
    study = hn.create_study("mo", directions=["minimize", "maximize"], metrics=["loss", "acc"], seed=0)
    study.optimize(lambda t: {"loss": t.params["lr"], "acc": 1 - t.params["lr"]}, SPACE, n_trials=2,
                   callbacks=[MLflowCallback(uri, nest_trials=False, artifact_location=artifacts)])
    trials, parents = runs_by_trial(MlflowClient(uri), "mo")
    assert not parents and "mlflow.parentRunId" not in trials[0].data.tags
    assert trials[0].data.metrics["loss"] + trials[0].data.metrics["acc"] == pytest.approx(1.0)


def test_metric_names_must_match_the_values(tracking):
    uri, artifacts = tracking
    study = hn.create_study("bad-names", seed=0)
    callback = MLflowCallback(uri, metric_name=["a", "b"], artifact_location=artifacts)
    with pytest.raises(hn.ConfigError, match="metric_name gives 2 name"):
        study.optimize(lambda t: t.params["lr"], SPACE, n_trials=1, callbacks=[callback])
