"""HypernasSearchCV with real scikit-learn estimators: the search interface, cv_results_, cloning, pruning."""

from __future__ import annotations

import numpy as np
import pytest

from tests.integrations.conftest import need

need("sklearn")

from sklearn.base import clone, is_classifier  # noqa: E402
from sklearn.datasets import load_digits, load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression, SGDClassifier  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

import hypernas as hn  # noqa: E402
from hypernas.integrations.sklearn import HypernasSearchCV  # noqa: E402


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_iris(return_X_y=True)
    return X, y


def test_the_search_fits_and_predicts_like_a_scikit_learn_search(iris):
    X, y = iris
    search = HypernasSearchCV(LogisticRegression(max_iter=300), {"C": hn.Float(1e-3, 1e2, log=True)},
                              n_trials=6, cv=3, seed=0)
    assert is_classifier(search)
    assert search.fit(X, y) is search
    results = search.cv_results_
    assert len(results["params"]) == 6 == search.n_trials_
    for key in ("mean_test_score", "std_test_score", "rank_test_score", "split0_test_score", "split2_test_score",
                "mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time", "param_C"):
        assert len(results[key]) == 6, key
    assert search.best_index_ == int(np.argmin(results["rank_test_score"]))
    assert results["params"][search.best_index_] == search.best_params_
    assert search.best_score_ == pytest.approx(results["mean_test_score"].max())
    assert search.best_score_ == pytest.approx(np.mean([results[f"split{k}_test_score"][search.best_index_]
                                                        for k in range(3)]))
    assert search.best_params_["C"] == search.best_estimator_.C
    assert (search.predict(X) == search.best_estimator_.predict(X)).all()
    assert search.predict_proba(X).shape == (150, 3)
    assert search.score(X, y) == pytest.approx(search.best_estimator_.score(X, y))
    assert list(search.classes_) == [0, 1, 2]
    assert len(search.study_.trials) == 6 and search.study_.best_params == search.best_params_


def test_a_space_with_a_condition_and_a_scorer(iris):
    X, y = iris
    space = hn.Space(kernel=hn.Categorical(["linear", "rbf"]), C=hn.Float(0.1, 10.0, log=True),
                     gamma=hn.Float(1e-3, 1.0, log=True, when={"kernel": "rbf"}))
    search = HypernasSearchCV(SVC(), space, n_trials=8, cv=3, scoring="balanced_accuracy", seed=1, refit=False, n_jobs=2,
                              strategy="tpe")
    search.fit(X, y)
    gammas = search.cv_results_["param_gamma"]
    kernels = search.cv_results_["param_kernel"]
    assert all(gammas.mask[i] == (kernels[i] == "linear") for i in range(8))
    assert not hasattr(search, "best_estimator_")
    assert 0.5 < search.best_score_ <= 1.0


def test_the_search_is_a_proper_estimator():
    search = HypernasSearchCV(LogisticRegression(), {"C": hn.Float(0.1, 1.0)}, n_trials=3, seed=5)
    copy = clone(search)
    assert copy.get_params()["n_trials"] == 3 and copy.get_params()["estimator__C"] == 1.0
    copy.set_params(n_trials=4, estimator__C=0.5)
    assert copy.n_trials == 4 and copy.estimator.C == 0.5 and search.estimator.C == 1.0


def test_pruning_through_partial_fits():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    search = HypernasSearchCV(SGDClassifier(random_state=0), {"alpha": hn.Float(1e-6, 1e2, log=True)},
                              n_trials=12, cv=2, max_iter=5, pruner=hn.MedianPruner(n_startup_trials=2), seed=0)
    search.fit(X, y)
    trials = search.study_.trials
    assert {len(t.intermediate) for t in trials if t.state is hn.TrialState.COMPLETE} == {5}
    pruned = [t for t in trials if t.state is hn.TrialState.PRUNED]
    assert pruned and all(len(t.intermediate) < 5 for t in pruned)
    states = search.cv_results_["state"]
    ranks = search.cv_results_["rank_test_score"]
    assert max(ranks[states == "COMPLETE"]) < min(ranks[states == "PRUNED"])
    assert search.best_estimator_.alpha == search.best_params_["alpha"]


def test_the_study_can_be_kept_and_continued(iris, tmp_path):
    X, y = iris
    url = f"sqlite:///{tmp_path / 'search.db'}"
    options = dict(n_trials=2, cv=3, storage=url, study_name="iris-lr", seed=0, refit=False)
    HypernasSearchCV(LogisticRegression(max_iter=300), {"C": hn.Float(0.01, 10.0, log=True)}, **options).fit(X, y)
    again = HypernasSearchCV(LogisticRegression(max_iter=300), {"C": hn.Float(0.01, 10.0, log=True)}, **options)
    assert len(again.fit(X, y).cv_results_["params"]) == 4
    assert len(hn.load_study("iris-lr", url).trials) == 4


@pytest.mark.parametrize(("space", "message"), [
    ({"C": (0.1, 1.0)}, "param_distributions must be a hypernas Space or a non-empty mapping"),
    ({}, "param_distributions must be a hypernas Space or a non-empty mapping"),
    ({"learning_rate": hn.Float(0.1, 1.0)}, "'learning_rate' is not a parameter of LogisticRegression"),
])
def test_a_bad_space_is_one_clear_error(iris, space, message):
    with pytest.raises(hn.SpaceError, match=message):
        HypernasSearchCV(LogisticRegression(), space, n_trials=2).fit(*iris)


def test_max_iter_needs_partial_fit(iris):
    with pytest.raises(hn.ConfigError, match="partial_fit, which SVC does not have"):
        HypernasSearchCV(SVC(), {"C": hn.Float(0.1, 1.0)}, max_iter=3).fit(*iris)


def test_several_scorers_are_refused(iris):
    with pytest.raises(hn.ConfigError, match="scoring must be one scorer"):
        HypernasSearchCV(SVC(), {"C": hn.Float(0.1, 1.0)}, scoring=["accuracy", "f1_macro"]).fit(*iris)
