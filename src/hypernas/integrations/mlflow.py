"""MLflow: every finished trial of a study logged as an MLflow run.

``study.optimize(objective, space, callbacks=[MLflowCallback(tracking_uri)])`` logs each trial as a
run nested under one parent run per study: its parameters as readable text (an architecture as its
space describes it, with its exact JSON value as an artifact), its intermediate values as a metric
curve, its final value(s) under the study's metric names, its numeric user attributes, its duration,
its state and, for a failed trial, its error.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from datetime import datetime, timezone

from hypernas.errors import ConfigError
from hypernas.integrations import param_texts, study_space
from hypernas.record import DECISIONS_ATTR, FrozenTrial, TrialState, as_finite_float
from hypernas.study import Study

try:
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient
    from mlflow.utils.validation import (
        MAX_METRICS_PER_BATCH,
        MAX_PARAM_VAL_LENGTH,
        MAX_PARAMS_TAGS_PER_BATCH,
        MAX_TAG_VAL_LENGTH,
    )
except ImportError as exc:
    from hypernas.integrations import missing_extra

    raise missing_extra("mlflow", "mlflow") from exc

INTERMEDIATE = "intermediate"
"""The metric holding a trial's intermediate values, one per reported step."""
DURATION = "duration"
"""The metric holding a trial's duration in seconds."""
STUDY_TAG = "hypernas.study"
ROLE_TAG = "hypernas.role"  # "study" on the parent run, "trial" on a trial's run
_STATUS = {TrialState.COMPLETE: "FINISHED", TrialState.PRUNED: "KILLED", TrialState.FAILED: "FAILED"}
_NOT_A_KEY = re.compile(r"[^\w\-. :/]")  # MLflow keys allow letters, digits, _ - . space : /


