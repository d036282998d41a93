"""``HypernasSearchCV``: a hypernas study behind scikit-learn's search interface.

It is an estimator like ``GridSearchCV`` and ``RandomizedSearchCV``: ``fit(X, y)`` runs a study whose
trials cross-validate one configuration each, then ``best_params_``, ``best_score_``, ``cv_results_``
and (with ``refit``) ``best_estimator_`` with ``predict`` / ``score`` delegating to it. Estimators with
``partial_fit`` can be trained incrementally (``max_iter`` steps), reporting the mean cross-validated
score after each step so that the study's pruner stops unpromising configurations early.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from copy import deepcopy
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier  # a core dependency: no extra
from sklearn.exceptions import NotFittedError
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv, cross_validate
from sklearn.utils import _safe_indexing, get_tags, indexable
from sklearn.utils.metaestimators import available_if

from hypernas.errors import ConfigError, SpaceError, TrialPruned
from hypernas.estimate.pruners import Pruner
from hypernas.record import FrozenTrial, TrialState
from hypernas.space import Param, Space
from hypernas.strategy import Strategy
from hypernas.study import Storage, Study, Trial, create_study
from hypernas.validate import check_int, check_number

OWNER = "HypernasSearchCV"
_SPLIT_SCORES = "split_test_scores"  # user attributes each trial keeps for cv_results_
_FIT_TIMES = "fit_times"
_SCORE_TIMES = "score_times"


def _best_has(method: str) -> Callable[[HypernasSearchCV], bool]:
    """Whether the refitted best estimator (or, before fit, the estimator) has ``method``."""

    def check(search: HypernasSearchCV) -> bool:
        estimator = getattr(search, "best_estimator_", search.estimator)
        return hasattr(estimator, method)

    return check


class HypernasSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Search ``param_distributions`` for ``estimator`` with a hypernas study, scoring each candidate by cross-validation.

    ``param_distributions`` is a hypernas :class:`~hypernas.space.Space` or a mapping of estimator parameter
    name (nested ones as ``step__param``) to a :class:`~hypernas.space.Param`. ``strategy``, ``pruner`` and
    ``seed`` are those of :func:`~hypernas.create_study`; ``storage`` and ``study_name`` keep the study in a
    database (an existing study of that name is continued, its earlier trials counting in ``cv_results_``).
    ``scoring`` is one scorer (a name, a callable, or None for the estimator's ``score``); the study maximizes it.
    ``n_jobs`` trials run at once in threads (``-1``: one per CPU); the folds of one trial run one after the other.
    With ``max_iter``, an estimator that has ``partial_fit`` is trained by ``max_iter`` calls of it on each
    fold's training part, and the mean test score after each call is reported, so that the ``pruner`` can stop
    the trial; without it every fold is fitted once with ``fit``. A trial whose fit raises is FAILED in the
    study and has NaN scores in ``cv_results_``.

    After ``fit``: ``study_`` (the :class:`~hypernas.Study`), ``best_params_``, ``best_score_``, ``best_index_``,
    ``cv_results_`` (one entry per finished trial, with scikit-learn's keys plus ``state``), ``scorer_``,
    ``n_splits_``, ``n_trials_``, ``refit_time_`` and, with ``refit``, ``best_estimator_``.
    """

    def __init__(self, estimator: Any, param_distributions: Space | Mapping[str, Param], *, n_trials: int = 10,
                 cv: Any = 5, scoring: str | Callable[..., float] | None = None,
                 strategy: Strategy | str | Mapping[str, Any] | None = None,
                 pruner: Pruner | str | Mapping[str, Any] | None = None, seed: int | None = None, refit: bool = True,
                 n_jobs: int = 1, storage: Storage | str | None = None, study_name: str | None = None,
                 max_iter: int | None = None, timeout: float | None = None) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.cv = cv
        self.scoring = scoring
        self.strategy = strategy
        self.pruner = pruner
        self.seed = seed
        self.refit = refit
        self.n_jobs = n_jobs
        self.storage = storage
        self.study_name = study_name
        self.max_iter = max_iter
        self.timeout = timeout

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = deepcopy(inner.classifier_tags)
        tags.regressor_tags = deepcopy(inner.regressor_tags)
        return tags

    # --- searching -------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, groups: Any = None, **fit_params: Any) -> HypernasSearchCV:
        """Run the study on ``X``, ``y`` and, with ``refit``, fit the best configuration on all of it."""
        space = self._space()
        n_trials = check_int(OWNER, "n_trials", self.n_trials, 1, optional=self.timeout is not None)
        timeout = check_number(OWNER, "timeout", self.timeout, 0, low_open=True, optional=True)
        n_workers = self._n_workers()
        incremental = self._incremental()
        X, y, groups = indexable(X, y, groups)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        self.n_splits_ = len(splits)
        self.scorer_ = self._scorer()
        self.multimetric_ = False
        study = create_study(self.study_name, self.storage, direction="maximize", strategy=self.strategy,
                             pruner=self.pruner, seed=self.seed, space=space, load_if_exists=True)
        if incremental:
            objective = self._partial_fit_objective(X, y, splits, fit_params)
        else:
            objective = self._fit_objective(X, y, groups, splits, fit_params)
        study.optimize(objective, n_trials=n_trials, timeout=timeout, n_workers=n_workers)
        self.study_ = study
        self.cv_results_, numbers = self._results(study)
        self.n_trials_ = len(numbers)
        best = study.best_trial  # NoCompleteTrialError when every trial was pruned or failed
        self.best_index_ = numbers.index(best.number)
        self.best_params_ = dict(best.params)
        self.best_score_ = best.value
        if self.refit:
            start = time.perf_counter()
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            self.best_estimator_.fit(X, y, **fit_params)
            self.refit_time_ = time.perf_counter() - start
            if hasattr(self.best_estimator_, "classes_"):
                self.classes_ = self.best_estimator_.classes_
            if hasattr(self.best_estimator_, "n_features_in_"):
                self.n_features_in_ = self.best_estimator_.n_features_in_
        return self

    def _space(self) -> Space:
        given = self.param_distributions
        if isinstance(given, Mapping) and given and all(isinstance(p, Param) for p in given.values()):
            space = Space(dict(given))
        elif isinstance(given, Space):
            space = given
        else:
            raise SpaceError(f"{OWNER}: param_distributions must be a hypernas Space or a non-empty mapping of "
                             f"estimator parameter name to a hypernas Param (Float, Int, Categorical, ...), got "
                             f"{given!r}"[:300])
        known = self.estimator.get_params(deep=True)
        unknown = [name for name in space if name not in known]
        if unknown:
            raise SpaceError(f"{OWNER}: {unknown[0]!r} is not a parameter of {type(self.estimator).__name__}; "
                             f"its parameters are: {', '.join(sorted(known))}")
        return space

    def _n_workers(self) -> int:
        n_jobs = check_int(OWNER, "n_jobs", self.n_jobs, -1)
        if n_jobs == 0:
            raise ConfigError(f"{OWNER}: n_jobs must be a positive number of threads or -1 (one per CPU), got 0")
        return (os.cpu_count() or 1) if n_jobs == -1 else n_jobs

    def _incremental(self) -> bool:
        if self.max_iter is None:
            return False
        check_int(OWNER, "max_iter", self.max_iter, 1)
        if not hasattr(self.estimator, "partial_fit"):
            raise ConfigError(f"{OWNER}: max_iter={self.max_iter!r} trains by partial_fit, which "
                              f"{type(self.estimator).__name__} does not have; leave max_iter=None to use fit")
        return True

    def _scorer(self) -> Callable[..., float]:
        if isinstance(self.scoring, (Mapping, list, tuple, set)):
            raise ConfigError(f"{OWNER}: scoring must be one scorer (a name, a callable or None), got {self.scoring!r}; "
                              "several metrics are not supported")
        try:
            scorer: Callable[..., float] = check_scoring(self.estimator, scoring=self.scoring)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{OWNER}: scoring {self.scoring!r} cannot be used: {exc}") from None
        return scorer

    def _fit_objective(self, X: Any, y: Any, groups: Any, splits: list[tuple[np.ndarray, np.ndarray]],
                       fit_params: dict[str, Any]) -> Callable[[Trial], float]:
        def objective(trial: Trial) -> float:
            estimator = clone(self.estimator).set_params(**trial.params)
            result = cross_validate(estimator, X, y, groups=groups, cv=splits, scoring=self.scorer_, params=fit_params,
                                    error_score="raise")
            return _record_folds(trial, result["test_score"], result["fit_time"], result["score_time"])

        return objective

    def _partial_fit_objective(self, X: Any, y: Any, splits: list[tuple[np.ndarray, np.ndarray]],
                               fit_params: dict[str, Any]) -> Callable[[Trial], float]:
        classes = np.unique(y) if is_classifier(self.estimator) else None
        extra = {**fit_params, **({"classes": classes} if classes is not None else {})}
        max_iter: int = self.max_iter  # type: ignore[assignment]

        folds = [(_safe_indexing(X, train), _safe_indexing(y, train), _safe_indexing(X, test), _safe_indexing(y, test))
                 for train, test in splits]

        def objective(trial: Trial) -> float:
            estimators = [clone(self.estimator).set_params(**trial.params) for _ in folds]
            fit_times, score_times = np.zeros(len(folds)), np.zeros(len(folds))
            scores = np.zeros(len(folds))
            for step in range(1, max_iter + 1):
                for k, (estimator, (X_train, y_train, X_test, y_test)) in enumerate(zip(estimators, folds)):
                    start = time.perf_counter()
                    estimator.partial_fit(X_train, y_train, **extra)
                    fit_times[k] += time.perf_counter() - start
                    start = time.perf_counter()
                    scores[k] = self.scorer_(estimator, X_test, y_test)
                    score_times[k] += time.perf_counter() - start
                trial.report(step, float(np.mean(scores)))
                if step < max_iter and trial.should_prune():
                    _record_folds(trial, scores, fit_times, score_times)
                    raise TrialPruned(f"pruned after {step} of {max_iter} partial fits")
            return _record_folds(trial, scores, fit_times, score_times)

        return objective

    def _results(self, study: Study) -> tuple[dict[str, Any], list[int]]:
        """``cv_results_`` from the study's finished trials, and the trial number of each entry."""
        trials = [t for t in study.trials if t.state.is_finished]
        n = self.n_splits_
        splits = np.array([_attr(t, _SPLIT_SCORES, n) for t in trials]).reshape(len(trials), n)
        fit_times = np.array([_attr(t, _FIT_TIMES, n) for t in trials]).reshape(len(trials), n)
        score_times = np.array([_attr(t, _SCORE_TIMES, n) for t in trials]).reshape(len(trials), n)
        means = np.array([_mean(t, splits[i]) for i, t in enumerate(trials)])
        results: dict[str, Any] = {
            "mean_fit_time": fit_times.mean(axis=1), "std_fit_time": fit_times.std(axis=1),
            "mean_score_time": score_times.mean(axis=1), "std_score_time": score_times.std(axis=1),
        }
        names = list(study.space)
        for name in names:
            column = np.ma.MaskedArray(np.empty(len(trials), dtype=object), mask=True)
            for i, t in enumerate(trials):
                if name in t.params:
                    column[i] = t.params[name]
            results[f"param_{name}"] = column
        results["params"] = [dict(t.params) for t in trials]
        for k in range(n):
            results[f"split{k}_test_score"] = splits[:, k]
        results["mean_test_score"] = means
        results["std_test_score"] = splits.std(axis=1)
        results["rank_test_score"] = _ranks(trials, means)
        results["state"] = np.array([t.state.value for t in trials])
        return results, [t.number for t in trials]

    # --- the refitted best estimator ---------------------------------------------------------
    def _best(self) -> Any:
        if not hasattr(self, "best_estimator_"):
            raise NotFittedError(f"{OWNER} has no best_estimator_: call fit first, with refit=True")
        return self.best_estimator_

    def score(self, X: Any, y: Any = None) -> float:
        """The score of the best estimator on ``X``, ``y`` by the search's scorer."""
        return float(self.scorer_(self._best(), X, y))

    @available_if(_best_has("predict"))
    def predict(self, X: Any) -> Any:
        return self._best().predict(X)

    @available_if(_best_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        return self._best().predict_proba(X)

    @available_if(_best_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        return self._best().predict_log_proba(X)

    @available_if(_best_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        return self._best().decision_function(X)

    @available_if(_best_has("transform"))
    def transform(self, X: Any) -> Any:
        return self._best().transform(X)

    @available_if(_best_has("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        return self._best().inverse_transform(X)


def _record_folds(trial: Trial, scores: Iterable[float], fit_times: Iterable[float], score_times: Iterable[float]) -> float:
    """Keep the fold scores and times with the trial (for ``cv_results_``); their mean score."""
    kept = [float(s) for s in scores]
    trial.set_user_attr(_SPLIT_SCORES, kept)
    trial.set_user_attr(_FIT_TIMES, [float(s) for s in fit_times])
    trial.set_user_attr(_SCORE_TIMES, [float(s) for s in score_times])
    return float(np.mean(kept))


def _attr(trial: FrozenTrial, key: str, n: int) -> list[float]:
    """The per-fold numbers a trial kept under ``key``; NaN for a trial that kept none (it failed first)."""
    kept = trial.user_attrs.get(key)
    return [float(v) for v in kept] if isinstance(kept, list) and len(kept) == n else [np.nan] * n


def _mean(trial: FrozenTrial, splits: np.ndarray) -> float:
    if trial.state is TrialState.COMPLETE and trial.values:
        return trial.values[0]
    return float(np.mean(splits))  # pruned: the scores after its last partial fit; failed: NaN


def _ranks(trials: list[FrozenTrial], means: np.ndarray) -> np.ndarray:
    """Rank 1 for the best COMPLETE trial (ties share the lower rank); pruned and failed trials rank after them all."""
    complete = [i for i, t in enumerate(trials) if t.state is TrialState.COMPLETE]
    ranks = np.full(len(trials), len(complete) + 1, dtype=np.int32)
    for i in complete:
        ranks[i] = 1 + sum(means[j] > means[i] for j in complete)
    return ranks
