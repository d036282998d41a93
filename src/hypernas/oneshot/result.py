"""What a one-shot search returns: the derived genotype and the architecture weights of every epoch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SearchResult:
    """``genotype``: the derived cell(s), valid in the supernet's space.

    ``history``: one JSON-able record per epoch: ``{"epoch": e, <cell type>: [[weight per candidate] per edge],
    ..., "genotype": ..., "collapse": {"skip_weight": {...}, "skips": {...}}, "train_loss": ..., "val_loss": ...}``
    (cell types ``cell`` for NB201, ``normal`` and ``reduce`` for DARTS; ``edges`` holds the edge weights under
    edge normalisation). ``op_names`` and ``edge_labels`` name the weights' columns and rows.
    """

    genotype: Any
    history: list[dict[str, Any]] = field(default_factory=list)
    op_names: list[str] = field(default_factory=list)
    edge_labels: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The whole result as plain JSON types."""
        return {"genotype": self.genotype, "op_names": list(self.op_names),
                "edge_labels": {k: list(v) for k, v in self.edge_labels.items()}, "history": list(self.history)}
