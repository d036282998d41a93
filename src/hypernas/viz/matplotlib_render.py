"""The plots as matplotlib figures, for image files (PNG, SVG, PDF) without a browser.

Every plot of :mod:`hypernas.viz` is built once, as a plotly figure, from a small vocabulary: scatter
traces (markers, lines, step lines, bands filled to the previous trace), horizontal or vertical bars
(on a date axis for the timeline), contours, parallel coordinates and 3-D scatters, on subplots of
linear, log or tick-labelled axes. :func:`to_matplotlib` draws that vocabulary with matplotlib, so a
plot's file and its page show the same thing. Hover texts, which a file cannot show, are left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypernas.errors import PlotError

if TYPE_CHECKING:
    import matplotlib.figure
    import plotly.graph_objects as go
    from matplotlib.axes import Axes

IMAGE_TYPES = ("png", "svg", "pdf")
_SYMBOLS = {"circle": "o", "x": "x", "diamond": "D", "square": "s", "star": "*", "triangle-up": "^", "cross": "+"}
_DASHES = {"solid": "-", "dash": "--", "dot": ":", "dashdot": "-."}
_AXIS_KEY = re.compile(r"^([xy])axis(\d*)$")


def to_matplotlib(fig: go.Figure | Mapping[str, Any]) -> matplotlib.figure.Figure:
    """A matplotlib figure drawing the plotly figure ``fig`` (a figure of :mod:`hypernas.viz`, or its JSON dict).

    The figure is not registered with pyplot: save it with ``.savefig(path)``.
    """
    from matplotlib.figure import Figure

    spec = _decoded(fig if isinstance(fig, Mapping) else fig.to_plotly_json())
    layout = spec.get("layout", {})
    traces = list(spec.get("data", []))
    cells = _cells(layout, traces)
    nrows = max((r for r, _ in cells.values()), default=0) + 1
    ncols = max((c for _, c in cells.values()), default=0) + 1
    width, height = layout.get("width"), layout.get("height")
    size = (width / 100 if width else max(6.4, 3.8 * ncols), height / 100 if height else max(4.2, 2.8 * nrows))
    figure = Figure(figsize=size, layout="constrained")
    grid = figure.add_gridspec(nrows, ncols)
    kinds = {t.get("type", "scatter") for t in traces}
    axes: dict[str, Axes] = {}
    if "scatter3d" in kinds:
        axes["scene"] = figure.add_subplot(grid[0, 0], projection="3d")
    elif "parcoords" in kinds:
        axes["parcoords"] = figure.add_subplot(grid[0, 0])
    else:
        for suffix, (row, col) in sorted(cells.items()):
            axes[suffix] = figure.add_subplot(grid[row, col])
    previous: dict[str, Any] = {}
    grouped = [t for t in traces if t.get("type") == "bar"] if layout.get("barmode") == "group" else []
    for trace in traces:
        kind = trace.get("type", "scatter")
        if kind == "scatter3d":
            _scatter3d(figure, axes["scene"], trace, layout.get("scene", {}))
            continue
        if kind == "parcoords":
            _parcoords(figure, axes["parcoords"], trace)
            continue
        suffix = _suffix(trace.get("xaxis", "x"))
        ax = axes[suffix]
        date = layout.get(f"xaxis{suffix}", {}).get("type") == "date"
        if kind in ("scatter", "scattergl"):
            previous[suffix] = _scatter(figure, ax, trace, previous.get(suffix))
        elif kind == "bar":
            _bar(ax, trace, date, (grouped.index(trace), len(grouped)) if trace in grouped else (0, 1))
        elif kind == "contour":
            _contour(figure, ax, trace)
        else:
            raise PlotError(f"a {kind!r} trace cannot be drawn with matplotlib; the plots use scatter, bar, contour, "
                            "parcoords and scatter3d")
    for suffix, ax in axes.items():
        if suffix not in ("scene", "parcoords"):
            _axis(ax, layout.get(f"xaxis{suffix}", {}), "x")
            _axis(ax, layout.get(f"yaxis{suffix}", {}), "y")
    if layout.get("showlegend", True):
        _legend(figure, traces)
    title = _text(layout.get("title"))
    if title:
        figure.suptitle(title)
    return figure


def save_image(fig: go.Figure | Mapping[str, Any], path: str | Path) -> Path:
    """Write ``fig`` (drawn by :func:`to_matplotlib`) to ``path``, a ``.png``, ``.svg`` or ``.pdf`` file."""
    path = Path(path)
    if path.suffix.lower().lstrip(".") not in IMAGE_TYPES:
        raise PlotError(f"image file {str(path)!r}: the type must be one of {', '.join('.' + t for t in IMAGE_TYPES)}")
    to_matplotlib(fig).savefig(path, dpi=150)
    return path


# --- layout -----------------------------------------------------------------------------------

def _decoded(value: Any) -> Any:
    """``value`` with plotly's typed arrays (``{"dtype": "f4", "bdata": base64, "shape": "50, 50"}``) as lists."""
    if isinstance(value, Mapping):
        if "bdata" in value and "dtype" in value:
            import base64

            import numpy as np

            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            shape = value.get("shape")
            return (array.reshape([int(s) for s in str(shape).split(",")]) if shape else array).tolist()
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_decoded(v) for v in value]
    return value


