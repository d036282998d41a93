"""Each plot on small studies: its traces, axes and filters; an impossible request is one PlotError line."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import hypernas as hn
from hypernas import PlotError
from hypernas.viz import (
    StudyRecord,
    param_importances,
    plot_contour,
    plot_history,
    plot_importance,
    plot_intermediate_values,
    plot_parallel_coordinates,
    plot_pareto_front,
    plot_slice,
    plot_timeline,
)

N_COMPLETE, N_PRUNED, N_FAILED = 17, 4, 3


def traces(fig):
    return {t.name: t for t in fig.data}


def states(record, state):
    return [t for t in record.trials if t.state.value == state]


# --- optimization history ------------------------------------------------------------------

def test_history_shows_every_state_and_the_best_so_far(single):
    fig = plot_history(single)
    shown = traces(fig)
    assert len(shown["complete"].x) == N_COMPLETE and len(shown["pruned"].x) == N_PRUNED
    assert list(shown["failed"].x) == [3, 10, 17] and shown["failed"].marker.symbol == "x"
    best = list(shown["best so far"].y)
    assert best == sorted(best, reverse=True)  # minimized: never goes up
    assert best[-1] == min(t.values[0] for t in states(single, "COMPLETE"))
    assert list(shown["pruned"].y) == [t.intermediate[2] for t in states(single, "PRUNED")]
    assert fig.layout.xaxis.title.text == "trial" and fig.layout.yaxis.title.text == "value"
    assert "&lt;at step 0&gt;" in shown["failed"].text[0]  # user text is escaped in the hover HTML


def test_history_hides_pruned_and_failed_trials_and_keeps_the_top_percent(single):
    assert set(traces(plot_history(single, hide_pruned=True, hide_failed=True))) == {"complete", "best so far"}
    top = traces(plot_history(single, top=25))
    best = sorted(t.values[0] for t in states(single, "COMPLETE"))[:math.ceil(0.25 * N_COMPLETE)]
    assert sorted(top["complete"].y) == best and set(top) == {"complete", "best so far"}
    assert plot_history(single, log_y=True).layout.yaxis.type == "log"


def test_history_of_several_objectives_has_a_row_each(multi):
    fig = plot_history(multi)
    assert [fig.layout.yaxis.title.text, fig.layout.yaxis2.title.text] == ["accuracy", "size"]
    best = [t for t in fig.data if t.name == "best so far"]
    assert list(best[0].y) == sorted(best[0].y) and list(best[1].y) == sorted(best[1].y, reverse=True)
    assert [t.name for t in plot_history(multi, objective="size").data] == ["complete", "best so far"]


# --- slice, contour, parallel coordinates -------------------------------------------------------

def test_slice_has_a_panel_per_scalar_parameter_with_log_and_category_axes(single):
    fig = plot_slice(single)
    assert [t.name for t in fig.data] == ["lr", "layers", "optimizer", "momentum"]  # the architecture is left out
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.title.text == "lr"
    assert list(fig.layout.xaxis3.ticktext) == ["sgd", "adam"] and set(fig.data[2].x) <= {0, 1}
    with_momentum = [t for t in states(single, "COMPLETE") if "momentum" in t.params]
    assert len(fig.data[3].x) == len(with_momentum) < N_COMPLETE  # inactive: absent from that panel
    assert [t.name for t in plot_slice(single, params=["layers"]).data] == ["layers"]


def test_contour_interpolates_pairs_of_parameters(single):
    fig = plot_contour(single, params=["lr", "layers"])
    contour, dots = fig.data
    assert contour.type == "contour" and len(contour.x) == 50 and len(contour.z) == 50
    assert fig.layout.xaxis.type == "log" and math.isclose(min(contour.x), min(dots.x))
    assert len(dots.x) == N_COMPLETE
    z = np.asarray(contour.z, dtype=float)
    values = [t.values[0] for t in states(single, "COMPLETE")]
    assert np.isnan(z).any() and np.isfinite(z).any()  # no value outside the trials' hull
    assert min(values) * (1 - 1e-5) <= np.nanmin(z) and np.nanmax(z) <= max(values) * (1 + 1e-5)  # float32
    matrix = plot_contour(single, params=["lr", "layers", "optimizer"], resolution=10)
    assert sum(t.type == "contour" for t in matrix.data) == 3  # the three pairs, lower triangle
    assert list(matrix.layout.yaxis3.ticktext) == ["sgd", "adam"]


def test_parallel_coordinates_mark_inactive_values_and_use_log_ticks(single):
    (trace,) = plot_parallel_coordinates(single).data
    dims = {d.label: d for d in trace.dimensions}
    assert list(dims) == ["value", "lr", "layers", "optimizer", "momentum"]
    assert all(t.startswith("1e-") for t in dims["lr"].ticktext)
    assert dims["momentum"].ticktext[0] == "inactive"
    bottom = dims["momentum"].tickvals[0]
    inactive = sum(v == bottom for v in dims["momentum"].values)
    assert inactive == sum("momentum" not in t.params for t in states(single, "COMPLETE")) > 0
    assert list(dims["optimizer"].ticktext) == ["sgd", "adam"]
    assert len(trace.line.color) == N_COMPLETE


# --- importance -------------------------------------------------------------------------------

def test_importance_ranks_the_parameters_the_objective_depends_on(single):
    scores = param_importances(single)
    assert set(scores) == {"lr", "layers", "optimizer", "momentum", "cell"}
    assert math.isclose(sum(scores.values()), 1.0)
    assert next(iter(scores)) in ("layers", "lr")  # the bowl's two terms
    fig = plot_importance(single)
    assert list(fig.data[0].y) == list(scores) and fig.layout.yaxis.autorange == "reversed"


def test_importance_of_several_objectives_groups_bars(multi):
    fig = plot_importance(multi)
    assert [t.name for t in fig.data] == ["accuracy", "size"] and fig.layout.barmode == "group"
    assert next(iter(param_importances(multi, objective="accuracy"))) == "x"


# --- curves, Pareto front, timeline ---------------------------------------------------------------

def test_intermediate_values_mark_where_trials_were_pruned(single):
    shown = traces(plot_intermediate_values(single))
    assert set(shown) == {"complete", "pruned", "failed", "pruned here"} - {"failed"}  # failed trials reported nothing
    assert list(shown["pruned here"].x) == [2] * N_PRUNED
    assert sum(x is None for x in shown["complete"].x) == N_COMPLETE  # one gap after each curve
    assert "pruned" not in traces(plot_intermediate_values(single, hide_pruned=True))


def test_pareto_front_highlights_the_non_dominated_trials(multi):
    fig = plot_pareto_front(multi)
    shown = traces(fig)
    front = multi.best_trials()
    assert sorted(shown["Pareto front"].x) == sorted(t.values[0] for t in front)
    assert len(shown["Pareto front"].x) + len(shown["trials"].x) == 20
    assert fig.layout.xaxis.title.text == "accuracy (maximize)" and fig.layout.yaxis.title.text == "size (minimize)"


def test_pareto_front_of_three_objectives_is_three_dimensional():
    study = hn.create_study(directions=["minimize"] * 3, strategy="random", seed=1)
    study.optimize(lambda t: (t.params["x"], 1 - t.params["x"], t.params["x"] ** 2), {"x": hn.Float(0, 1)}, n_trials=6)
    fig = plot_pareto_front(study)
    assert {t.type for t in fig.data} == {"scatter3d"} and fig.layout.scene.zaxis.title.text == "values_2 (minimize)"


def test_timeline_packs_trials_into_worker_rows(single):
    fig = plot_timeline(single)
    shown = traces(fig)
    assert fig.layout.xaxis.type == "date" and len(shown["complete"].y) == N_COMPLETE
    assert set(shown["complete"].y) == {0}  # one worker: every trial on the first row
    assert "failed" not in traces(plot_timeline(single, hide_failed=True))


def test_timeline_rows_are_the_workers_that_ran_the_trials():
    study = hn.create_study(strategy="random", seed=0)
    study.optimize(lambda t: t.params["x"], {"x": hn.Float(0, 1)}, n_trials=8, n_workers=2)
    fig = plot_timeline(study)
    names = list(fig.layout.yaxis.ticktext)
    workers = {t.number: t.system_attrs["worker"] for t in study.trials}
    assert len(names) == len(set(workers.values())) and all("hypernas-worker" in n for n in names)
    rows = dict(zip(fig.data[0].customdata, fig.data[0].y))
    assert all(names[rows[n]] == workers[n] for n in rows)


def test_timeline_rows_follow_overlapping_trials():  # asked and told by hand: one worker, trials overlapping
    study = hn.create_study(strategy="random", seed=0, space={"x": hn.Float(0, 1)})
    first, second = study.ask(), study.ask()  # both running at once: two workers
    study.tell(first, 1.0)
    third = study.ask()
    study.tell(second, 2.0)
    study.tell(third, 3.0)
    rows = dict(zip(plot_timeline(study).data[0].customdata, plot_timeline(study).data[0].y))
    assert rows[0] == 0 and rows[1] == 1 and rows[2] == 0


# --- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "message"), [
    (lambda r: plot_contour(r, params=["lr"]), "a contour plot needs two parameters or more, got ['lr']"),
    (lambda r: plot_contour(r, params=["lr", "cell"]), "parameter 'cell' is neither a number nor a category"),
    (lambda r: plot_slice(r, params=["nope"]), "parameter 'nope' is not a parameter of the study"),
    (lambda r: plot_pareto_front(r), "study 'single' has one objective; a Pareto front needs two or more"),
    (lambda r: plot_history(r, objective="loss"), "study 'single' has no objective 'loss'; its objectives: value"),
    (lambda r: plot_history(r, top=0), "top must be a percentage in (0, 100], got 0"),
    (lambda r: plot_contour(r, resolution=1), "resolution must be an integer from 2 to 500, got 1"),
], ids=["contour-one", "contour-arch", "slice-unknown", "pareto-single", "objective", "top", "resolution"])
def test_impossible_requests_are_one_line(single, call, message):
    with pytest.raises(PlotError) as info:
        call(single)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_study_without_complete_trials(empty):
    for plot in (plot_history, plot_slice, plot_contour, plot_parallel_coordinates, plot_intermediate_values, plot_timeline):
        with pytest.raises(PlotError, match="study 'empty'"):
            plot(empty)
    with pytest.raises(PlotError, match="importance needs at least 2 complete trials; study 'empty' has 0"):
        plot_importance(empty)


def test_pareto_front_of_many_objectives_asks_which(multi):
    study = hn.create_study(directions=["minimize"] * 4, strategy="random", seed=0)
    study.optimize(lambda t: [t.params["x"]] * 4, {"x": hn.Float(0, 1)}, n_trials=3)
    with pytest.raises(PlotError, match="has 4 objectives; pick 2 or 3"):
        plot_pareto_front(study)
    assert len(plot_pareto_front(study, objectives=[0, 3]).data) >= 1


# --- records without a stored space, and plotly JSON ------------------------------------------------

def test_plots_of_a_record_without_a_space_infer_the_axes(single):
    bare = StudyRecord(single.name, single.directions, single.value_names, None, single.trials)
    fig = plot_slice(bare)
    assert [t.name for t in fig.data] == ["lr", "layers", "optimizer", "cell", "momentum"]  # first seen first
    assert fig.layout.xaxis.type is None  # a log scale is known only from the space
    assert len(fig.layout.xaxis4.ticktext) == len({t.params["cell"] for t in states(single, "COMPLETE")})
    assert set(param_importances(bare)) == {"lr", "layers", "optimizer", "momentum", "cell"}


def test_every_figure_is_plain_json_for_a_web_page(single, multi):
    for fig in (plot_history(single), plot_parallel_coordinates(single), plot_timeline(single), plot_pareto_front(multi)):
        spec = json.loads(fig.to_json())
        assert spec["data"] and "layout" in spec
