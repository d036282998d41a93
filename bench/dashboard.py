"""The dashboard on a study of ``--trials`` trials, beside optuna-dashboard on the same trials.

The study (a SQLite file, not timed) searches a float, an integer and a NAS-Bench-201 cell; every trial
reports three intermediate values. The same trials go into an Optuna SQLite study (the cell as a user
attribute: Optuna has no architecture parameter). Each dashboard serves its file on 127.0.0.1
(hypernas under uvicorn, optuna-dashboard under the wsgiref server its ``run_server`` uses) and is
opened in headless Chromium (the system's ``chromium``), which loads nothing from the network:

- first render: from opening the study's page until the response carrying all its trials has
  arrived and the page has painted twice after it (a median over ``--repeats`` fresh pages);
- per poll: the bytes of each request the page repeats while nothing changes, for ``--watch`` seconds.

- one poll asked directly (outside the browser): the seconds and bytes of the request each page
  repeats while nothing changes (hypernas: the trials from its cursor on; optuna-dashboard: the study
  with the trials after those it has), median of 5.

    PYTHONPATH=src python bench/dashboard.py [--trials 10000] [--repeats 3] [--watch 25] [--keep DIR]

``--keep DIR`` builds the two studies in ``DIR`` once (a file ``done`` marks them built) and reuses them.

optuna-dashboard is in the ``bench`` extra (``pip install -e ".[bench]"``), not a dependency of hypernas.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import statistics
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import optuna
import uvicorn
from optuna_dashboard import wsgi as optuna_wsgi
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

import hypernas as hn
from hypernas.study import get_storage
from hypernas.viz.dashboard import create_app

CHROMIUM = "/usr/bin/chromium"


def build(folder: Path, n: int) -> tuple[str, str]:
    """A hypernas study of ``n`` trials and the same trials as an Optuna study: their storage URLs."""
    ours = f"sqlite:///{folder / 'hypernas.db'}"
    theirs = f"sqlite:///{folder / 'optuna.db'}"
    if (folder / "done").exists():
        return ours, theirs
    study = hn.create_study("bench", storage=ours, strategy="random", seed=0,
                            space={"x": hn.Float(0, 1), "y": hn.Int(1, 9), "cell": hn.NB201Cell()})
    for _ in range(n):
        trial = study.ask()
        for step in range(3):
            trial.report(step, trial.params["x"] + 1 - step / 3)
        study.tell(trial, trial.params["x"])
    optuna.logging.set_verbosity(logging.WARNING)
    copy = optuna.create_study(study_name="bench", storage=theirs)
    dists = {"x": optuna.distributions.FloatDistribution(0, 1), "y": optuna.distributions.IntDistribution(1, 9)}
    copy.add_trials([optuna.trial.create_trial(
        params={"x": t.params["x"], "y": t.params["y"]}, distributions=dists, value=t.values[0],  # type: ignore[index]
        intermediate_values=dict(t.intermediate), user_attrs={"cell": t.params["cell"]}) for t in study.trials])
    (folder / "done").touch()
    return ours, theirs


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Say nothing per request (the standard handler prints each one)."""


