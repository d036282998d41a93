"""The dashboard end to end in headless Chromium (:mod:`tests.viz.browser`): the studies page, a running
study's trial count growing, a trial's curve and architecture drawing. Any request that leaves
127.0.0.1 fails the test, and so does any console error.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import hypernas as hn
from hypernas.study import get_storage
from hypernas.viz.dashboard import create_app
from tests.viz.browser import browser_page, require_browser

BASE = "/hn"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Feeder(threading.Thread):
    """Adds a trial to a study every ``pause`` seconds, each reporting intermediate values, until stopped."""

    def __init__(self, study: hn.Study, pause: float = 0.3) -> None:
        super().__init__(daemon=True)
        self.study, self.pause, self.stop = study, pause, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(self.pause):
            trial = self.study.ask()
            for step in range(3):
                trial.report(step, trial.params["x"] + 1 - step / 3)
            self.study.tell(trial, trial.params["x"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, _Feeder]]:
    """The dashboard under uvicorn on 127.0.0.1, under a base path, over a storage with a study that grows."""
    require_browser()
    import uvicorn

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'studies.db'}"
    done = hn.create_study("cells", storage=url, strategy="random", seed=0)
    done.optimize(lambda t: t.params["x"], {"x": hn.Float(0, 1), "cell": hn.NB201Cell()}, n_trials=5)
    live = hn.create_study("live", storage=url, strategy="random", seed=0, space={"x": hn.Float(0, 1)})
    feeder = _Feeder(live)
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(create_app(get_storage(url, must_exist=True), BASE), host="127.0.0.1",
                                       port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if uv.started:
            break
        threading.Event().wait(0.05)
    assert uv.started, "uvicorn did not start"
    feeder.start()
    yield f"http://127.0.0.1:{port}{BASE}/", feeder
    feeder.stop.set()
    feeder.join()
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(server: tuple[str, _Feeder]) -> Iterator[Any]:
    with browser_page() as tab:
        yield tab


def test_the_studies_page_lists_every_study(page: Any, server: tuple[str, _Feeder]) -> None:
    page.goto(server[0])
    page.wait_for_selector("#studies-table tr[data-study='cells']")
    assert page.inner_text("tr[data-study='cells'] .n-trials") == "5"
    assert page.locator("tr[data-study='live']").count() == 1


def test_a_running_study_grows_on_its_page(page: Any, server: tuple[str, _Feeder]) -> None:
    page.goto(server[0] + "#/study/live")
    page.wait_for_selector("#n-trials")
    first = int(page.inner_text("#n-trials"))
    page.wait_for_function(f"Number(document.getElementById('n-trials').textContent) >= {first + 2}", timeout=20000)
    page.wait_for_selector("#trials-table tr.trial-row")
    page.wait_for_selector("#plot-history .main-svg", timeout=20000)  # the plot drawn by plotly.js from the page
    page.wait_for_selector("#plot-timeline .main-svg", timeout=30000)  # the last plot: each is drawn or says why not
    for plot in page.locator("#plots .plot").all():
        assert plot.locator(".main-svg").count() >= 1 or plot.locator("p.muted").count() == 1
    assert "objective" in page.inner_text("#plot-pareto")  # a Pareto front of one objective: why not
    newest = page.locator("#trials-table tr.trial-row").first
    number = newest.get_attribute("data-number")
    newest.click()
    page.wait_for_selector("#trial-curve .main-svg")  # the trial's intermediate values
    assert f"Trial {number}" in page.inner_text("#trial h2")


def test_a_trial_shows_its_architecture_drawing(page: Any, server: tuple[str, _Feeder]) -> None:
    page.goto(server[0] + "#/study/cells")
    page.wait_for_selector("#trials-table tr.trial-row[data-number='2']")
    page.click("#trials-table tr.trial-row[data-number='2']")
    page.wait_for_selector("#trial .arch[data-param='cell'] svg")
    assert "Trial 2" in page.inner_text("#trial h2")
    assert page.locator("#trial-fields th", has_text="cell").count() == 1
