"""Hierarchical motifs (Liu et al. 2018): level-2 motifs of primitive operations, a level-3 motif of motifs.

Every motif is a DAG whose nodes are numbered in topological order and whose every edge ``i -> j``
(``i < j``) carries an operation or ``none`` (no edge). Level-2 motifs use the primitive ``ops``;
the level-3 motif's edges are level-2 motif indices. The genotype is JSON::

    {"motifs": [[op per edge] per level-2 motif], "top": [motif index or "none" per edge]}

with edges in the order (0,1), (0,2), (1,2), (0,3), ... Following the paper, random genotypes are
made by ``init_mutations`` random mutations of the trivial genotype (identity chains), and a
mutation picks a level, a motif and an edge and replaces its operation (``none`` included, so edges
can appear and disappear); genotypes whose output cannot be reached from their input are rejected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

import numpy as np

from hypernas.errors import SpaceError
from hypernas.space.arch.token_encoding import TokenOneHot
from hypernas.space.arch.vocabulary import check_ops
from hypernas.space.capabilities import Crossable, Growable, HasDistance
from hypernas.space.params import register_param_type
from hypernas.validate import check_int

HIERARCHICAL_OPS = ("identity", "conv_1x1", "dw_conv_3x3", "sep_conv_3x3", "max_pool_3x3", "avg_pool_3x3", "conv_3x3")


def _edges(nodes: int) -> list[tuple[int, int]]:
    return [(i, j) for j in range(1, nodes) for i in range(j)]


def _nodes(n_edges: int) -> int | None:
    """How many nodes a motif of ``n_edges`` edges has (every node feeding every later one), or None if none."""
    nodes = 2
    while len(_edges(nodes)) < n_edges:
        nodes += 1
    return nodes if len(_edges(nodes)) == n_edges else None


def _is_list(x: Any) -> TypeGuard[Sequence[Any]]:
    return isinstance(x, Sequence) and not isinstance(x, str)


def _connected(edges: list[tuple[int, int]], present: Sequence[bool], nodes: int) -> bool:
    reach = {0}
    for (i, j), on in sorted(zip(edges, present), key=lambda x: x[0][1]):
        if on and i in reach:
            reach.add(j)
    return nodes - 1 in reach


@register_param_type("hierarchical")
class HierarchicalSpace(TokenOneHot, Crossable, HasDistance, Growable):
    """Two-level hierarchical genotypes: ``n_motifs`` motifs of ``motif_nodes`` nodes, a top motif of ``top_nodes``."""

    def __init__(self, ops: Sequence[str] = HIERARCHICAL_OPS, n_motifs: int = 6, motif_nodes: int = 4, top_nodes: int = 5,
                 init_mutations: int = 50, *, when: Mapping[str, Any] | None = None, name: str | None = None) -> None:
        super().__init__(when=when, name=name)
        owner = f"parameter {self.label} (hierarchical)"
        if not _is_list(ops) or not ops or any(list(ops).count(o) > 1 for o in ops) or "none" in ops:
            raise SpaceError(f"{owner}: ops must be distinct operation names without 'none', got {ops!r}")
        self.ops = check_ops(owner, ops, HIERARCHICAL_OPS)
        self.n_motifs = check_int(owner, "n_motifs", n_motifs, 1, error=SpaceError)
        self.motif_nodes = check_int(owner, "motif_nodes", motif_nodes, 2, error=SpaceError)
        self.top_nodes = check_int(owner, "top_nodes", top_nodes, 2, error=SpaceError)
        self.init_mutations = check_int(owner, "init_mutations", init_mutations, 0, error=SpaceError)
        self.motif_edges = _edges(motif_nodes)
        self.top_edges = _edges(top_nodes)
        self._motif_choices = ["none"] + self.ops
        self._top_choices: list[Any] = ["none"] + list(range(n_motifs))

    @classmethod
    def for_genotype(cls, value: Any, *, name: str | None = None) -> HierarchicalSpace:
        """The space of every primitive (:data:`HIERARCHICAL_OPS`) with as many motifs and nodes as the genotype ``value``.

        What a network builder checks a genotype against: the genotype alone says how it is built.
        """
        n_motifs, motif_nodes, top_nodes = 6, 4, 5  # a malformed genotype fails validation, which says why
        motifs, top = (value.get("motifs"), value.get("top")) if isinstance(value, Mapping) else (None, None)
        if _is_list(motifs) and motifs:
            n_motifs = len(motifs)
            if _is_list(motifs[0]):
                motif_nodes = cls._nodes_of(f"motif 0 has {len(motifs[0])} edge(s)", len(motifs[0]), name)
        if _is_list(top):
            top_nodes = cls._nodes_of(f"'top' has {len(top)} edge(s)", len(top), name)
        return cls(HIERARCHICAL_OPS, n_motifs, motif_nodes, top_nodes, init_mutations=0, name=name)

    @classmethod
    def _nodes_of(cls, what: str, n_edges: int, name: str | None) -> int:
        nodes = _nodes(n_edges)
        if nodes is None:
            raise SpaceError(f"parameter {cls(name=name).label}: {what}; a motif of n nodes has n(n-1)/2 edges "
                             "(1, 3, 6, 10, ...)")
        return nodes

    # --- slots: (level, motif, edge) with their choices ------------------------------------------
    def _slots(self) -> list[tuple[str, int, int, list[Any]]]:
        slots = [("motifs", m, e, self._motif_choices) for m in range(self.n_motifs) for e in range(len(self.motif_edges))]
        return slots + [("top", 0, e, self._top_choices) for e in range(len(self.top_edges))]

    @staticmethod
    def _get(g: Mapping[str, Any], level: str, motif: int, edge: int) -> Any:
        return g["motifs"][motif][edge] if level == "motifs" else g["top"][edge]

    @staticmethod
    def _set(g: Mapping[str, Any], level: str, motif: int, edge: int, value: Any) -> dict[str, Any]:
        new = {"motifs": [list(m) for m in g["motifs"]], "top": list(g["top"])}
        if level == "motifs":
            new["motifs"][motif][edge] = value
        else:
            new["top"][edge] = value
        return new

    def trivial(self) -> dict[str, Any]:
        """The starting genotype: every motif an identity chain, the top motif a chain of motif 0."""
        chain = lambda edges, on, off: [on if j == i + 1 else off for i, j in edges]  # noqa: E731
        return {"motifs": [chain(self.motif_edges, "identity" if "identity" in self.ops else self.ops[0], "none")
                           for _ in range(self.n_motifs)], "top": chain(self.top_edges, 0, "none")}

    # --- checking ---------------------------------------------------------------------------
    def validate(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping) or set(value) != {"motifs", "top"}:
            raise SpaceError(f"parameter {self.label}: {value!r} must be a mapping with keys 'motifs' and 'top'")
        motifs, top = value["motifs"], value["top"]
        if not isinstance(motifs, Sequence) or isinstance(motifs, str) or len(motifs) != self.n_motifs:
            raise SpaceError(f"parameter {self.label}: 'motifs' must list {self.n_motifs} motifs, got {motifs!r}")
        for m, motif in enumerate(motifs):
            if not isinstance(motif, Sequence) or isinstance(motif, str) or len(motif) != len(self.motif_edges):
                raise SpaceError(f"parameter {self.label}: motif {m} needs {len(self.motif_edges)} edge operations, got {motif!r}")
            for op in motif:
                if op not in self._motif_choices:
                    raise SpaceError(f"parameter {self.label}: motif {m} has unknown operation {op!r}; allowed: none, {', '.join(self.ops)}")
            if not _connected(self.motif_edges, [op != "none" for op in motif], self.motif_nodes):
                raise SpaceError(f"parameter {self.label}: motif {m} has no path from its input to its output")
        if not isinstance(top, Sequence) or isinstance(top, str) or len(top) != len(self.top_edges):
            raise SpaceError(f"parameter {self.label}: 'top' needs {len(self.top_edges)} edges, got {top!r}")
        for t in top:
            if t != "none" and (isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < self.n_motifs):
                raise SpaceError(f"parameter {self.label}: top edge {t!r} must be 'none' or a motif index in 0..{self.n_motifs - 1}")
        if not _connected(self.top_edges, [t != "none" for t in top], self.top_nodes):
            raise SpaceError(f"parameter {self.label}: the top motif has no path from its input to its output")
        return {"motifs": [list(m) for m in motifs], "top": list(top)}

    def _valid(self, g: Mapping[str, Any]) -> bool:
        return self.contains(g)

    @property
    def default(self) -> dict[str, Any]:
        return self.trivial()

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """``init_mutations`` random mutations of the trivial genotype (the paper's initialisation)."""
        g = self.trivial()
        for _ in range(self.init_mutations):
            g = self.mutate(g, rng)
        return g

    # --- moves ---------------------------------------------------------------------------------
    def mutate(self, value: Any, rng: np.random.Generator) -> dict[str, Any]:
        """Replace one edge's operation (at a random level, motif and edge) by another, ``none`` included."""
        g = self.validate(value)
        slots = self._slots()
        for _ in range(100):
            level, motif, edge, choices = slots[int(rng.integers(len(slots)))]
            current = self._get(g, level, motif, edge)
            others = [c for c in choices if c != current]
            cand = self._set(g, level, motif, edge, others[int(rng.integers(len(others)))])
            if self._valid(cand):
                return cand
        return g

    def neighbors(self, value: Any) -> list[dict[str, Any]]:
        """Every valid genotype with one edge's operation changed."""
        g = self.validate(value)
        out = []
        for level, motif, edge, choices in self._slots():
            current = self._get(g, level, motif, edge)
            for c in choices:
                if c != current:
                    cand = self._set(g, level, motif, edge, c)
                    if self._valid(cand):
                        out.append(cand)
        return out

    def grow(self, value: Any, rng: np.random.Generator) -> dict[str, Any] | None:
        """Turn a random absent edge on (a structural mutation)."""
        return self._structural(value, rng, add=True)

    def shrink(self, value: Any, rng: np.random.Generator) -> dict[str, Any] | None:
        """Remove a random edge while keeping every motif connected."""
        return self._structural(value, rng, add=False)

    def _structural(self, value: Any, rng: np.random.Generator, add: bool) -> dict[str, Any] | None:
        g = self.validate(value)
        options = []
        for level, motif, edge, choices in self._slots():
            absent = self._get(g, level, motif, edge) == "none"
            if absent == add:
                for c in (choices[1:] if add else ["none"]):
                    cand = self._set(g, level, motif, edge, c)
                    if self._valid(cand):
                        options.append(cand)
        return options[int(rng.integers(len(options)))] if options else None

    def crossover(self, a: Any, b: Any, rng: np.random.Generator) -> dict[str, Any]:
        """Each level-2 motif and the top motif from one of the parents (kept only if valid)."""
        a, b = self.validate(a), self.validate(b)
        return {"motifs": [list((a if rng.random() < 0.5 else b)["motifs"][m]) for m in range(self.n_motifs)],
                "top": list((a if rng.random() < 0.5 else b)["top"])}

    def distance(self, a: Any, b: Any) -> int:
        a, b = self.validate(a), self.validate(b)
        return sum(self._get(a, *s[:3]) != self._get(b, *s[:3]) for s in self._slots())

    # --- encodings and tokens -----------------------------------------------------------------
    def token_choices(self) -> list[int]:
        return [len(choices) for *_, choices in self._slots()]

    def to_tokens(self, value: Any) -> list[int]:
        g = self.validate(value)
        return [choices.index(self._get(g, level, motif, edge)) for level, motif, edge, choices in self._slots()]

    def from_tokens(self, tokens: Sequence[int]) -> dict[str, Any]:
        """The genotype of a token sequence; a disconnected motif keeps the trivial genotype's chain."""
        g: dict[str, Any] = self.trivial()
        for (level, motif, edge, choices), t in zip(self._slots(), tokens):
            g = self._set(g, level, motif, edge, choices[int(t)])
        if self._valid(g):
            return g
        fixed = self.trivial()
        for m in range(self.n_motifs):
            trial = {"motifs": [g["motifs"][k] if k == m else fixed["motifs"][k] for k in range(self.n_motifs)], "top": fixed["top"]}
            if self._valid(trial):
                fixed["motifs"][m] = g["motifs"][m]
        if self._valid({"motifs": fixed["motifs"], "top": g["top"]}):
            fixed["top"] = g["top"]
        return fixed


    @property
    def cardinality(self) -> None:
        return None

    def grid(self, resolution: int = 5) -> list[Any]:
        raise SpaceError(f"parameter {self.label}: the hierarchical space cannot be enumerated; use a sampling strategy")

    def _config_fields(self) -> dict[str, Any]:
        return {"ops": self.ops, "n_motifs": self.n_motifs, "motif_nodes": self.motif_nodes, "top_nodes": self.top_nodes,
                "init_mutations": self.init_mutations}
