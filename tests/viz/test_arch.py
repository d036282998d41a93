"""Architecture drawings: valid SVG with every operation and shape on it, labels that do not overlap."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import hypernas as hn
from hypernas import PlotError, SpaceError
from hypernas.viz import DRAWINGS, can_draw, draw_architecture
from hypernas.viz.arch.stacks import chain_rows
from hypernas.viz.arch.svg import CHAR_WIDTH

SVG = "{http://www.w3.org/2000/svg}"
SPACES = {"nb201": hn.NB201Cell(), "darts": hn.DARTSCell(), "chain": hn.ChainSpace(), "mobilenet": hn.MobileNetSpace(),
          "hierarchical": hn.HierarchicalSpace(), "shufflenet": hn.ShuffleNetSpace()}


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def boxes(svg: str) -> list[tuple[float, float, float, float, str]]:
    """Each label's box (left, top, right, bottom) in page coordinates (groups are translated)."""
    out = []

    def walk(node: ET.Element, dx: float, dy: float) -> None:
        if node.tag == f"{SVG}g":
            x, y = node.get("transform", "translate(0,0)")[len("translate("):-1].split(",")
            dx, dy = dx + float(x), dy + float(y)
        if node.tag == f"{SVG}text":
            size, width = float(node.get("font-size")), len(node.text or "") * float(node.get("font-size")) * CHAR_WIDTH
            x, y = float(node.get("x")) + dx, float(node.get("y")) + dy
            left = {"start": x, "middle": x - width / 2, "end": x - width}[node.get("text-anchor")]
            out.append((left, y - size / 2, left + width, y + size / 2, node.text or ""))
        for child in node:
            walk(child, dx, dy)

    walk(ET.fromstring(svg), 0.0, 0.0)
    return out


def test_every_architecture_space_has_a_drawing():
    assert set(DRAWINGS.names()) == set(SPACES)
    assert all(can_draw(p) for p in SPACES.values()) and not can_draw(hn.Float(0, 1))