def _suffix(ref: str) -> str:
    """``"x3"`` -> ``"3"``, ``"x"`` -> ``""``: the suffix of the layout's ``xaxis3`` / ``xaxis``."""
    return ref[1:]


def _cells(layout: Mapping[str, Any], traces: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, int]]:
    """Each subplot's (row, column), from the domains of its axes (rows from the top)."""
    suffixes = {m.group(2) for key in layout if (m := _AXIS_KEY.match(key))}
    suffixes |= {_suffix(t.get("xaxis", "x")) for t in traces}
    suffixes = suffixes or {""}
    spans = {s: (tuple(layout.get(f"xaxis{s}", {}).get("domain", (0, 1))),
                 tuple(layout.get(f"yaxis{s}", {}).get("domain", (0, 1)))) for s in suffixes}
    columns = sorted({x for x, _ in spans.values()})
    rows = sorted({y for _, y in spans.values()}, reverse=True)
    return {s: (rows.index(y), columns.index(x)) for s, (x, y) in spans.items()}


def _text(title: Any) -> str:
    text = title.get("text", "") if isinstance(title, Mapping) else (title or "")
    return re.sub(r"<[^>]+>", " ", str(text)).strip()


def _axis(ax: Axes, spec: Mapping[str, Any], which: str) -> None:
    set_label = ax.set_xlabel if which == "x" else ax.set_ylabel
    set_label(_text(spec.get("title")))
    if spec.get("type") == "log":
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    if "tickvals" in spec:
        (ax.set_xticks if which == "x" else ax.set_yticks)(list(spec["tickvals"]), [str(t) for t in spec.get("ticktext", spec["tickvals"])])
    if "range" in spec and spec.get("type") != "log":
        (ax.set_xlim if which == "x" else ax.set_ylim)(*spec["range"])
    if spec.get("autorange") == "reversed":
        (ax.invert_xaxis if which == "x" else ax.invert_yaxis)()
    if spec.get("type") == "date":
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.grid(alpha=0.3)


def _legend(figure: matplotlib.figure.Figure, traces: Sequence[Mapping[str, Any]]) -> None:
    named = [t for t in traces if t.get("name") and t.get("showlegend", True) and t.get("type") != "parcoords"]
    if len(named) > 1 or any(t.get("showlegend") for t in named):
        handles, labels = [], []
        for ax in figure.axes:
            for handle, label in zip(*ax.get_legend_handles_labels()):
                if label not in labels:
                    handles.append(handle)
                    labels.append(label)
        if handles:
            figure.legend(handles, labels, loc="outside right upper")


# --- colours ----------------------------------------------------------------------------------

