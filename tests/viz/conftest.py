"""Small studies for the views: one objective with every trial state, conditional, log-scale and
architecture parameters; two objectives; and their records."""

from __future__ import annotations

import math

import pytest

import hypernas as hn
from hypernas.viz import StudyRecord


def bowl(trial: hn.Trial) -> float:
    """A loss over the space of :func:`single_space`: trial 3 + 7k fail, trial 4 + 5k are pruned at step 2."""
    p = trial.params
    if trial.number % 7 == 3:
        raise RuntimeError("diverged <at step 0>")
    loss = (math.log10(p["lr"]) + 2.5) ** 2 + (p["layers"] - 3) ** 2 + p["cell"].count("conv") / 10
    for step in range(4):
        trial.report(step, loss + 4 - step)
        if trial.number % 5 == 4 and step == 2:
            raise hn.TrialPruned()
    return loss


def single_space() -> hn.Space:
    return hn.Space(lr=hn.Float(1e-5, 1e-1, log=True), layers=hn.Int(1, 6), optimizer=hn.Categorical(["sgd", "adam"]),
                    momentum=hn.Float(0.0, 0.99, when={"optimizer": "sgd"}), cell=hn.NB201Cell())


@pytest.fixture(scope="session")
def single() -> StudyRecord:
    """24 trials: complete, pruned (with intermediate values) and failed ones."""
    study = hn.create_study("single", direction="minimize", strategy="random", seed=0)
    study.optimize(bowl, single_space(), n_trials=24)
    return StudyRecord.of(study)


@pytest.fixture(scope="session")
def multi() -> StudyRecord:
    """Two objectives (maximize accuracy, minimize size) over two numbers and a DARTS genotype."""
    study = hn.create_study("multi", directions=["maximize", "minimize"], metrics=["accuracy", "size"],
                            strategy="random", seed=0)
    space = {"x": hn.Float(0, 1), "y": hn.Float(0, 1), "arch": hn.DARTSCell()}
    study.optimize(lambda t: {"accuracy": t.params["x"], "size": t.params["x"] ** 2 + t.params["y"]}, space, n_trials=20)
    return StudyRecord.of(study)


@pytest.fixture
def empty() -> StudyRecord:
    study = hn.create_study("empty", strategy="random", space={"x": hn.Float(0, 1)})
    return StudyRecord.of(study)