class MLflowCallback:
    """A study callback that logs each finished trial as an MLflow run.

    ``tracking_uri`` is where (e.g. ``"sqlite:///mlflow.db"``; None: MLflow's default, ``MLFLOW_TRACKING_URI``);
    ``experiment`` the MLflow experiment (created if missing; None: one named after the study), with
    ``artifact_location`` for a new one; ``metric_name`` names the final values (None: the study's metric
    names, ``"value"`` for one unnamed objective). With ``nest_trials`` each trial's run is a child of one run
    per study. Safe to call from the workers of a threaded run.
    """

    def __init__(self, tracking_uri: str | None = None, experiment: str | None = None,
                 metric_name: str | Sequence[str] | None = None, *, nest_trials: bool = True,
                 artifact_location: str | None = None) -> None:
        if metric_name is not None and ((isinstance(metric_name, str) and not metric_name)
                                        or not isinstance(metric_name, (str, Sequence))):
            raise ConfigError(f"MLflowCallback: metric_name must be a name or a list of names, got {metric_name!r}")
        self.client = MlflowClient(tracking_uri)
        self.experiment = experiment
        self.metric_name = metric_name
        self.nest_trials = nest_trials
        self.artifact_location = artifact_location
        self._lock = threading.Lock()
        self._parents: dict[str, str] = {}  # study name -> its parent run id
        self._experiments: dict[str, str] = {}  # experiment name -> id

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        with self._lock:
            experiment_id = self._experiment_id(self.experiment or study.name)
            parent = self._parent_run(study, experiment_id) if self.nest_trials else None
        tags = {STUDY_TAG: study.name, ROLE_TAG: "trial", "hypernas.trial_number": str(trial.number),
                "hypernas.state": trial.state.value, **({"mlflow.parentRunId": parent} if parent else {})}
        decisions = trial.system_attrs.get(DECISIONS_ATTR) or {}
        tags.update({f"hypernas.{_key(k)}": json.dumps(v) for k, v in decisions.items()})
        if trial.error:
            tags["hypernas.error"] = trial.error
        run = self.client.create_run(experiment_id, start_time=_millis(trial.datetime_start), run_name=f"trial {trial.number}",
                                     tags={k: v[:MAX_TAG_VAL_LENGTH] for k, v in tags.items()})
        run_id = run.info.run_id
        end = _millis(trial.datetime_complete) or _millis(trial.datetime_start) or 0
        params = [Param(_key(name), text[:MAX_PARAM_VAL_LENGTH]) for name, text in param_texts(study_space(study), trial).items()]
        metrics = [Metric(INTERMEDIATE, value, end, step) for step, value in sorted(trial.intermediate.items())]
        metrics += [Metric(_key(name), value, end, 0) for name, value in self._values(study, trial).items()]
        names = {m.key for m in metrics}
        for name, attr in trial.user_attrs.items():
            number = as_finite_float(attr)
            if number is not None and _key(name) not in names:
                metrics.append(Metric(_key(name), number, end, 0))
        if trial.duration is not None:
            metrics.append(Metric(DURATION, trial.duration, end, 0))
        for i in range(0, len(params), MAX_PARAMS_TAGS_PER_BATCH):
            self.client.log_batch(run_id, params=params[i:i + MAX_PARAMS_TAGS_PER_BATCH])
        for i in range(0, len(metrics), MAX_METRICS_PER_BATCH):
            self.client.log_batch(run_id, metrics=metrics[i:i + MAX_METRICS_PER_BATCH])
        for name, value in trial.params.items():
            if isinstance(value, (list, dict)):  # an architecture: its exact value, to rebuild it
                self.client.log_text(run_id, json.dumps(value), f"params/{_key(name)}.json")
        self.client.set_terminated(run_id, _STATUS.get(trial.state, "FINISHED"), end_time=end or None)
        if parent:
            self.client.set_terminated(parent, "FINISHED", end_time=end or None)

    def _values(self, study: Study, trial: FrozenTrial) -> dict[str, float]:
        if trial.values is None:
            return {}
        names = study.value_names() if self.metric_name is None else (
            [self.metric_name] if isinstance(self.metric_name, str) else list(self.metric_name))
        if len(names) != len(trial.values):
            raise ConfigError(f"MLflowCallback: metric_name gives {len(names)} name(s) but study {study.name!r} has "
                              f"{len(trial.values)} objective value(s)")
        return dict(zip(names, trial.values))

    def _experiment_id(self, name: str) -> str:
        if name not in self._experiments:
            found = self.client.get_experiment_by_name(name)
            self._experiments[name] = found.experiment_id if found is not None else self.client.create_experiment(
                name, artifact_location=self.artifact_location)
        return self._experiments[name]

    def _parent_run(self, study: Study, experiment_id: str) -> str:
        """The run of ``study`` in the experiment: found (a resumed study) or created."""
        if study.name not in self._parents:
            runs = self.client.search_runs([experiment_id], filter_string=f"tags.`{ROLE_TAG}` = 'study'")
            mine = [r for r in runs if r.data.tags.get(STUDY_TAG) == study.name]
            if mine:
                self._parents[study.name] = mine[0].info.run_id
            else:
                tags = {STUDY_TAG: study.name, ROLE_TAG: "study",
                        "hypernas.directions": ",".join(d.value for d in study.directions),
                        "hypernas.strategy": study.strategy.name[:MAX_TAG_VAL_LENGTH]}
                run = self.client.create_run(experiment_id, run_name=study.name, tags=tags)
                self._parents[study.name] = run.info.run_id
        return self._parents[study.name]


def _key(name: str) -> str:
    """``name`` as an MLflow key (characters MLflow refuses become ``_``)."""
    return _NOT_A_KEY.sub("_", str(name)) or "_"


def _millis(moment: datetime | None) -> int | None:
    """A record's time (naive UTC) in milliseconds since the epoch, as MLflow keeps times."""
    return None if moment is None else int(moment.replace(tzinfo=timezone.utc).timestamp() * 1000)