def _color(value: Any) -> Any:
    """A plotly colour (``#rrggbb``, ``rgb(...)``, ``rgba(...)``, a name) as matplotlib reads it."""
    if isinstance(value, str) and value.startswith("rgb"):
        parts = [float(p) for p in value[value.index("(") + 1:value.rindex(")")].split(",")]
        return (parts[0] / 255, parts[1] / 255, parts[2] / 255, parts[3] if len(parts) > 3 else 1.0)
    return value


def _colormap(scale: Any, reverse: bool = False) -> Any:
    from matplotlib.colors import LinearSegmentedColormap

    if isinstance(scale, str):
        from plotly.colors import get_colorscale

        scale = get_colorscale(scale)
    cmap = LinearSegmentedColormap.from_list("plotly", [(float(p), _color(c)) for p, c in scale or [(0, "#440154"), (1, "#fde725")]])
    return cmap.reversed() if reverse else cmap


def _numbers(values: Any) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


# --- traces -----------------------------------------------------------------------------------

def _label(trace: Mapping[str, Any]) -> str:
    return str(trace.get("name")) if trace.get("name") and trace.get("showlegend", True) else "_nolegend_"


def _scatter(figure: matplotlib.figure.Figure, ax: Axes, trace: Mapping[str, Any], previous: Any) -> Any:
    """Draw a scatter trace; returns its (x, y) for a band filled to it by the next trace."""
    x, y = list(trace.get("x", [])), _numbers(trace.get("y", []))
    mode = trace.get("mode", "lines+markers")
    line, marker = trace.get("line", {}), trace.get("marker", {})
    label = _label(trace)
    if trace.get("fill") == "tonexty" and previous is not None:
        ax.fill_between(x, previous[1], y, color=_color(trace.get("fillcolor")), linewidth=0, label=label)
        label = "_nolegend_"
    if "lines" in mode:
        ax.plot(x, y, color=_color(line.get("color")), linestyle=_DASHES.get(line.get("dash", "solid"), "-"),
                linewidth=line.get("width", 2) * 0.75, drawstyle="steps-post" if line.get("shape") == "hv" else "default",
                label=label)
        label = "_nolegend_"
    if "markers" in mode:
        color = marker.get("color")
        symbol = _SYMBOLS.get(marker.get("symbol", "circle"), "o")
        size = (marker.get("size") or 6) ** 2 * 0.6
        if isinstance(color, (list, tuple)):
            dots = ax.scatter(x, y, c=_numbers(color), cmap=_colormap(marker.get("colorscale"), marker.get("reversescale", False)),
                              marker=symbol, s=size, label=label, alpha=marker.get("opacity"))
            if marker.get("showscale"):
                figure.colorbar(dots, ax=ax, label=_text(marker.get("colorbar", {}).get("title")))
        else:
            ax.scatter(x, y, color=_color(color), marker=symbol, s=size, label=label, alpha=marker.get("opacity"))
    return (x, y)


def _bar(ax: Axes, trace: Mapping[str, Any], date: bool, slot: tuple[int, int]) -> None:
    """Draw a bar trace; ``slot`` is its place (index, count) among bars grouped side by side."""
    color = _color(trace.get("marker", {}).get("color"))
    index, count = slot
    if count > 1:  # grouped: each trace gets its share of every category's band
        categories = list(trace.get("y" if trace.get("orientation") == "h" else "x", []))
        at = [j - 0.4 + (index + 0.5) * 0.8 / count for j in range(len(categories))]
        lengths = _numbers(trace.get("x" if trace.get("orientation") == "h" else "y", []))
        if trace.get("orientation") == "h":
            ax.barh(at, lengths, height=0.8 / count, color=color, label=_label(trace))
            ax.set_yticks(range(len(categories)), [str(c) for c in categories])
        else:
            ax.bar(at, lengths, width=0.8 / count, color=color, label=_label(trace))
            ax.set_xticks(range(len(categories)), [str(c) for c in categories])
        return
    if trace.get("orientation") == "h":
        widths, base = _numbers(trace.get("x", [])), trace.get("base")
        if date:
            from matplotlib.dates import date2num

            left = [date2num(datetime.fromisoformat(str(b))) for b in base or []]
            ax.barh(list(trace.get("y", [])), [w / 86_400_000 for w in widths], left=left, color=color, label=_label(trace))
        else:
            ax.barh(list(trace.get("y", [])), widths, left=base, color=color, label=_label(trace))
    else:
        ax.bar(list(trace.get("x", [])), _numbers(trace.get("y", [])), color=color, label=_label(trace))


