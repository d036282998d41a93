"""Mixed operations: the edge of a supernet, a weighted sum of every candidate operation.

The weights are not parameters of the edges. A supernet owns them and, for each forward pass,
puts the mixing weights of every cell type in one :class:`Mixing` holder that all its edges
share; edge ``row`` of a cell of type ``key`` reads ``weights[key][row]``. So the same network
skeleton runs with softmax weights (DARTS), one-hot weights (single path) or any others.

``none`` is never computed: it adds nothing. A candidate whose weight is exactly 0 is not computed
either (it adds nothing; under a softmax its weight's gradient is 0 too, since d softmax_o / d alpha
carries the factor softmax_o). The fused form (the default) also shares, among the edges of a cell
that read the same node: the ReLU that opens every convolution, one convolution per kernel size for
all their ReLU-conv-BN candidates (their kernels concatenated), and each pooling. Batch norms stay
per edge, each scaled by its candidate's weight inside the batch-norm call (no separate product, one saved
tensor fewer). Every sharing computes the same function as the per-edge form. Average poolings (both forms) are
box-filter depthwise convolutions divided by their counts: the same function, several times faster on CPU.

Hard (straight-through one-hot) weights, GDAS: only the sampled candidate is computed, and every candidate
weighted exactly 0 adds its weight (0 in value) to the edge's output, so its gradient is the sum of the output's
gradient, as in GDAS's published code; the architecture logits of every candidate get a gradient.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.utils import _pair

from hypernas.errors import InternalError, SpaceError
from hypernas.estimate.models.ops import CELL_BUILDERS, DilConv, FactorizedReduce, ReLUConvBN, SepConv, cell_edge
from hypernas.estimate.models.shufflenet import channel_shuffle
from hypernas.validate import check_int


class Mixing:
    """What the edges of one supernet read during a forward pass: the weights of every cell type's
    candidates (``key -> (edges, candidates)``), optionally each edge's scale (edge normalisation,
    ``key -> (edges,)``), and the results edges reading the same node share. ``hard``: the weights are
    straight-through one-hot weights (GDAS), see the module's docstring."""

    def __init__(self, fused: bool = True) -> None:
        self.fused = fused
        self.hard = False
        self.weights: dict[str, torch.Tensor] | None = None
        self.active: dict[str, list[list[int]]] = {}
        self.edge_scale: dict[str, torch.Tensor] | None = None
        self.shared: dict[int, _Shared] = {}

    @contextmanager
    def use(self, weights: Mapping[str, torch.Tensor],
            edge_scale: Mapping[str, torch.Tensor] | None = None, *, hard: bool = False) -> Iterator[None]:
        """Mix with ``weights`` (and scale the edges by ``edge_scale``) inside the block; ``hard``: straight-through
        one-hot weights."""
        self.weights = dict(weights)
        self.hard = hard
        self.active = {key: [[k for k in range(len(row)) if row[k] != 0] for row in w.detach().tolist()]
                       for key, w in self.weights.items()}
        self.edge_scale = None if edge_scale is None else dict(edge_scale)
        try:
            yield
        finally:
            self.weights, self.edge_scale, self.hard = None, None, False
            self.active, self.shared = {}, {}


