"""The NAS-Bench-201 cell: a DAG of ``nodes`` nodes where every earlier node feeds every later one.

Each edge ``i -> j`` carries one operation; ``none`` removes the edge. The genotype is the
benchmark's string form, e.g. for 4 nodes (6 edges)::

    |nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|

(node ``j``'s group lists its inputs ``op~i`` for ``i < j``). The space offers the encodings
of the NAS literature: one-hot operations per edge (adjacency + operations, since the adjacency
of this cell is fixed) and the path encoding of BANANAS (which input-to-output paths exist, as
sequences of operations).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hypernas.errors import SpaceError
from hypernas.space.arch.vocabulary import CELL_OPS, check_ops
from hypernas.space.capabilities import Crossable, Growable, HasDistance, HasFeatures, Morphable, Tokenizable
from hypernas.space.params import Param, register_param_type
from hypernas.validate import check_int

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
_MAX_GRID = 1_000_000


@register_param_type("nb201")
class NB201Cell(Param, Tokenizable, Crossable, HasDistance, HasFeatures, Growable, Morphable):
    """A NAS-Bench-201 cell genotype (a string) over ``ops`` (from :data:`CELL_OPS`); ``ops[0]`` must be the
    edge-removing ``none`` if present."""

    def __init__(self, ops: Sequence[str] = NB201_OPS, nodes: int = 4, *, default: str | None = None,
                 when: Mapping[str, Any] | None = None, name: str | None = None) -> None:
        super().__init__(when=when, name=name)
        owner = f"parameter {self.label} (nb201)"
        if isinstance(ops, str) or not isinstance(ops, Sequence) or len(ops) < 2:
            raise SpaceError(f"{owner}: ops must be a list of at least 2 operation names, got {ops!r}")
        if any(list(ops).count(o) > 1 for o in ops):
            raise SpaceError(f"{owner}: ops must be distinct operation names, got {list(ops)!r}")
        self.ops = check_ops(owner, ops, CELL_OPS)
        self.nodes = check_int(owner, "nodes", nodes, 2, error=SpaceError)
        self.edges = [(i, j) for j in range(1, nodes) for i in range(j)]
        self._op_index = {o: k for k, o in enumerate(self.ops)}
        self._template = "+".join("|" + "|".join(f"{{}}~{i}" for i in range(j)) + "|" for j in range(1, nodes))
        self._parsed: dict[str, tuple[str, ...]] = {}
        self._features: dict[str, list[float]] = {}
        self._default = None if default is None else self.validate(default)

    @classmethod
    def for_genotype(cls, value: Any, *, name: str | None = None) -> NB201Cell:
        """The space of every cell operation (:data:`CELL_OPS`) with as many nodes as the cell string ``value``.

        What a network builder checks a cell against: the cell alone says how it is built.
        """
        nodes = value.count("+") + 2 if isinstance(value, str) else 4
        if nodes * (nodes - 1) // 2 * len("op~0|") > len(str(value)):
            nodes = 4  # too short for that many edges: validation says what the cell lacks
        return cls(CELL_OPS, nodes, name=name)

    # --- genotype <-> operations per edge ---------------------------------------------------
    def to_ops(self, value: str) -> list[str]:
        """The operation of every edge, in the order of :attr:`edges`."""
        return self._parse(value)

    def from_ops(self, ops: Sequence[str]) -> str:
        """The cell string whose edges carry ``ops`` (in the order of :attr:`edges`)."""
        if len(ops) != len(self.edges) or any(o not in self._op_index for o in ops):
            raise SpaceError(f"parameter {self.label} (nb201): need {len(self.edges)} operations from {self.ops}, got {list(ops)!r}")
        return self._template.format(*ops)

    def _parse(self, value: Any) -> list[str]:
        if isinstance(value, str) and value in self._parsed:
            return list(self._parsed[value])
        ops = self._parse_new(value)
        if len(self._parsed) < 2 * _MAX_GRID:
            self._parsed[value] = tuple(ops)
        return ops

    def _parse_new(self, value: Any) -> list[str]:
        example = self.from_ops([self.ops[-1]] * len(self.edges))
        if not isinstance(value, str):
            raise SpaceError(f"parameter {self.label}: {value!r} is not a cell string; expected the form {example}")
        groups = value.split("+")
        if len(groups) != self.nodes - 1:
            raise SpaceError(f"parameter {self.label}: {value!r} has {len(groups)} node group(s), expected {self.nodes - 1} "
                             f"(form {example})")
        ops: list[str] = []
        for j, group in enumerate(groups, start=1):
            if not (group.startswith("|") and group.endswith("|")):
                raise SpaceError(f"parameter {self.label}: node group {group!r} of {value!r} must be enclosed in '|'")
            items = group[1:-1].split("|")
            if len(items) != j:
                raise SpaceError(f"parameter {self.label}: node {j} of {value!r} has {len(items)} input(s), expected {j}")
            for i, item in enumerate(items):
                op, _, src = item.partition("~")
                if src != str(i):
                    raise SpaceError(f"parameter {self.label}: input {item!r} of node {j} must come from node {i} ('{op}~{i}')")
                if op not in self._op_index:
                    raise SpaceError(f"parameter {self.label}: unknown operation {op!r} in {value!r}; allowed: {', '.join(self.ops)}")
                ops.append(op)
        return ops

    # --- Param protocol ---------------------------------------------------------------------
    def validate(self, value: Any) -> str:
        return self.from_ops(self._parse(value))

    @property
    def default(self) -> str:
        return self._default if self._default is not None else self.from_ops([self.ops[-1]] * len(self.edges))

    @property
    def cardinality(self) -> int:
        return len(self.ops) ** len(self.edges)

    def sample(self, rng: np.random.Generator) -> str:
        return self.from_ops([self.ops[int(k)] for k in rng.integers(len(self.ops), size=len(self.edges))])

    @property
    def n_dims(self) -> int:
        return len(self.edges) * len(self.ops)

    def encode(self, value: Any) -> list[float]:
        """One-hot operation per edge (adjacency + operations; the adjacency is fixed)."""
        out = [0.0] * self.n_dims
        for e, op in enumerate(self._parse(value)):
            out[e * len(self.ops) + self._op_index[op]] = 1.0
        return out

    def decode(self, x: Sequence[float]) -> str:
        arr = np.asarray(x, dtype=float).reshape(len(self.edges), len(self.ops))
        return self.from_ops([self.ops[int(k)] for k in arr.argmax(axis=1)])

    def neighbors(self, value: Any) -> list[str]:
        """Every cell that differs in exactly one edge's operation."""
        ops = self._parse(value)
        out = []
        for e in range(len(ops)):
            for op in self.ops:
                if op != ops[e]:
                    out.append(self.from_ops(ops[:e] + [op] + ops[e + 1:]))
        return out

    def mutate(self, value: Any, rng: np.random.Generator) -> str:
        """Operation mutation: one random edge gets a different operation."""
        ops = self._parse(value)
        e = int(rng.integers(len(ops)))
        others = [o for o in self.ops if o != ops[e]]
        ops[e] = others[int(rng.integers(len(others)))]
        return self.from_ops(ops)

    def crossover(self, a: Any, b: Any, rng: np.random.Generator) -> str:
        """Uniform crossover: every edge takes its operation from one of the two parents."""
        oa, ob = self._parse(a), self._parse(b)
        return self.from_ops([x if rng.random() < 0.5 else y for x, y in zip(oa, ob)])

    def distance(self, a: Any, b: Any) -> int:
        """Number of edges whose operations differ."""
        return sum(x != y for x, y in zip(self._parse(a), self._parse(b)))

    def grid(self, resolution: int = 5) -> list[str]:
        """Every cell (15,625 for the standard space)."""
        if self.cardinality > _MAX_GRID:
            raise SpaceError(f"parameter {self.label}: {self.cardinality:,} cells are too many to enumerate (limit {_MAX_GRID:,})")
        return [self.from_ops(list(c)) for c in itertools.product(self.ops, repeat=len(self.edges))]

    # --- token view (for sequence controllers) ----------------------------------------------
    def token_choices(self) -> list[int]:
        """How many choices each token of the genotype has (one token per edge)."""
        return [len(self.ops)] * len(self.edges)

    def to_tokens(self, value: Any) -> list[int]:
        return [self._op_index[o] for o in self._parse(value)]

    def from_tokens(self, tokens: Sequence[int]) -> str:
        return self.from_ops([self.ops[int(t)] for t in tokens])

    # --- structural moves (NEAT): remove or add an edge ---------------------------------------
    def grow(self, value: Any, rng: np.random.Generator) -> str | None:
        """Give a random removed (``none``) edge a real operation; ``None`` if every edge is present."""
        ops = self._parse(value)
        free = [e for e, o in enumerate(ops) if o == "none"]
        real = [o for o in self.ops if o != "none"]
        if not free or not real:
            return None
        ops[free[int(rng.integers(len(free)))]] = real[int(rng.integers(len(real)))]
        return self.from_ops(ops)

    def shrink(self, value: Any, rng: np.random.Generator) -> str | None:
        """Set a random present edge to ``none``; ``None`` if no edge can be removed."""
        ops = self._parse(value)
        present = [e for e, o in enumerate(ops) if o != "none"]
        if not present or "none" not in self._op_index:
            return None
        ops[present[int(rng.integers(len(present)))]] = "none"
        return self.from_ops(ops)

    # --- network morphisms ---------------------------------------------------------------------
    def morphisms(self, value: Any) -> list[tuple[str, str]]:
        """Function-preserving moves: a removed (``none``) edge gets a convolution whose last batch norm starts at
        zero, so the new connection adds nothing until trained ("connect edge 3<-1 with nor_conv_3x3")."""
        ops = self._parse(value)
        convs = [o for o in self.ops if "conv" in o]
        return [(f"connect edge {j}<-{i} with {new}", self.from_ops(ops[:e] + [new] + ops[e + 1:]))
                for e, (i, j) in enumerate(self.edges) if ops[e] == "none" for new in convs]

    # --- path encoding (BANANAS) --------------------------------------------------------------
    @functools.cached_property
    def _path_index(self) -> dict[tuple[str, ...], int]:
        real = [o for o in self.ops if o != "none"]
        index: dict[tuple[str, ...], int] = {}
        for length in range(1, self.nodes):
            for seq in itertools.product(real, repeat=length):
                index[seq] = len(index)
        return index

    def paths(self, value: Any) -> list[tuple[str, ...]]:
        """Every input-to-output path as its sequence of operations (edges with ``none`` cut paths)."""
        ops = dict(zip(self.edges, self._parse(value)))
        found: list[tuple[str, ...]] = []

        def walk(node: int, seq: tuple[str, ...]) -> None:
            if node == self.nodes - 1:
                found.append(seq)
                return
            for nxt in range(node + 1, self.nodes):
                op = ops[(node, nxt)]
                if op != "none":
                    walk(nxt, seq + (op,))

        walk(0, ())
        return found

    def path_encoding(self, value: Any) -> list[float]:
        """Path encoding: 1 for every operation sequence that occurs as an input-to-output path."""
        out = [0.0] * len(self._path_index)
        for p in self.paths(value):
            out[self._path_index[p]] = 1.0
        return out

    def features(self, value: Any) -> list[float]:
        """The encoding for accuracy predictors: path encoding followed by the one-hot operations."""
        key = self.validate(value)
        if key not in self._features:
            self._features[key] = self.path_encoding(key) + self.encode(key)
        return list(self._features[key])

    def _config_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if tuple(self.ops) != NB201_OPS:
            fields["ops"] = list(self.ops)
        if self.nodes != 4:
            fields["nodes"] = self.nodes
        if self._default is not None:
            fields["default"] = self._default
        return fields
