"""Random search: every active parameter drawn from its prior (log scales and conditions respected)."""

from __future__ import annotations

from typing import Any

from hypernas.record import FrozenTrial
from hypernas.strategy.base import Strategy, StudyView
from hypernas.strategy.registry import register_strategy


@register_strategy("random")
class RandomSearch(Strategy):
    """Independent samples from the space; trial ``n`` of a seeded study always gets the same proposal."""

    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        return study.space.sample(self.rng_for(study, trial))