def _contour(figure: matplotlib.figure.Figure, ax: Axes, trace: Mapping[str, Any]) -> None:
    import numpy as np

    z = np.array([_numbers(row) for row in trace.get("z", [])], dtype=float)
    if not np.isfinite(z).any():
        return
    low, high = trace.get("zmin", np.nanmin(z)), trace.get("zmax", np.nanmax(z))
    levels = np.linspace(low, high, 13) if high > low else 12
    filled = ax.contourf(_numbers(trace["x"]), _numbers(trace["y"]), z, levels=levels,
                         cmap=_colormap(trace.get("colorscale"), trace.get("reversescale", False)))
    if trace.get("showscale", True):
        figure.colorbar(filled, ax=ax, label=_text(trace.get("colorbar", {}).get("title")))


def _scatter3d(figure: matplotlib.figure.Figure, ax: Any, trace: Mapping[str, Any], scene: Mapping[str, Any]) -> None:
    marker = trace.get("marker", {})
    ax.scatter(_numbers(trace["x"]), _numbers(trace["y"]), _numbers(trace["z"]), color=_color(marker.get("color")),
               s=(marker.get("size") or 5) ** 2 * 0.6, label=_label(trace))
    for axis in "xyz":
        getattr(ax, f"set_{axis}label")(_text(scene.get(f"{axis}axis", {}).get("title")))


def _parcoords(figure: matplotlib.figure.Figure, ax: Axes, trace: Mapping[str, Any]) -> None:
    """Parallel coordinates: one vertical axis per dimension, one polyline per row, coloured by ``line.color``."""
    import numpy as np
    from matplotlib.collections import LineCollection

    dims = trace.get("dimensions", [])
    columns = []
    for d in dims:
        values = np.array(_numbers(d.get("values", [])), dtype=float)
        low, high = d.get("range") or (np.nanmin(values), np.nanmax(values))
        columns.append((values - low) / (high - low) if high > low else np.full_like(values, 0.5))
        ticks = d.get("tickvals")
        if ticks is None:
            ticks = list(np.linspace(low, high, 5))
            texts = [f"{t:.3g}" for t in ticks]
        else:
            texts = [str(t) for t in d.get("ticktext", ticks)]
        j = len(columns) - 1
        ax.axvline(j, color="#444444", linewidth=1)
        for t, text in zip(ticks, texts):
            pos = (t - low) / (high - low) if high > low else 0.5
            ax.text(j - 0.03, pos, text, ha="right", va="center", fontsize=7,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.5}, zorder=3)
        ax.text(j, 1.04, str(d.get("label", "")), ha="center", va="bottom", fontsize=8)
    if not columns:
        return
    data = np.column_stack(columns)
    segments = [np.column_stack([np.arange(len(dims)), row]) for row in data]
    line = trace.get("line", {})
    color = line.get("color")
    lines = LineCollection(segments, linewidths=0.8, alpha=0.7)
    if isinstance(color, (list, tuple)):
        lines.set_array(np.array(_numbers(color)))
        lines.set_cmap(_colormap(line.get("colorscale"), line.get("reversescale", False)))
        if line.get("showscale"):
            figure.colorbar(lines, ax=ax, label=_text(line.get("colorbar", {}).get("title")))
    else:
        lines.set_color(_color(color) or "#1f77b4")
    ax.add_collection(lines)
    ax.set_xlim(-0.5, len(dims) - 0.5)
    ax.set_ylim(-0.05, 1.1)
    ax.set_axis_off()
