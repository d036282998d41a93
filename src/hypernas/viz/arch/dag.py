"""A cell as a DAG with an operation on every edge: nodes in topological order on a line, edges between
neighbours straight, longer edges as arcs above and below.

An edge ``i -> j`` of span ``j - i >= 2`` is an arc above the line when ``i`` is even, below when odd,
as high as its span: two arcs at the same height start two nodes apart or more, and the spacing of
the nodes is wider than any label, so no two labels overlap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hypernas.viz.arch.svg import FONT_SIZE, MUTED, Canvas, text_width
from hypernas.viz.style import PALETTE

NODE_HEIGHT = 26
ARC_BASE = 32  # the lowest arc's height above the nodes
ARC_STEP = 34  # how much higher each longer span goes
MARGIN = 16


def op_colors(ops: Sequence[str]) -> dict[str, str]:
    """A colour for every operation of a vocabulary, the same in every drawing of that space."""
    return {op: PALETTE[i % len(PALETTE)] for i, op in enumerate(ops)}


def _arc_height(span: int) -> float:
    return ARC_BASE + ARC_STEP * (span - 2)


def draw_dag(nodes: Sequence[str], edges: Sequence[tuple[int, int, str]], colors: Mapping[str, str],
             concat: Sequence[int] = ()) -> Canvas:
    """Nodes (labels, in topological order) and labelled edges ``(i, j, op)`` with ``i < j``.

    ``concat`` lists the nodes joined into an extra output node (a DARTS cell's concatenation), drawn
    with dashed lines to a bar under the cell.
    """
    widths = [max(30.0, text_width(n) + 14) for n in nodes]
    widest_label = max([text_width(op) for *_, op in edges] + [0.0])
    spacing = max(widths) + widest_label + 36
    up = max([_arc_height(j - i) for i, j, _ in edges if j - i >= 2 and i % 2 == 0] + [0.0])
    down = max([_arc_height(j - i) for i, j, _ in edges if j - i >= 2 and i % 2 == 1] + [0.0])
    top = MARGIN + up + FONT_SIZE
    y = top + NODE_HEIGHT / 2
    xs = [MARGIN + max(widths) / 2 + i * spacing for i in range(len(nodes))]
    bus = y + NODE_HEIGHT / 2 + down + FONT_SIZE + 18
    width = xs[-1] + max(widths) / 2 + MARGIN + (60 if concat else 0)
    height = (bus + NODE_HEIGHT / 2 if concat else y + NODE_HEIGHT / 2 + down + FONT_SIZE) + MARGIN
    canvas = Canvas(width, height)
    labels: list[tuple[float, float, str, str]] = []
    for i, j, op in edges:
        color = colors.get(op, MUTED)
        span = j - i
        if span == 1:
            canvas.line(xs[i] + widths[i] / 2, y, xs[j] - widths[j] / 2, y, color=color, arrow=True)
            labels.append(((xs[i] + widths[i] / 2 + xs[j] - widths[j] / 2) / 2, y, op, color))
            continue
        sign = -1 if i % 2 == 0 else 1  # above the line for even sources, below for odd
        edge_y = y + sign * NODE_HEIGHT / 2
        h = _arc_height(span)
        mid = (xs[i] + xs[j]) / 2
        canvas.curve((xs[i] + 6, edge_y), (mid, edge_y + sign * 2 * h), (xs[j] - 6, edge_y), color=color)
        labels.append((mid, edge_y + sign * h, op, color))
    if concat:
        out_x = width - MARGIN - 30
        for k in concat:
            canvas.line(xs[k], y + NODE_HEIGHT / 2, xs[k], bus, color=MUTED, width=1, dashed=True)
        canvas.line(min(xs[k] for k in concat), bus, out_x - 24, bus, color=MUTED, width=1, arrow=True)
        canvas.rect(out_x - 24, bus - NODE_HEIGHT / 2, 48, NODE_HEIGHT, fill="#f2f2f2")
        canvas.text(out_x, bus, "out")
        canvas.text((min(xs[k] for k in concat) + out_x) / 2, bus - 9, "concat", size=FONT_SIZE - 2, color=MUTED)
    for x, node, w in zip(xs, nodes, widths):
        canvas.rect(x - w / 2, y - NODE_HEIGHT / 2, w, NODE_HEIGHT, fill="#f2f2f2")
        canvas.text(x, y, node)
    for x, label_y, op, color in labels:
        canvas.text(x, label_y, op, color=color, backdrop=True)
    return canvas
