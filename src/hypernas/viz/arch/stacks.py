"""Drawings of the sequential spaces: chain networks layer by layer with their output shapes,
inverted-residual (MobileNet) stages block by block, and channel-shuffle (SPOS) stages layer by layer."""

from __future__ import annotations

from typing import Any

from hypernas.space import ChainSpace, MobileNetSpace, ShuffleNetSpace
from hypernas.viz.arch.registry import DRAWINGS
from hypernas.viz.arch.svg import FONT_SIZE, MUTED, Canvas, stack, text_width
from hypernas.viz.style import PALETTE

BOX_HEIGHT = 28
ROW = 46  # from one box's top to the next one's
MARGIN = 16
_LAYER_COLORS = {"input": "#f2f2f2", "conv": "#dbe9f6", "pool": "#fde2c8", "dense": "#dcefd9", "classifier": "#eadcf0"}


def chain_rows(param: ChainSpace, value: Any) -> list[tuple[str, str, str]]:
    """``(kind, layer text, output shape)`` for the input, every layer and the classifier.

    Convolutions keep the map's size (same padding, stride 1), a pooling of size ``s`` divides it by
    ``s``, the first dense layer flattens it; the input's channels are not known to the space (``C``).
    """
    size, channels = param.input_size, "C"
    rows = [("input", "input", f"{channels}×{size}×{size}")]
    flat = False
    for layer in param.validate(value):
        kind = layer["type"]
        if kind == "conv":
            channels = str(layer["filters"])
            rows.append((kind, f"conv {layer['kernel']}×{layer['kernel']}, {layer['filters']} filters", f"{channels}×{size}×{size}"))
        elif kind == "pool":
            size //= layer["size"]
            rows.append((kind, f"max-pool {layer['size']}×{layer['size']}", f"{channels}×{size}×{size}"))
        else:
            text = f"dense {layer['units']}" if flat else f"flatten, dense {layer['units']}"
            flat = True
            rows.append((kind, text, str(layer["units"])))
    rows.append(("classifier", "classifier", "classes"))
    return rows


@DRAWINGS.register("chain")
def draw_chain(param: ChainSpace, value: Any) -> Canvas:
    """The chain top to bottom: one box per layer, its output shape beside it."""
    rows = chain_rows(param, value)
    box = max(text_width(text) for _, text, _ in rows) + 24
    shape_width = max(text_width(shape) for *_, shape in rows)
    canvas = Canvas(MARGIN * 2 + box + 20 + shape_width, MARGIN * 2 + ROW * (len(rows) - 1) + BOX_HEIGHT)
    for i, (kind, text, shape) in enumerate(rows):
        top = MARGIN + i * ROW
        canvas.rect(MARGIN, top, box, BOX_HEIGHT, fill=_LAYER_COLORS[kind])
        canvas.text(MARGIN + box / 2, top + BOX_HEIGHT / 2, text)
        canvas.text(MARGIN + box + 20, top + BOX_HEIGHT / 2, shape, anchor="start", color=MUTED)
        if i:
            canvas.line(MARGIN + box / 2, top - ROW + BOX_HEIGHT, MARGIN + box / 2, top, arrow=True)
    return stack([(f"chain network, {_count(len(rows) - 2, 'layer')}", canvas)])


@DRAWINGS.register("mobilenet")
def draw_mobilenet(param: MobileNetSpace, value: Any) -> Canvas:
    """One row per stage: its output channels and stride, then its blocks (``MB6 k3,5 +SE``: expansion 6,
    depthwise kernels 3 and 5 side by side, squeeze-excitation); ``/2`` marks the block that halves the map."""
    stages = param.validate(value)
    labels = [f"{i + 1}. {c} ch, stride {s}" for i, (c, s) in enumerate(param.stages)]
    label_width = max(text_width(t, FONT_SIZE - 1) for t in labels) + 16
    texts = [_block_text(stage) for stage in stages]
    block_width = max(text_width(t + " /2") for t in texts) + 20
    gap = 16
    depth = max(stage["depth"] for stage in stages)
    canvas = Canvas(MARGIN * 2 + label_width + depth * (block_width + gap), MARGIN * 2 + ROW * len(stages))
    expansions = sorted({stage["expansion"] for stage in stages})
    for i, (stage, label, text) in enumerate(zip(stages, labels, texts)):
        top = MARGIN + i * ROW
        middle = top + BOX_HEIGHT / 2
        canvas.text(MARGIN, middle, label, anchor="start", size=FONT_SIZE - 1)
        fill = PALETTE[expansions.index(stage["expansion"]) % len(PALETTE)]  # the expansion's colour, light
        for b in range(stage["depth"]):
            left = MARGIN + label_width + b * (block_width + gap)
            canvas.rect(left, top, block_width, BOX_HEIGHT, fill=fill, opacity=0.25)
            canvas.text(left + block_width / 2, middle, text + (" /2" if b == 0 and param.stages[i][1] == 2 else ""))
            if b:
                canvas.line(left - gap, middle, left, middle, width=1, arrow=True)
    return stack([(f"inverted-residual stages, {_count(sum(s['depth'] for s in stages), 'block')}", canvas)])


@DRAWINGS.register("shufflenet")
def draw_shufflenet(param: ShuffleNetSpace, value: Any) -> Canvas:
    """One row per stage with its layers' blocks (``shuffle 5x5``, ``xception``), one colour per block;
    ``/2`` marks the first layer of every stage, which halves the map."""
    stages = param.stages(value)
    labels = [f"{i + 1}. {len(stage)} layer{'s' if len(stage) > 1 else ''}" for i, stage in enumerate(stages)]
    label_width = max(text_width(t, FONT_SIZE - 1) for t in labels) + 16
    names = {"xception": "xception", **{f"shuffle{k}": f"shuffle {k}x{k}" for k in (3, 5, 7)}}
    block_width = max(text_width(names[b] + " /2") for b in param.choices) + 20
    gap = 16
    depth = max(len(stage) for stage in stages)
    canvas = Canvas(MARGIN * 2 + label_width + depth * (block_width + gap), MARGIN * 2 + ROW * len(stages))
    for i, (stage, label) in enumerate(zip(stages, labels)):
        top = MARGIN + i * ROW
        middle = top + BOX_HEIGHT / 2
        canvas.text(MARGIN, middle, label, anchor="start", size=FONT_SIZE - 1)
        for b, block in enumerate(stage):
            left = MARGIN + label_width + b * (block_width + gap)
            fill = PALETTE[param.choices.index(block) % len(PALETTE)]  # the block's colour, light
            canvas.rect(left, top, block_width, BOX_HEIGHT, fill=fill, opacity=0.25)
            canvas.text(left + block_width / 2, middle, names[block] + (" /2" if b == 0 else ""))
            if b:
                canvas.line(left - gap, middle, left, middle, width=1, arrow=True)
    return stack([(f"channel-shuffle stages, {_count(param.n_layers, 'layer')}", canvas)])


def _block_text(stage: dict[str, Any]) -> str:
    kernels = ",".join(str(k) for k in stage["kernel"])
    return f"MB{stage['expansion']} k{kernels}" + (" +SE" if stage["se"] else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
