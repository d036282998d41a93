"""A small SVG writer: shapes and monospaced labels on a canvas of known size, panels stacked top to bottom.

Labels are monospaced so their width is known without a font (``0.6`` em per character): layouts
space their boxes by it, and a label keeps a white box behind it so a line it sits on stays readable.
No ``id`` is used (arrowheads are drawn as triangles), so many drawings can share one HTML page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
FONT_SIZE = 12
CHAR_WIDTH = 0.6  # of the font size, for a monospaced font
TEXT_COLOR = "#222222"
MUTED = "#666666"


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """The width of ``text`` in pixels at ``size``, in the monospaced font."""
    return len(text) * size * CHAR_WIDTH


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


class Canvas:
    """SVG elements on a ``width`` x ``height`` area (pixels, y downwards)."""

    def __init__(self, width: float, height: float) -> None:
        self.width = width
        self.height = height
        self.parts: list[str] = []

    def text(self, x: float, y: float, label: str, *, size: float = FONT_SIZE, anchor: str = "middle",
             color: str = TEXT_COLOR, bold: bool = False, backdrop: bool = False) -> None:
        """``label`` centred vertically at ``y``; ``anchor`` is where ``x`` is (start, middle, end)."""
        if backdrop:
            w = text_width(label, size) + 6
            left = {"start": x - 3, "middle": x - w / 2, "end": x - w + 3}[anchor]
            self.rect(left, y - size * 0.7, w, size * 1.4, fill="white", stroke="none", radius=3)
        weight = ' font-weight="bold"' if bold else ""
        self.parts.append(f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" text-anchor="{anchor}" '
                          f'dominant-baseline="central" fill="{color}"{weight}>{escape(label)}</text>')

    def rect(self, x: float, y: float, w: float, h: float, *, fill: str = "white", stroke: str = TEXT_COLOR,
             radius: float = 4, opacity: float = 1.0) -> None:
        """A rounded rectangle; ``opacity`` is its fill's."""
        faded = f' fill-opacity="{_n(opacity)}"' if opacity < 1 else ""
        self.parts.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="{_n(radius)}" '
                          f'fill="{fill}"{faded} stroke="{stroke}"/>')

    def line(self, x1: float, y1: float, x2: float, y2: float, *, color: str = TEXT_COLOR, width: float = 1.5,
             dashed: bool = False, arrow: bool = False) -> None:
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        self.parts.append(f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{color}" '
                          f'stroke-width="{_n(width)}"{dash}/>')
        if arrow:
            self.arrowhead(x2, y2, math.atan2(y2 - y1, x2 - x1), color)

    def curve(self, start: tuple[float, float], control: tuple[float, float], end: tuple[float, float], *,
              color: str = TEXT_COLOR, width: float = 1.5) -> None:
        """A quadratic Bézier curve with an arrowhead at ``end``."""
        (x0, y0), (cx, cy), (x1, y1) = start, control, end
        self.parts.append(f'<path d="M {_n(x0)} {_n(y0)} Q {_n(cx)} {_n(cy)} {_n(x1)} {_n(y1)}" fill="none" '
                          f'stroke="{color}" stroke-width="{_n(width)}"/>')
        self.arrowhead(x1, y1, math.atan2(y1 - cy, x1 - cx), color)

    def arrowhead(self, x: float, y: float, angle: float, color: str, size: float = 8) -> None:
        """A filled triangle whose tip is at (``x``, ``y``), pointing along ``angle`` (radians)."""
        points = [(x, y)] + [(x - size * math.cos(angle + s * 0.4), y - size * math.sin(angle + s * 0.4)) for s in (-1, 1)]
        coords = " ".join(f"{_n(px)},{_n(py)}" for px, py in points)
        self.parts.append(f'<polygon points="{coords}" fill="{color}"/>')

    def place(self, other: Canvas, dx: float, dy: float) -> None:
        """Draw ``other`` with its top-left corner at (``dx``, ``dy``)."""
        self.parts.append(f'<g transform="translate({_n(dx)},{_n(dy)})">{"".join(other.parts)}</g>')

    def svg(self, title: str | None = None) -> str:
        """The canvas as a standalone SVG document (``title`` is its accessible name)."""
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(self.width)}" height="{_n(self.height)}" '
                f'viewBox="0 0 {_n(self.width)} {_n(self.height)}" font-family={quoteattr(FONT)} role="img">')
        name = f"<title>{escape(title)}</title>" if title else ""
        return f'{head}{name}<rect width="100%" height="100%" fill="white"/>{"".join(self.parts)}</svg>'


def stack(panels: Sequence[tuple[str, Canvas]], gap: float = 16) -> Canvas:
    """Panels one under another, each under its title."""
    title_height = FONT_SIZE * 2
    width = max([p.width for _, p in panels] + [text_width(t, FONT_SIZE + 1) + 20 for t, _ in panels])
    height = sum(title_height + p.height + gap for _, p in panels)
    out = Canvas(width, height)
    y = 0.0
    for title, panel in panels:
        out.text(10, y + title_height / 2 + 2, title, anchor="start", bold=True, size=FONT_SIZE + 1)
        out.place(panel, 0, y + title_height)
        y += title_height + panel.height + gap
    return out
