"""What the tests of workers in other processes share: objectives that work, fail or kill their own process, and
the trials of a study that count or were lost."""

from __future__ import annotations

import textwrap

import hypernas as hn

SPACE = {"x": {"type": "float", "low": 0, "high": 1}}

OBJECTIVES = textwrap.dedent("""
    import os, signal, time

    def square(trial):
        trial.set_user_attr("pid", os.getpid())
        return trial.params["x"] ** 2

    def killed_on_trial_1(trial):
        if trial.number == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return trial.params["x"]

    def always_killed(trial):
        os.kill(os.getpid(), signal.SIGKILL)

    def exits_on_trial_0(trial):
        if trial.number == 0:
            os._exit(3)
        return trial.params["x"]

    def broken(trial):
        raise ValueError("no data for " + str(trial.number))

    def misconfigured(trial):
        raise ValueError("no data")

    def slow(trial):
        time.sleep(0.5)
        return trial.params["x"]
""")
"""The source of a module of objectives, to write where the workers can import it."""


def counted_trials(study: hn.Study) -> list[hn.FrozenTrial]:
    """The finished trials that count towards the budget."""
    return [t for t in study.trials if t.state.is_finished and not t.system_attrs.get("lost")]


def lost_trials(study: hn.Study) -> list[hn.FrozenTrial]:
    """The trials lost with their worker."""
    return [t for t in study.trials if t.system_attrs.get("lost")]


def assert_lost_one_rerun(study: hn.Study, n_trials: int) -> hn.FrozenTrial:
    """The study has ``n_trials`` complete trials that count, one of them the re-run (with the same parameters)
    of its one lost trial, and no other trial; the lost one."""
    [lost] = lost_trials(study)
    counted = counted_trials(study)
    assert [t.state for t in counted] == [hn.TrialState.COMPLETE] * n_trials
    [rerun] = [t for t in counted if t.system_attrs.get("requeued_from") == lost.number]
    assert rerun.params == lost.params
    assert len(study.trials) == n_trials + 1
    return lost

