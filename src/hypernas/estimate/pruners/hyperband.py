"""Hyperband pruning: trials spread over brackets of successive halving that stop early to different degrees."""

from __future__ import annotations

import math

from hypernas.errors import ConfigError
from hypernas.estimate.pruners.asha import COMPETING, ASHAPruner
from hypernas.estimate.pruners.base import PRUNERS, Pruner, PrunerStudyView
from hypernas.record import FrozenTrial
from hypernas.validate import check_int


def bracket_sizes(min_resource: int, max_resource: int, eta: int) -> list[int]:
    """Configurations per bracket as in Hyperband; bracket ``b`` starts stopping at ``min_resource * eta**b``."""
    s_max = 0
    while min_resource * eta ** (s_max + 1) <= max_resource:
        s_max += 1
    return [math.ceil((s_max + 1) / (s_max - b + 1) * eta ** (s_max - b)) for b in range(s_max + 1)]


def bracket_sequence(sizes: list[int]) -> list[int]:
    """One period of bracket indices in Hyperband's order: bracket 0 (the most aggressive) ``sizes[0]`` times, then 1...

    Every bracket costs about the same epochs, so the hedging brackets still come after one
    bracket's worth; first come the most configurations per epoch.
    """
    return [b for b, n in enumerate(sizes) for _ in range(n)]


@PRUNERS.register("hyperband")
class HyperbandPruner(Pruner):
    """Brackets of ASHA between ``min_resource`` and ``max_resource`` with reduction factor ``reduction_factor``.

    Bracket ``b`` has its first rung at ``min_resource * reduction_factor**b``: bracket 0 stops the
    most aggressively, the last one trains every trial to ``max_resource``. A trial's bracket depends
    only on its number, so a resumed study assigns the same brackets: as in Hyperband the brackets
    come one after the other, most aggressive first, each with Hyperband's number of trials, and the
    sequence repeats. A trial competes only with trials of its own bracket.
    """

    def __init__(self, max_resource: int, min_resource: int = 1, reduction_factor: int = 3,
                 bootstrap_count: int = 0) -> None:
        self.min_resource = check_int(self.owner, "min_resource", min_resource, 1)
        self.max_resource = check_int(self.owner, "max_resource", max_resource, 1)
        if max_resource < min_resource:
            raise ConfigError(f"{self.owner}: max_resource ({max_resource}) must be >= min_resource ({min_resource})")
        self.reduction_factor = check_int(self.owner, "reduction_factor", reduction_factor, 2)
        self.bootstrap_count = check_int(self.owner, "bootstrap_count", bootstrap_count, 0)
        self.sizes = bracket_sizes(self.min_resource, self.max_resource, self.reduction_factor)
        self._sequence = bracket_sequence(self.sizes)
        self.brackets = [ASHAPruner(self.min_resource, self.reduction_factor, b, self.max_resource, self.bootstrap_count)
                         for b in range(len(self.sizes))]

    def bracket_of(self, number: int) -> int:
        """The bracket of trial ``number``."""
        return self._sequence[number % len(self._sequence)]

    def should_prune(self, study: PrunerStudyView, trial: FrozenTrial) -> bool:
        b = self.bracket_of(trial.number)
        peers = [t for t in study.get_trials(COMPETING) if self.bracket_of(t.number) == b]
        return self.brackets[b].decide(trial, peers, study.directions[0])
