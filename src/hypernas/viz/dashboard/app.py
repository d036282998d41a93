"""The dashboard as an ASGI application (Starlette): one page, its static files and a read-only JSON API.

Every URL the page uses is relative to it, so the application works at the root of a server, behind
a reverse proxy that strips a path prefix, or mounted under ``base_path`` for a proxy that does not.
Only GET (and HEAD) is served: any other method is refused with 405, every error is JSON
``{"error": "one line"}``. The study record is read per request through the storage, whose cache of
finished trials keeps a poll of a large study cheap.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from hypernas.errors import ConfigError, StudyNotFoundError
from hypernas.record import FrozenTrial
from hypernas.study import load_study
from hypernas.study.storage import Storage
from hypernas.viz.catalog import PAGE_TEMPLATE, PLOTS
from hypernas.viz.dashboard.api import plot_data, study_detail, study_list, trial_detail, trials_since
from hypernas.viz.study_record import StudyRecord

STATIC = Path(__file__).parent / "static"
PLOT_RECORD_SECONDS = 5.0
"""The plots of one study share the record read for the first of them for this long (a page asks for
every plot at once; each need not read the storage again)."""


def check_base_path(base_path: str) -> str:
    """``base_path`` as ``/a/b`` (or ``""`` for the root); anything else is a :class:`ConfigError`."""
    path = base_path.strip()
    if path in ("", "/"):
        return ""
    if not path.startswith("/") or any(c in path for c in "?#\\ ") or "//" in path:
        raise ConfigError(f"--base-path {base_path!r} must be a URL path such as /hypernas (starting with /, "
                          "without ?, #, spaces or //)")
    return path.rstrip("/")


class _Records:
    """Reads a study's record from the storage; plot requests share one read for a few seconds."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._lock = threading.Lock()
        self._recent: dict[str, tuple[float, StudyRecord]] = {}

    def read(self, name: str) -> StudyRecord:
        try:
            study = load_study(name, self.storage, strategy="random", pruner="none")
        except StudyNotFoundError:
            raise HTTPException(404, f"no study named {name!r}") from None
        return StudyRecord.of(study)

    def for_plots(self, name: str) -> StudyRecord:
        now = time.monotonic()
        with self._lock:
            hit = self._recent.get(name)
        if hit is not None and now - hit[0] < PLOT_RECORD_SECONDS:
            return hit[1]
        record = self.read(name)
        with self._lock:
            self._recent[name] = (now, record)
        return record


def _trial(record: StudyRecord, number: int) -> FrozenTrial:
    for t in record.trials:
        if t.number == number:
            return t
    raise HTTPException(404, f"study {record.name!r} has no trial {number}")


STUDY_API = "/api/studies/"


def study_path(request: Request) -> list[str]:
    """The segments after ``/api/studies/``, each percent-decoded on its own.

    Read from the raw path, so a study name with ``/`` in it (sent as ``%2F``) stays one segment.
    """
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else request.url.path
    rest = path.split("?", 1)[0].rsplit(STUDY_API, 1)[-1]
    return [unquote(part) for part in rest.split("/")]


def _int_query(request: Request, key: str, default: int) -> int:
    text = request.query_params.get(key)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise HTTPException(400, f"{key} must be a whole number >= 0, got {text!r}")
    return value


def create_app(storage: Storage, base_path: str = "") -> Starlette:
    """The dashboard of the studies in ``storage``, served under ``base_path`` (``""``: the root)."""
    records = _Records(storage)

    def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    def static(request: Request) -> Response:
        name = request.path_params["file"]
        if name == "plotly.min.js":
            import plotly

            return FileResponse(Path(plotly.__file__).parent / "package_data" / "plotly.min.js")
        if name not in ("dashboard.js", "dashboard.css"):
            raise HTTPException(404, f"no file {name!r}")
        return FileResponse(STATIC / name, headers={"Cache-Control": "no-cache"})

    def studies(request: Request) -> Response:
        return JSONResponse({"studies": study_list(storage)})

    def study(name: str) -> Response:
        return JSONResponse(study_detail(records.read(name)))

    def trials(request: Request, name: str) -> Response:
        since = _int_query(request, "since", 0)
        return JSONResponse(trials_since(records.read(name), since))

    def trial(name: str, number: str) -> Response:
        record = records.read(name)
        if not (number.isascii() and number.isdigit()):
            raise HTTPException(404, f"a trial is named by its number, got {number!r}")
        return JSONResponse(trial_detail(record, _trial(record, int(number))))

    def plot(name: str, plot_name: str) -> Response:
        if plot_name not in PLOTS:
            raise HTTPException(404, f"no plot named {plot_name!r}; plots: {', '.join(PLOTS)}")
        return JSONResponse(plot_data(records.for_plots(name), plot_name))

    def study_api(request: Request) -> Response:
        match study_path(request):
            case [name]:
                return study(name)
            case [name, "trials"]:
                return trials(request, name)
            case [name, "trials", number]:
                return trial(name, number)
            case [name, "plots", plot_name]:
                return plot(name, plot_name)
        raise HTTPException(404, f"no such page: {request.url.path}")

    def template(request: Request) -> Response:
        import plotly.io as pio

        return JSONResponse(pio.templates[PAGE_TEMPLATE].to_plotly_json())

    routes: list[BaseRoute] = [
        Route("/", index),
        Route("/static/{file}", static),
        Route("/api/studies", studies),
        Route(STUDY_API + "{rest:path}", study_api),
        Route("/api/plot-template", template),
    ]
    base = check_base_path(base_path)
    if base:
        routes = [Route(base, lambda request: RedirectResponse(f"{base}/")), Mount(base, routes=routes)]
    return Starlette(routes=routes, exception_handlers={HTTPException: _error, Exception: _failure})


def _error(request: Request, exc: Any) -> Response:
    if exc.status_code == 405:
        message = f"the dashboard is read-only: {request.method} is not allowed"
    elif exc.status_code == 404 and exc.detail == "Not Found":
        message = f"no such page: {request.url.path}"
    else:
        message = str(exc.detail)
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=getattr(exc, "headers", None))


def _failure(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": f"{type(exc).__name__}: {' '.join(str(exc).split())}"}, status_code=500)
