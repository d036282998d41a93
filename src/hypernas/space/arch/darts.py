"""The DARTS cell space (Liu et al. 2019): a normal and a reduction cell.

Each cell has two input nodes (0: the output of the cell two back, 1: of the previous cell) and
``steps`` intermediate nodes; intermediate node ``k`` (numbered ``k + 2``) sums two edges, each an
operation applied to a distinct earlier node. The cell's output concatenates the intermediate
nodes. The genotype is JSON::

    {"normal": [[op, input], [op, input], ...], "reduce": [...]}

with two ``[op, input]`` pairs per intermediate node, in node order. Mutations follow AmoebaNet:
an operation mutation changes one edge's operation, an input (hidden-state) mutation rewires one
edge to another earlier node.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hypernas.errors import SpaceError
from hypernas.space.arch.vocabulary import CELL_OPS, check_ops
from hypernas.space.capabilities import Crossable, HasDistance, Tokenizable
from hypernas.space.params import Param, register_param_type
from hypernas.validate import check_int, is_integer

DARTS_OPS = ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
             "dil_conv_3x3", "dil_conv_5x5")
CELLS = ("normal", "reduce")


@register_param_type("darts")
class DARTSCell(Param, Tokenizable, Crossable, HasDistance):
    """A DARTS genotype: normal and reduction cells of ``steps`` nodes with 2 inputs each over ``ops`` (from :data:`CELL_OPS`)."""

    def __init__(self, ops: Sequence[str] = DARTS_OPS, steps: int = 4, *, when: Mapping[str, Any] | None = None,
                 name: str | None = None) -> None:
        super().__init__(when=when, name=name)
        owner = f"parameter {self.label} (darts)"
        if isinstance(ops, str) or not isinstance(ops, Sequence) or len(ops) < 1 or any(list(ops).count(o) > 1 for o in ops):
            raise SpaceError(f"{owner}: ops must be a list of distinct operation names, got {ops!r}")
        self.ops = check_ops(owner, ops, CELL_OPS)
        self.steps = check_int(owner, "steps", steps, 1, 8, error=SpaceError)
        self._op_index = {o: k for k, o in enumerate(self.ops)}
        self.n_edges = 2 * steps
        self._max_inputs = steps + 1  # node k + 2 may read nodes 0 .. k + 1

    @classmethod
    def for_genotype(cls, value: Any, *, name: str | None = None) -> DARTSCell:
        """The space of every cell operation (:data:`CELL_OPS`) with as many steps as the genotype ``value`` has nodes.

        What a network builder checks a genotype against: the genotype alone says how it is built.
        """
        edges = value.get("normal") if isinstance(value, Mapping) else None
        steps = 4  # a genotype without a list of normal edges fails validation, which says what it needs
        if isinstance(edges, Sequence) and not isinstance(edges, str):
            if not edges or len(edges) % 2 or len(edges) > 16:
                raise SpaceError(f"parameter {cls(CELL_OPS, name=name).label}: cell 'normal' has {len(edges)} [op, input] "
                                 "pair(s); a DARTS cell has 2 per node and 1 to 8 nodes")
            steps = len(edges) // 2
        return cls(CELL_OPS, steps, name=name)

    def _inputs(self, edge: int) -> int:
        """How many nodes edge ``edge`` may read from."""
        return edge // 2 + 2

    # --- checking ---------------------------------------------------------------------------
    def validate(self, value: Any) -> dict[str, list[list[Any]]]:
        example = '{"normal": [["sep_conv_3x3", 0], ["skip_connect", 1], ...], "reduce": [...]}'
        if not isinstance(value, Mapping) or set(value) != set(CELLS):
            raise SpaceError(f"parameter {self.label}: {value!r} must be a mapping with keys 'normal' and 'reduce', like {example}")
        out: dict[str, list[list[Any]]] = {}
        for cell in CELLS:
            edges = value[cell]
            if not isinstance(edges, Sequence) or isinstance(edges, str) or len(edges) != self.n_edges:
                raise SpaceError(f"parameter {self.label}: cell {cell!r} needs {self.n_edges} [op, input] pairs "
                                 f"(2 per node, {self.steps} nodes), got {edges!r}")
            clean = []
            for e, pair in enumerate(edges):
                if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
                    raise SpaceError(f"parameter {self.label}: edge {e} of cell {cell!r} must be [op, input], got {pair!r}")
                op, src = pair
                if op not in self._op_index:
                    raise SpaceError(f"parameter {self.label}: unknown operation {op!r} in cell {cell!r}; allowed: {', '.join(self.ops)}")
                if not is_integer(src) or not 0 <= src < self._inputs(e):
                    raise SpaceError(f"parameter {self.label}: edge {e} of cell {cell!r} (node {e // 2 + 2}) reads node {src!r}; "
                                     f"allowed: 0 .. {self._inputs(e) - 1}")
                clean.append([op, int(src)])
            for node in range(self.steps):
                if clean[2 * node][1] == clean[2 * node + 1][1]:
                    raise SpaceError(f"parameter {self.label}: node {node + 2} of cell {cell!r} reads node "
                                     f"{clean[2 * node][1]} twice; its two inputs must differ")
            out[cell] = clean
        return out

    @property
    def default(self) -> dict[str, list[list[Any]]]:
        op = "sep_conv_3x3" if "sep_conv_3x3" in self._op_index else self.ops[-1]
        cell = [[op, src] for node in range(self.steps) for src in (node, node + 1)]
        return {"normal": [list(p) for p in cell], "reduce": [list(p) for p in cell]}

    @property
    def cardinality(self) -> int:
        per_cell = 1
        for node in range(self.steps):
            per_cell *= math.comb(node + 2, 2) * 2 * len(self.ops) ** 2
        return per_cell ** 2

    def sample(self, rng: np.random.Generator) -> dict[str, list[list[Any]]]:
        out = {}
        for cell in CELLS:
            edges = []
            for node in range(self.steps):
                a, b = rng.choice(node + 2, size=2, replace=False)
                edges += [[self.ops[int(rng.integers(len(self.ops)))], int(a)],
                          [self.ops[int(rng.integers(len(self.ops)))], int(b)]]
            out[cell] = edges
        return out

    # --- encodings --------------------------------------------------------------------------
    @property
    def n_dims(self) -> int:
        return 2 * self.n_edges * (self._max_inputs + len(self.ops))

    def encode(self, value: Any) -> list[float]:
        """Per cell and edge: one-hot input node (adjacency) then one-hot operation."""
        value = self.validate(value)
        width = self._max_inputs + len(self.ops)
        out = [0.0] * self.n_dims
        for c, cell in enumerate(CELLS):
            for e, (op, src) in enumerate(value[cell]):
                base = (c * self.n_edges + e) * width
                out[base + src] = 1.0
                out[base + self._max_inputs + self._op_index[op]] = 1.0
        return out

    def decode(self, x: Sequence[float]) -> dict[str, list[list[Any]]]:
        arr = np.asarray(x, dtype=float).reshape(2, self.n_edges, self._max_inputs + len(self.ops))
        out = {}
        for c, cell in enumerate(CELLS):
            edges = []
            for node in range(self.steps):
                first = int(np.argmax(arr[c, 2 * node, : node + 2]))
                second_scores = arr[c, 2 * node + 1, : node + 2].copy()
                second_scores[first] = -np.inf
                second = int(np.argmax(second_scores))
                for e, src in ((2 * node, first), (2 * node + 1, second)):
                    edges.append([self.ops[int(np.argmax(arr[c, e, self._max_inputs:]))], src])
            out[cell] = edges
        return out

    # --- local moves --------------------------------------------------------------------------
    def neighbors(self, value: Any) -> list[dict[str, list[list[Any]]]]:
        """Every genotype one operation mutation or one input mutation away."""
        value = self.validate(value)
        out = []
        for cell in CELLS:
            for e, (op, src) in enumerate(value[cell]):
                sibling = value[cell][e ^ 1][1]
                for other in self.ops:
                    if other != op:
                        out.append(self._with(value, cell, e, [other, src]))
                for s in range(self._inputs(e)):
                    if s not in (src, sibling):
                        out.append(self._with(value, cell, e, [op, s]))
        return out

    @staticmethod
    def _with(value: Mapping[str, Any], cell: str, edge: int, pair: list[Any]) -> dict[str, list[list[Any]]]:
        new = {c: [list(p) for p in value[c]] for c in CELLS}
        new[cell][edge] = pair
        return new

    def mutate(self, value: Any, rng: np.random.Generator) -> dict[str, list[list[Any]]]:
        """An operation mutation or an input (hidden-state) mutation, with equal probability."""
        value = self.validate(value)
        cell = CELLS[int(rng.integers(2))]
        e = int(rng.integers(self.n_edges))
        op, src = value[cell][e]
        sibling = value[cell][e ^ 1][1]
        inputs = [s for s in range(self._inputs(e)) if s not in (src, sibling)]
        if rng.random() < 0.5 and inputs:
            return self._with(value, cell, e, [op, inputs[int(rng.integers(len(inputs)))]])
        others = [o for o in self.ops if o != op]
        if not others:
            return value
        return self._with(value, cell, e, [others[int(rng.integers(len(others)))], src])

    def crossover(self, a: Any, b: Any, rng: np.random.Generator) -> dict[str, list[list[Any]]]:
        """Every node of every cell takes its two edges from one of the parents."""
        a, b = self.validate(a), self.validate(b)
        out = {}
        for cell in CELLS:
            edges = []
            for node in range(self.steps):
                edges += [list(p) for p in (a if rng.random() < 0.5 else b)[cell][2 * node: 2 * node + 2]]
            out[cell] = edges
        return out

    def distance(self, a: Any, b: Any) -> int:
        """Number of edges whose operation or input differs."""
        a, b = self.validate(a), self.validate(b)
        return sum(x != y for cell in CELLS for x, y in zip(a[cell], b[cell]))

    def grid(self, resolution: int = 5) -> list[Any]:
        raise SpaceError(f"parameter {self.label}: the DARTS space has {self.cardinality:.2e} genotypes and cannot "
                         "be enumerated; use a sampling strategy (random, evolution, predictor, ...)")

    # --- token view ----------------------------------------------------------------------------
    def token_choices(self) -> list[int]:
        """Per cell and edge: the input node, then the operation."""
        return [n for _ in CELLS for e in range(self.n_edges) for n in (self._inputs(e), len(self.ops))]

    def to_tokens(self, value: Any) -> list[int]:
        value = self.validate(value)
        return [t for cell in CELLS for op, src in value[cell] for t in (src, self._op_index[op])]

    def from_tokens(self, tokens: Sequence[int]) -> dict[str, list[list[Any]]]:
        """The genotype of a token sequence; a repeated input of a node is moved to the nearest free one."""
        it = iter(int(t) for t in tokens)
        out = {}
        for cell in CELLS:
            edges: list[list[Any]] = []
            for e in range(self.n_edges):
                src, op = next(it), self.ops[next(it)]
                if e % 2 and src == edges[-1][1]:
                    src = (src + 1) % self._inputs(e)
                edges.append([op, src])
            out[cell] = edges
        return out

    def _config_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if tuple(self.ops) != DARTS_OPS:
            fields["ops"] = list(self.ops)
        if self.steps != 4:
            fields["steps"] = self.steps
        return fields