def serve_hypernas(url: str) -> tuple[str, Callable[[], None]]:
    server = uvicorn.Server(uvicorn.Config(create_app(get_storage(url, must_exist=True)), host="127.0.0.1", port=0,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]

    def stop() -> None:
        server.should_exit = True
        thread.join()
    return f"http://127.0.0.1:{port}/#/study/bench", stop


def serve_optuna(url: str) -> tuple[str, Callable[[], None]]:
    server = make_server("127.0.0.1", 0, optuna_wsgi(url), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join()
    return f"http://127.0.0.1:{server.server_port}/dashboard/studies/1", stop


def measure(browser: Any, page_url: str, full: re.Pattern[str], poll: re.Pattern[str], watch: float) -> tuple[float, list[int]]:
    """(seconds to the first render, bytes of each poll while nothing changes) of one fresh page."""
    context = browser.new_context()
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
                  else route.abort())
    page = context.new_page()
    polls: list[int] = []
    start = time.perf_counter()
    with page.expect_response(lambda r: bool(full.search(r.url)), timeout=120_000) as first:
        page.goto(page_url)
    first.value.finished()
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    seconds = time.perf_counter() - start

    def count(response: Any) -> None:
        if poll.search(response.url) and response.ok:
            with contextlib.suppress(PlaywrightError):  # one cut short as the page closes is not a poll
                polls.append(len(response.body()))
    page.on("response", count)
    page.wait_for_timeout(watch * 1000)
    page.remove_listener("response", count)
    context.close()
    return seconds, polls


def direct_poll(url: str, times: int = 5) -> tuple[float, int]:
    """(median seconds, bytes) of requesting ``url`` outside the browser, as a page's poll does."""
    seconds, size = [], 0
    for _ in range(times):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=600) as response:
            size = len(response.read())
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), size


def poll_urls(ours_page: str, theirs_page: str, n: int) -> tuple[str, str]:
    """What each page asks for when it polls an unchanged study of ``n`` trials: hypernas the trials from its
    cursor on, optuna-dashboard the study with the trials after the ``n`` it has."""
    ours = ours_page.split("#")[0] + "api/studies/bench/trials"
    with urllib.request.urlopen(ours + "?since=0", timeout=600) as response:
        cursor = json.loads(response.read())["cursor"]
    return f"{ours}?since={cursor}", theirs_page.split("/dashboard/")[0] + f"/api/studies/1?after={n}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--watch", type=float, default=25.0, help="seconds to count the polls of an unchanged study")
    parser.add_argument("--keep", help="a folder to build the two studies in once and reuse on later runs")
    args = parser.parse_args()

    shm = Path("/dev/shm")  # both files in memory where the machine allows: building them is not what is measured
    with contextlib.ExitStack() as stack:
        folder = Path(args.keep) if args.keep else Path(stack.enter_context(
            tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None)))
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        ours, theirs = build(folder, args.trials)
        print(f"{args.trials} trials in both storages in {time.perf_counter() - t0:.0f} s (not timed below)")
        rows = []
        served = [serve_hypernas(ours), serve_optuna(theirs)]
        direct = [direct_poll(url) for url in poll_urls(served[0][0], served[1][0], args.trials)]
        tools = [("hypernas dashboard", served[0], re.compile(r"/trials\?since=0$"), re.compile(r"/trials\?since=\d+$")),
                 ("optuna-dashboard", served[1], re.compile(r"/api/studies/1(\?after=0)?$"),
                  re.compile(r"/api/studies/1\?after=\d+$"))]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
            for (name, (url, stop), full, poll), (poll_s, poll_b) in zip(tools, direct):
                runs = [measure(browser, url, full, poll, args.watch) for _ in range(args.repeats)]
                stop()
                polls = [b for _, p in runs for b in p]
                rows.append((name, statistics.median(s for s, _ in runs), len(polls) / (args.repeats * args.watch),
                             statistics.median(polls) if polls else float("nan"), poll_s, poll_b))
            browser.close()
    print(f"\n{args.trials} trials | first render (s, median of {args.repeats}) | polls per s in the page | "
          "bytes per poll in the page (median) | one poll asked directly: s (median of 5) | bytes")
    print("---|---|---|---|---|---")
    for name, seconds, rate, size, poll_s, poll_b in rows:
        print(f"{name} | {seconds:.2f} | {rate:.2f} | {size:,.0f} | {poll_s:.3f} | {poll_b:,}")
    ours_row, theirs_row = rows
    print(f"hypernas / optuna-dashboard | {ours_row[1] / theirs_row[1]:.3f}x | - | - | {ours_row[4] / theirs_row[4]:.3f}x "
          f"| {ours_row[5] / theirs_row[5]:.3f}x")


if __name__ == "__main__":
    main()