def test_nb201_cell_is_a_dag_with_its_operations_on_the_edges():
    cell = "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_1x1~1|nor_conv_3x3~2|"
    svg = draw_architecture(hn.NB201Cell(name="cell"), cell)
    labels = texts(svg)
    assert {"in", "1", "2", "out"} <= set(labels)
    assert sorted(label for label in labels if "_" in label) == sorted(
        ["nor_conv_3x3", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3"])  # none: no edge
    assert "5 of 6 edges" in " ".join(labels)
    root = ET.fromstring(svg)
    assert len(root.findall(f".//{SVG}polygon")) == 5  # an arrowhead per edge
    assert root.find(f"{SVG}title").text.startswith("cell: |nor_conv_3x3~0|")


def test_darts_genotype_draws_the_normal_and_the_reduction_cell():
    genotype = {"normal": [["sep_conv_3x3", 0], ["skip_connect", 1], ["sep_conv_5x5", 0], ["dil_conv_3x3", 2],
                           ["max_pool_3x3", 1], ["sep_conv_3x3", 3], ["avg_pool_3x3", 0], ["dil_conv_5x5", 4]],
                "reduce": [["max_pool_3x3", 0], ["max_pool_3x3", 1], ["skip_connect", 2], ["max_pool_3x3", 0],
                           ["max_pool_3x3", 0], ["skip_connect", 2], ["skip_connect", 2], ["avg_pool_3x3", 0]]}
    labels = texts(draw_architecture(hn.DARTSCell(), genotype))
    assert "normal cell" in labels and "reduce cell" in labels
    assert labels.count("c_{k-2}") == 2 and labels.count("out") == 2 and labels.count("concat") == 2
    ops = [label for label in labels if "_" in label and not label.startswith("c_")]
    assert sorted(ops) == sorted(op for cell in ("normal", "reduce") for op, _ in genotype[cell])


def test_chain_is_drawn_layer_by_layer_with_its_shapes():
    space = hn.ChainSpace(input_size=32)
    layers = [{"type": "conv", "filters": 16, "kernel": 3}, {"type": "pool", "size": 2},
              {"type": "conv", "filters": 32, "kernel": 5}, {"type": "dense", "units": 64}]
    assert chain_rows(space, layers) == [
        ("input", "input", "C×32×32"), ("conv", "conv 3×3, 16 filters", "16×32×32"), ("pool", "max-pool 2×2", "16×16×16"),
        ("conv", "conv 5×5, 32 filters", "32×16×16"), ("dense", "flatten, dense 64", "64"),
        ("classifier", "classifier", "classes")]
    labels = texts(draw_architecture(space, layers))
    assert {"chain network, 4 layers", "conv 3×3, 16 filters", "16×16×16", "flatten, dense 64", "classifier"} <= set(labels)
    assert "chain network, 1 layer" in texts(draw_architecture(space, layers[:1]))


def test_mobilenet_stages_show_every_block():
    space = hn.MobileNetSpace(stages=[[16, 1], [24, 2]])
    stages = [{"expansion": 1, "kernel": [3], "se": False, "depth": 1}, {"expansion": 6, "kernel": [3, 5], "se": True, "depth": 3}]
    labels = texts(draw_architecture(space, stages))
    assert "1. 16 ch, stride 1" in labels and "2. 24 ch, stride 2" in labels
    assert labels.count("MB1 k3") == 1 and labels.count("MB6 k3,5 +SE /2") == 1 and labels.count("MB6 k3,5 +SE") == 2


def test_shufflenet_stages_show_every_layer():
    space = hn.ShuffleNetSpace(depths=[1, 3])
    labels = texts(draw_architecture(space, ["xception", "shuffle7", "shuffle3", "shuffle7"]))
    assert "1. 1 layer" in labels and "2. 3 layers" in labels and "channel-shuffle stages, 4 layers" in labels
    assert labels.count("xception /2") == 1 and labels.count("shuffle 7x7 /2") == 1
    assert labels.count("shuffle 3x3") == 1 and labels.count("shuffle 7x7") == 1


def test_hierarchical_genotype_draws_the_top_motif_and_every_motif():
    space = hn.HierarchicalSpace(n_motifs=2, motif_nodes=3, top_nodes=3)
    genotype = {"motifs": [["conv_1x1", "none", "identity"], ["sep_conv_3x3", "max_pool_3x3", "none"]], "top": [0, "none", 0]}
    labels = texts(draw_architecture(space, genotype))
    assert labels.count("motif 0") == 3 and "motif 1 (unused)" in labels  # twice on the top motif, once as a title
    assert {"conv_1x1", "identity", "sep_conv_3x3", "max_pool_3x3"} <= set(labels) and "none" not in labels


@pytest.mark.parametrize("kind", sorted(SPACES))
def test_random_genotypes_draw_valid_svg_without_overlapping_labels(kind):
    space = SPACES[kind]
    rng = np.random.default_rng(0)
    for _ in range(15):
        svg = draw_architecture(space, space.sample(rng))
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg" and float(root.get("width")) > 0 and "id=" not in svg
        width, height = float(root.get("width")), float(root.get("height"))
        found = boxes(svg)
        for a, b in itertools.combinations(found, 2):
            overlap = min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1
            assert not overlap, f"{kind}: labels {a[4]!r} and {b[4]!r} overlap"
        assert all(x0 >= 0 and x1 <= width + 1 and y0 >= 0 and y1 <= height + 1 for x0, y0, x1, y1, _ in found)


def test_user_text_is_escaped():
    space = hn.ChainSpace()
    svg = draw_architecture(hn.NB201Cell(name="<cell & co>"), hn.NB201Cell().default)
    assert "&lt;cell &amp; co&gt;" in svg
    ET.fromstring(draw_architecture(space, space.default))


def test_a_space_without_a_drawing_and_a_bad_genotype_are_one_line():
    with pytest.raises(PlotError, match="parameter 'lr' \\(float\\) has no drawing; drawings exist for chain, darts"):
        draw_architecture(hn.Float(0, 1, name="lr"), 0.5)
    with pytest.raises(SpaceError, match="is not a cell string"):
        draw_architecture(hn.NB201Cell(), 3)
