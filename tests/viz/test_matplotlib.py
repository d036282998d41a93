"""The plots drawn by matplotlib for image files: every plot converts, with its axes, scales and series."""

from __future__ import annotations

import pytest
from PIL import Image

import hypernas as hn
from hypernas import PlotError
from hypernas.viz import (
    plot_contour,
    plot_history,
    plot_importance,
    plot_intermediate_values,
    plot_parallel_coordinates,
    plot_pareto_front,
    plot_slice,
    plot_timeline,
    save_image,
    to_matplotlib,
)


@pytest.mark.parametrize("plot", [plot_history, plot_slice, plot_contour, plot_parallel_coordinates, plot_importance,
                                  plot_intermediate_values, plot_timeline], ids=lambda f: f.__name__)
def test_every_plot_of_a_study_is_drawn(single, plot, tmp_path):
    path = save_image(plot(single), tmp_path / "plot.png")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width > 300 and image.height > 200


def test_history_keeps_its_series_axes_and_legend(single):
    figure = to_matplotlib(plot_history(single, log_y=True))
    (ax,) = figure.axes
    assert ax.get_xlabel() == "trial" and ax.get_ylabel() == "value" and ax.get_yscale() == "log"
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["complete", "pruned", "best so far", "failed"]
    assert figure.get_suptitle() == "Optimization history of single"


def test_subplots_keep_their_places_and_scales(single):
    figure = to_matplotlib(plot_slice(single))
    axes = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
    assert [ax.get_xlabel() for ax in axes] == ["lr", "layers", "optimizer", "momentum"]
    assert axes[0].get_xscale() == "log" and [t.get_text() for t in axes[2].get_xticklabels()] == ["sgd", "adam"]
    rows = sorted({round(ax.get_position().y0, 2) for ax in axes}, reverse=True)
    assert len(rows) == 2  # three panels on the first row, one on the second


def test_pareto_fronts_in_two_and_three_dimensions(multi):
    (ax,) = to_matplotlib(plot_pareto_front(multi)).axes
    assert ax.get_xlabel() == "accuracy (maximize)" and len(ax.lines) == 1  # the front joined
    study = hn.create_study(directions=["minimize"] * 3, strategy="random", seed=0)
    study.optimize(lambda t: (t.params["x"], 1 - t.params["x"], 0.5), {"x": hn.Float(0, 1)}, n_trials=4)
    (ax,) = to_matplotlib(plot_pareto_front(study)).axes
    assert ax.name == "3d" and ax.get_zlabel() == "values_2 (minimize)"


def test_other_image_types_and_bad_file_types(single, tmp_path):
    fig = plot_history(single)
    assert save_image(fig, tmp_path / "h.svg").read_text().lstrip().startswith("<?xml")
    assert save_image(fig, tmp_path / "h.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(PlotError, match="image file .*h.gif.*: the type must be one of .png, .svg, .pdf"):
        save_image(fig, tmp_path / "h.gif")


def test_a_trace_outside_the_plots_vocabulary_is_refused():
    with pytest.raises(PlotError, match="a 'sunburst' trace cannot be drawn with matplotlib"):
        to_matplotlib({"data": [{"type": "sunburst"}], "layout": {}})
