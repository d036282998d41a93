"""Drawings of the cell spaces: the NAS-Bench-201 cell, DARTS normal and reduction cells, hierarchical motifs."""

from __future__ import annotations

from typing import Any

from hypernas.space import DARTSCell, HierarchicalSpace, NB201Cell
from hypernas.viz.arch.dag import draw_dag, op_colors
from hypernas.viz.arch.registry import DRAWINGS
from hypernas.viz.arch.svg import Canvas, stack


@DRAWINGS.register("nb201")
def draw_nb201(param: NB201Cell, value: Any) -> Canvas:
    """The cell's nodes (input, intermediate, output) with every edge's operation; ``none`` edges are left out."""
    ops = param.to_ops(param.validate(value))
    nodes = ["in", *(str(k) for k in range(1, param.nodes - 1)), "out"]
    edges = [(i, j, op) for (i, j), op in zip(param.edges, ops) if op != "none"]
    return stack([(f"NAS-Bench-201 cell ({len(edges)} of {len(ops)} edges)", draw_dag(nodes, edges, op_colors(param.ops)))])


@DRAWINGS.register("darts")
def draw_darts(param: DARTSCell, value: Any) -> Canvas:
    """The normal and the reduction cell: inputs ``c_{k-2}``, ``c_{k-1}``, the intermediate nodes with their two
    operations each, all intermediate nodes concatenated into the output."""
    genotype = param.validate(value)
    colors = op_colors(param.ops)
    nodes = ["c_{k-2}", "c_{k-1}", *(str(k) for k in range(param.steps))]
    panels = []
    for cell in ("normal", "reduce"):
        edges = sorted(((src, e // 2 + 2, op) for e, (op, src) in enumerate(genotype[cell]) if op != "none"),
                       key=lambda edge: (edge[1], edge[0]))
        panels.append((f"{cell} cell", draw_dag(nodes, edges, colors, concat=range(2, param.steps + 2))))
    return stack(panels)


@DRAWINGS.register("hierarchical")
def draw_hierarchical(param: HierarchicalSpace, value: Any) -> Canvas:
    """The top-level motif, whose edges are level-2 motifs, then each level-2 motif over the primitive operations."""
    genotype = param.validate(value)
    used = {m for m in genotype["top"] if m != "none"}
    top_edges = [(i, j, f"motif {m}") for (i, j), m in zip(param.top_edges, genotype["top"]) if m != "none"]
    top_nodes = ["in", *(str(k) for k in range(1, param.top_nodes - 1)), "out"]
    motif_colors = op_colors([f"motif {m}" for m in range(param.n_motifs)])
    panels = [("top-level motif", draw_dag(top_nodes, top_edges, motif_colors))]
    colors = op_colors(param.ops)
    nodes = ["in", *(str(k) for k in range(1, param.motif_nodes - 1)), "out"]
    for m, motif in enumerate(genotype["motifs"]):
        edges = [(i, j, op) for (i, j), op in zip(param.motif_edges, motif) if op != "none"]
        panels.append((f"motif {m}" + ("" if m in used else " (unused)"), draw_dag(nodes, edges, colors)))
    return stack(panels)
