"""``trial_timeout``: a runaway trial is stopped and recorded FAILED with the reason; the study goes on."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import hypernas as hn
from tests.study.timeout_objectives import slow_and_stubborn, slow_odd

pytestmark = pytest.mark.timeout(120)

SPACE = {"x": hn.Float(0, 1)}
REASON = "TrialTimedOut: the trial ran longer than its trial_timeout of 0.5 s"


def check(study: hn.Study, n: int) -> None:
    trials = sorted(study.trials, key=lambda t: t.number)
    assert len(trials) == n
    for t in trials:
        if t.number % 2:
            assert (t.state, t.error) == (hn.TrialState.FAILED, REASON)
        else:
            assert t.state is hn.TrialState.COMPLETE


@pytest.mark.parametrize("n_workers", [1, 2])
def test_a_runaway_trial_is_stopped_and_the_study_goes_on(n_workers: int) -> None:
    study = hn.create_study(space=SPACE, seed=0)
    started = time.monotonic()
    study.optimize(slow_odd, n_trials=4, n_workers=n_workers, trial_timeout=0.5)
    assert time.monotonic() - started < 50  # not the minute the slow trials would take
    check(study, 4)


def test_an_objective_that_catches_every_exception_is_stopped_all_the_same() -> None:
    study = hn.create_study(space=SPACE)
    study.optimize(slow_and_stubborn, n_trials=1, trial_timeout=0.5)
    assert (study.trials[0].state, study.trials[0].error) == (hn.TrialState.FAILED, REASON)


def test_worker_processes_stop_their_runaway_trials(tmp_path: Path) -> None:
    study = hn.create_study("t", f"sqlite:///{tmp_path / 't.db'}", space=SPACE, seed=0)
    study.optimize(slow_odd, n_trials=4, n_workers=2, executor="process", trial_timeout=0.5)
    check(study, 4)


def test_quick_trials_are_never_hit_by_a_late_timer() -> None:
    study = hn.create_study(space=SPACE)
    study.optimize(lambda t: t.params["x"], n_trials=200, trial_timeout=0.001)
    assert all(t.state is hn.TrialState.COMPLETE or t.error == REASON.replace("0.5", "0.001") for t in study.trials)
    time.sleep(0.05)  # a timer that fired as a trial returned would have raised by now


@pytest.mark.parametrize("value", [0, -1, float("nan"), "1s"])
def test_a_bad_trial_timeout_is_one_line(value: object) -> None:
    study = hn.create_study(space=SPACE)
    with pytest.raises(hn.ConfigError, match="optimize: trial_timeout must be a number > 0 or None"):
        study.optimize(lambda t: 0.0, n_trials=1, trial_timeout=value)  # type: ignore[arg-type]
    assert study.trials == []
