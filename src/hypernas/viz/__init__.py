"""Views of the study record: plots, architecture drawings and the HTML report.

Every plot takes a :class:`~hypernas.study.Study` or a :class:`StudyRecord` (read once, shared by many
plots) and returns a plotly figure built from the record alone (``fig.to_json()`` is what a web page
needs); :func:`to_matplotlib` / :func:`save_image` draw the same figure with matplotlib for image
files. A request a record cannot satisfy (a contour of one parameter, a Pareto front of one
objective) raises :class:`~hypernas.errors.PlotError`. Nothing here needs the study's strategy or
objective, and plotly, matplotlib, SciPy and scikit-learn load only when a plot is made.
"""

from hypernas.viz.arch import DRAWINGS, can_draw, draw_architecture
from hypernas.viz.arch_weights import arch_weights_of, plot_arch_weights
from hypernas.viz.catalog import PAGE_TEMPLATE, PLOTS, StudyFigure, figure_json, study_figures
from hypernas.viz.comparison import plot_strategy_comparison, read_results
from hypernas.viz.contour import plot_contour
from hypernas.viz.curves import plot_intermediate_values
from hypernas.viz.history import plot_history
from hypernas.viz.importance import param_importances, plot_importance
from hypernas.viz.matplotlib_render import IMAGE_TYPES, save_image, to_matplotlib
from hypernas.viz.parallel import plot_parallel_coordinates
from hypernas.viz.pareto import plot_pareto_front
from hypernas.viz.report import report_html, write_images, write_report
from hypernas.viz.slices import plot_slice
from hypernas.viz.study_record import StudyRecord
from hypernas.viz.timeline import plot_timeline

__all__ = [
    "DRAWINGS",
    "IMAGE_TYPES",
    "PAGE_TEMPLATE",
    "PLOTS",
    "StudyFigure",
    "StudyRecord",
    "arch_weights_of",
    "can_draw",
    "draw_architecture",
    "figure_json",
    "param_importances",
    "plot_arch_weights",
    "plot_contour",
    "plot_history",
    "plot_importance",
    "plot_intermediate_values",
    "plot_parallel_coordinates",
    "plot_pareto_front",
    "plot_slice",
    "plot_strategy_comparison",
    "plot_timeline",
    "read_results",
    "report_html",
    "save_image",
    "study_figures",
    "to_matplotlib",
    "write_images",
    "write_report",
]