class BoxAvgPool2d(nn.AvgPool2d):
    """An average pooling computed as a depthwise convolution with a box of ones, divided by how many inputs each
    output averages: the function of :class:`~torch.nn.AvgPool2d` (within float rounding), several times faster
    on CPU. Mixed edges use it for their average-pooling candidates."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._counts: dict[tuple[Any, ...], torch.Tensor] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.ceil_mode or self.divisor_override is not None:
            return super().forward(x)
        kernel, stride, padding = _pair(self.kernel_size), _pair(self.stride), _pair(self.padding)
        box = x.new_ones(1, 1, *kernel)
        total = F.conv2d(x, box.expand(x.shape[1], 1, *kernel), None, stride, padding, 1, x.shape[1])
        if self.count_include_pad:
            return total / box.numel()
        key = (tuple(x.shape[2:]), x.dtype, x.device)
        counts = self._counts.get(key)
        if counts is None:
            counts = F.conv2d(x.new_ones(1, 1, *x.shape[2:]), box, None, stride, padding)
            self._counts = {key: counts}  # one input size at a time: kept until the size changes
        return total / counts


def _box(pool: nn.AvgPool2d) -> BoxAvgPool2d:
    return BoxAvgPool2d(pool.kernel_size, pool.stride, pool.padding, pool.ceil_mode,
                        pool.count_include_pad, pool.divisor_override)


def fast_cell_edge(op: Any, channels: int, stride: int) -> nn.Module:
    """:func:`~hypernas.estimate.models.ops.cell_edge`, with an average pooling as a :class:`BoxAvgPool2d`."""
    built = cell_edge(op, channels, stride)
    return _box(built) if isinstance(built, nn.AvgPool2d) else built


class ScaledBatchNorm2d(nn.BatchNorm2d):
    """A batch norm whose output can be scaled by a (differentiable) scalar inside the one batch-norm call:
    ``bn(x, w) = w * bn(x)``, saving the separate product and the unscaled output for the backward pass."""

    def forward(self, x: torch.Tensor, scale: torch.Tensor | None = None) -> torch.Tensor:
        if scale is None:
            return super().forward(x)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        weight = scale.expand(x.shape[1]) if self.weight is None else scale * self.weight
        bias = None if self.bias is None else scale * self.bias
        return F.batch_norm(x, self.running_mean if keep else None, self.running_var if keep else None, weight, bias,
                            use_batch, momentum, self.eps)


def _scaled(bn: nn.BatchNorm2d) -> ScaledBatchNorm2d:
    out = ScaledBatchNorm2d(bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats)
    out.load_state_dict(bn.state_dict())
    return out


class PooledBN(nn.Sequential):
    """A pooling followed by a batch norm: a pooling candidate of a DARTS search cell (as published)."""


def _starts_with_relu(op: nn.Module) -> bool:
    return isinstance(op, (ReLUConvBN, DilConv, SepConv, FactorizedReduce))


def _after_relu(op: nn.Module, rx: torch.Tensor) -> torch.Tensor:
    """``op(x)`` given ``rx = relu(x)``, for an operation that starts with a ReLU."""
    if isinstance(op, SepConv):
        return op[1](_after_relu(op[0], rx))
    if isinstance(op, FactorizedReduce):
        return op.after_relu(rx)
    if not isinstance(op, (ReLUConvBN, DilConv)):
        raise InternalError(f"{type(op).__name__} does not start with a ReLU")
    for layer in list(op)[1:]:  # Sequential(ReLU, ...)
        rx = layer(rx)
    return rx


def _without_affine(module: nn.Module) -> nn.Module:
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d) and m.affine:
            m.affine = False
            m.register_parameter("weight", None)
            m.register_parameter("bias", None)
    return module


class MixedOp(nn.Module):
    """The weighted sum of ``candidates`` on one edge of ``channels`` channels.

    ``partial = K > 1`` is PC-DARTS's partial channel connection: the candidates see the first
    ``channels / K`` channels, the others pass by (max-pooled on a reduction edge), then the channels
    are shuffled in K groups (as in the published code, the shuffle makes every edge sample other
    channels than its input's edge did).
    """

    def __init__(self, candidates: Sequence[str], channels: int, stride: int, *, partial: int = 1,
                 affine: bool = False, pool_bn: bool = False, mixing: Mixing) -> None:
        super().__init__()
        self.candidates = tuple(candidates)
        self.stride = stride
        self.partial = partial
        self.width = channels // partial
        ops = {}
        for name in self.candidates:
            if name == "none":
                continue
            op = CELL_BUILDERS[name](self.width, stride)
            if isinstance(op, nn.AvgPool2d):
                op = _box(op)
            if pool_bn and "pool" in name:
                op = PooledBN(op, ScaledBatchNorm2d(self.width))
            elif isinstance(op, ReLUConvBN) and isinstance(op[2], nn.BatchNorm2d):
                op[2] = _scaled(op[2])
            ops[name] = op if affine else _without_affine(op)
        self.ops = nn.ModuleDict(ops)
        self.mixing = mixing
        self.key = ""
        self.row = -1
        self.group: SourceGroup | None = None

    def bind(self, key: str, row: int, group: SourceGroup) -> None:
        """Read the weights of row ``row`` of cell type ``key``; share work with the edges of ``group``."""
        self.key, self.row, self.group = key, row, group

    def active(self) -> list[int]:
        """The candidates to compute in this forward pass: neither ``none`` nor weighted exactly 0."""
        return [k for k in self.mixing.active[self.key][self.row] if self.candidates[k] != "none"]

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The channels the candidates see, and those that pass by (max-pooled on a reduction edge; ``None``
        without partial channels)."""
        if self.partial == 1:
            return x, None
        rest = x[:, self.width:]
        return x[:, : self.width], F.max_pool2d(rest, 2, 2) if self.stride == 2 else rest

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.mixing
        if m.weights is None or self.group is None:
            raise InternalError("a mixed edge runs only inside its supernet's forward, which sets the mixing weights")
        w = m.weights[self.key][self.row]
        active = self.active()
        if m.fused:
            shared = self.group.shared(x)
            xs, rest = shared.xs, shared.rest
            terms = [shared.weighted(self, self.candidates[k], w[k]) for k in active]
        else:
            xs, rest = self.split(x)
            terms = [w[k] * self.ops[self.candidates[k]](xs) for k in active]
        out = _sum(terms) if terms else torch.zeros_like(xs[:, :, :: self.stride, :: self.stride])
        if m.hard:
            computed = set(m.active[self.key][self.row])
            out = _sum([out, *(w[k] for k in range(len(self.candidates)) if k not in computed)])
        if rest is not None:
            out = channel_shuffle(torch.cat([out, rest], dim=1), self.partial)
        if m.edge_scale is not None:
            out = m.edge_scale[self.key][self.row] * out
        return out


def _sum(terms: list[torch.Tensor]) -> torch.Tensor:
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


class SourceGroup:
    """The mixed edges of one cell that read the same node (so share the same input, stride and channel split)."""

    def __init__(self, edges: Sequence[MixedOp]) -> None:
        self.edges = list(edges)

    def shared(self, x: torch.Tensor) -> _Shared:
        """The results shared by this group's edges for input ``x`` (made on the first edge's call)."""
        mixing = self.edges[0].mixing
        found = mixing.shared.get(id(self))
        if found is None or found.x is not x:
            found = _Shared(self, x)
            mixing.shared[id(self)] = found
        return found


class _Shared:
    """One forward pass's work shared by a source group: channel split, ReLU, fused convolutions, poolings."""

    def __init__(self, group: SourceGroup, x: torch.Tensor) -> None:
        first = group.edges[0]
        self.x = x
        self.xs, self.rest = first.split(x)
        self._relu: torch.Tensor | None = None
        self._pools: dict[str, torch.Tensor] = {}
        self._convs: dict[tuple[int, str], torch.Tensor] = {}
        self._fuse_convs(group)

    @property
    def rx(self) -> torch.Tensor:
        if self._relu is None:
            self._relu = F.relu(self.xs)
        return self._relu

    def _fuse_convs(self, group: SourceGroup) -> None:
        """One convolution per (kernel, stride, padding, dilation) for every active ReLU-conv-BN candidate."""
        by_shape: dict[tuple[Any, ...], list[tuple[int, str, nn.Conv2d]]] = {}
        for e, edge in enumerate(group.edges):
            for k in edge.active():
                name = edge.candidates[k]
                op = edge.ops[name]
                conv = op[1] if isinstance(op, ReLUConvBN) else None
                if isinstance(conv, nn.Conv2d):
                    shape = (conv.kernel_size, conv.stride, conv.padding, conv.dilation)
                    by_shape.setdefault(shape, []).append((e, name, conv))
        for (_, stride, padding, dilation), convs in by_shape.items():
            weight = torch.cat([conv.weight for _, _, conv in convs]) if len(convs) > 1 else convs[0][2].weight
            y = F.conv2d(self.rx, weight, None, stride, padding, dilation)
            for (e, name, _), part in zip(convs, y.split([conv.out_channels for _, _, conv in convs], dim=1)):
                self._convs[(id(group.edges[e]), name)] = part

    def weighted(self, edge: MixedOp, name: str, w: torch.Tensor) -> torch.Tensor:
        """``w`` times candidate ``name`` of ``edge`` applied to this group's input; a candidate ending in a batch norm
        scales inside it."""
        op = edge.ops[name]
        conv = self._convs.get((id(edge), name))
        if conv is not None and isinstance(op, ReLUConvBN) and isinstance(op[2], ScaledBatchNorm2d):
            return op[2](conv, w)
        if isinstance(op, PooledBN) and isinstance(op[1], ScaledBatchNorm2d):
            return op[1](self._pool(name, op[0]), w)
        return w * self.output(edge, name)

    def output(self, edge: MixedOp, name: str) -> torch.Tensor:
        """Candidate ``name`` of ``edge`` applied to this group's input."""
        op = edge.ops[name]
        conv = self._convs.get((id(edge), name))
        if conv is not None and isinstance(op, ReLUConvBN):
            return op[2](conv)  # its own batch norm
        if isinstance(op, PooledBN):
            return op[1](self._pool(name, op[0]))
        if isinstance(op, (nn.AvgPool2d, nn.MaxPool2d)):
            return self._pool(name, op)
        if _starts_with_relu(op):
            return _after_relu(op, self.rx)
        return op(self.xs)

    def _pool(self, name: str, pool: nn.Module) -> torch.Tensor:
        if name not in self._pools:
            self._pools[name] = pool(self.xs)
        return self._pools[name]


class MixedEdges:
    """The edge factory of a supernet: ``edge(candidates, channels, stride)`` builds a :class:`MixedOp` sharing
    this factory's :class:`Mixing`, and remembers every edge in the order the skeleton asked for them."""

    def __init__(self, mixing: Mixing, *, partial: int = 1, affine: bool = False, pool_bn: bool = False) -> None:
        self.mixing = mixing
        self.partial = check_int("mixed edges", "partial", partial, 1, error=SpaceError)
        self.affine = affine
        self.pool_bn = pool_bn
        self.created: list[MixedOp] = []

    def __call__(self, op: Any, channels: int, stride: int) -> MixedOp:
        if isinstance(op, str) or not isinstance(op, Sequence) or not op:
            raise SpaceError(f"mixed edges: an edge needs a tuple of candidate operations, got {op!r}")
        if channels % self.partial or channels < self.partial:
            raise SpaceError(f"mixed edges: partial channels {self.partial} must divide the edge width, got width "
                             f"{channels}")
        unknown = [name for name in op if name not in CELL_BUILDERS]
        if unknown:
            raise SpaceError(f"mixed edges: unknown operation {unknown[0]!r}; allowed: {', '.join(CELL_BUILDERS)}")
        edge = MixedOp(op, channels, stride, partial=self.partial, affine=self.affine, pool_bn=self.pool_bn,
                       mixing=self.mixing)
        self.created.append(edge)
        return edge
