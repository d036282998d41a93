"""A cheap objective for trying the CLI: a noisy bowl whose minimum depends on every parameter."""

import math


def bowl(trial):
    p = trial.params
    loss = (math.log10(p["lr"]) + 2.5) ** 2 + (p["layers"] - 3) ** 2 / 4
    if p["optimizer"] == "sgd":
        loss += (p["momentum"] - 0.9) ** 2 * 10
    else:
        loss += 0.05
    return loss
