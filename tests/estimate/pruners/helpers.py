"""Crafted histories for pruner tests: a minimal study view over hand-made trials."""

from __future__ import annotations

from hypernas.record import Direction, FrozenTrial, TrialState


def make_trial(number: int, curve: list[float] | dict[int, float], state: TrialState = TrialState.COMPLETE) -> FrozenTrial:
    """A trial whose intermediate values are ``curve`` (a list means steps 1, 2, ...)."""
    inter = curve if isinstance(curve, dict) else {i + 1: float(v) for i, v in enumerate(curve)}
    values = None
    if state in (TrialState.COMPLETE, TrialState.PRUNED) and inter:
        values = [inter[max(inter)]]
    return FrozenTrial(number, number, state, {"x": number}, values, dict(inter))


class View:
    """The part of a study a pruner reads."""

    def __init__(self, direction: str, trials: list[FrozenTrial]) -> None:
        self.directions = [Direction.parse(direction)]
        self.trials = trials

    def get_trials(self, states=None):
        return [t for t in self.trials if states is None or t.state in states]


def flip(curve: list[float]) -> list[float]:
    """The same learning curve for the opposite direction."""
    return [-v for v in curve]


def running(number: int, curve: list[float]) -> FrozenTrial:
    return make_trial(number, curve, TrialState.RUNNING)
