"""The dashboard's JSON API through the ASGI test client, on small SQLite studies: studies, incremental
trials, trial details with architecture drawings, plots, a base path, errors as JSON, read-only."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2, which is not released everywhere yet
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

import hypernas as hn
from hypernas.errors import ConfigError
from hypernas.study import get_storage
from hypernas.viz.dashboard import create_app
from hypernas.viz.dashboard.app import check_base_path
from tests.viz.conftest import bowl, single_space


@pytest.fixture(scope="module")
def storage_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with two studies: 'single' (every finished state) and 'open' (one trial still running)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('dash') / 'studies.db'}"
    study = hn.create_study("single", storage=url, direction="minimize", strategy="random", seed=0)
    study.optimize(bowl, single_space(), n_trials=12)
    live = hn.create_study("open", storage=url, strategy="random", seed=0, space={"x": hn.Float(0, 1)})
    done = live.ask()
    live.tell(done, 0.5)
    running = live.ask()
    running.report(0, 0.9)
    running.report(1, 0.7)
    for epoch in range(2):  # as a one-shot search records them
        running.record_arch_weights(["none", "skip_connect"], [f"{i}->{j}" for i, j in
                                                               ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))],
                                    {"cell": [[0.5 - 0.1 * epoch, 0.5 + 0.1 * epoch]] * 6})
    return url


@pytest.fixture
def client(storage_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(get_storage(storage_url, must_exist=True))) as c:
        yield c


def test_the_studies_with_counts_per_state(client: TestClient) -> None:
    studies = {s["name"]: s for s in client.get("/api/studies").json()["studies"]}
    assert set(studies) == {"single", "open"}
    single = studies["single"]
    assert single["n_trials"] == 12 and single["directions"] == ["minimize"]
    assert single["counts"] == {"WAITING": 0, "RUNNING": 0, "COMPLETE": 8, "PRUNED": 2, "FAILED": 2}
    assert studies["open"]["counts"]["RUNNING"] == 1 and studies["open"]["best_values"] == [0.5]


def test_a_study(client: TestClient) -> None:
    study = client.get("/api/studies/single").json()
    assert study["value_names"] == ["value"] and study["n_trials"] == 12
    assert {p["name"]: p["drawable"] for p in study["params"]}["cell"] is True
    assert [p["name"] for p in study["plots"]][:2] == ["history", "intermediate"]
    assert len(study["best"]) == 1 and study["best"][0]["values"][0] is not None


def test_trials_are_read_incrementally_from_the_cursor(client: TestClient) -> None:
    first = client.get("/api/studies/single/trials").json()
    assert [t["number"] for t in first["trials"]] == list(range(12))
    assert first["cursor"] == 12 and first["counts"]["FAILED"] == 2
    assert client.get("/api/studies/single/trials", params={"since": 12}).json()["trials"] == []
    failed = first["trials"][3]
    assert failed["state"] == "FAILED" and failed["error"].startswith("RuntimeError: diverged <at step 0>")
    assert "intermediate" not in failed  # finished trials carry no curve in the list; their page has it


def test_a_running_trial_comes_back_with_its_intermediate_values(client: TestClient) -> None:
    page = client.get("/api/studies/open/trials").json()
    assert page["cursor"] == 1  # trial 0 is final; trial 1 is still running
    again = client.get("/api/studies/open/trials", params={"since": page["cursor"]}).json()
    (running,) = again["trials"]
    assert running["state"] == "RUNNING" and running["intermediate"] == [[0, 0.9], [1, 0.7]]
    assert running["last_step"] == 1 and running["values"] is None


def test_a_trial_with_its_architecture_drawn(client: TestClient) -> None:
    trial = client.get("/api/studies/single/trials/0").json()
    assert trial["state"] == "COMPLETE" and trial["value_names"] == ["value"]
    assert trial["params"]["cell"].startswith("|") and "lr" in trial["params"]
    assert trial["intermediate"] == [[s, v] for s, v in trial["intermediate"]] and len(trial["intermediate"]) == 4
    (drawing,) = trial["drawings"]
    assert drawing["param"] == "cell" and drawing["svg"].startswith("<svg") and "</svg>" in drawing["svg"]


def test_plots_as_plotly_json(client: TestClient) -> None:
    history = client.get("/api/studies/single/plots/history").json()
    assert history["reason"] is None and history["figure"]["data"] and "template" not in history["figure"]["layout"]
    pareto = client.get("/api/studies/single/plots/pareto").json()
    assert pareto["figure"] is None and "objective" in pareto["reason"]
    assert "layout" in client.get("/api/plot-template").json()
    weights = client.get("/api/studies/open/plots/arch_weights").json()  # the trial still running recorded them
    assert weights["reason"] is None and len(weights["figure"]["data"]) == 6 * 2
    assert "recorded architecture weights" in client.get("/api/studies/single/plots/arch_weights").json()["reason"]


def test_the_page_and_its_files_load_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "http" not in page.text.replace("http-equiv", "")  # every URL relative: works under any path
    assert client.get("/static/plotly.min.js").text.lstrip().startswith("/**")
    script = client.get("/static/dashboard.js").text
    assert 'getJSON("api/studies")' in script and "http://" not in script and "https://" not in script


@pytest.mark.parametrize(("url", "status", "message"), [
    ("/api/studies/nope", 404, "no study named 'nope'"),
    ("/api/studies/nope/trials", 404, "no study named 'nope'"),
    ("/api/studies/single/trials/99", 404, "study 'single' has no trial 99"),
    ("/api/studies/single/trials/x1", 404, "a trial is named by its number, got 'x1'"),
    ("/api/studies/single/other", 404, "no such page: /api/studies/single/other"),
    ("/api/studies/single/plots/nope", 404, "no plot named 'nope'; plots: history, "),
    ("/api/studies/single/trials?since=-1", 400, "since must be a whole number >= 0, got '-1'"),
    ("/static/secret.py", 404, "no file 'secret.py'"),
    ("/no/such/page", 404, "no such page: /no/such/page"),
])
def test_errors_are_json_with_one_clear_message(client: TestClient, url: str, status: int, message: str) -> None:
    response = client.get(url)
    assert response.status_code == status and response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"] and message in body["error"] and "\n" not in body["error"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_the_dashboard_is_read_only(client: TestClient, storage_url: str, method: str) -> None:
    for url in ("/api/studies", "/api/studies/single", "/api/studies/single/trials/0"):
        response = client.request(method, url)
        assert response.status_code == 405
        assert response.json() == {"error": f"the dashboard is read-only: {method} is not allowed"}
    assert len(hn.load_study("single", storage_url).trials) == 12


def test_under_a_base_path(storage_url: str) -> None:
    with TestClient(create_app(get_storage(storage_url, must_exist=True), "/tools/hn/")) as client:
        assert client.get("/tools/hn/api/studies").status_code == 200
        assert client.get("/tools/hn/").headers["content-type"].startswith("text/html")
        assert client.get("/tools/hn/static/dashboard.js").status_code == 200
        redirect = client.get("/tools/hn", follow_redirects=False)
        assert redirect.status_code in (302, 307) and redirect.headers["location"].endswith("/tools/hn/")
        assert client.get("/api/studies").status_code == 404


@pytest.mark.parametrize("path", ["tools", "/a b", "/a?x=1", "//evil.example"])
def test_a_bad_base_path_is_one_clear_error(path: str) -> None:
    with pytest.raises(ConfigError, match="must be a URL path such as /hypernas"):
        check_base_path(path)
    assert check_base_path("/") == "" and check_base_path("/p/") == "/p"


@pytest.mark.parametrize("base", ["", "/p"])
def test_a_study_name_with_slashes_and_spaces(tmp_path: Path, base: str) -> None:
    url = f"sqlite:///{tmp_path / 'names.db'}"
    name = "team/exp 1?#%"
    study = hn.create_study(name, storage=url, strategy="random", seed=0)
    study.optimize(lambda t: t.params["x"], {"x": hn.Float(0, 1)}, n_trials=3)
    api = f"{base}/api/studies/{quote(name, safe='')}"
    with TestClient(create_app(get_storage(url, must_exist=True), base)) as client:
        assert client.get(api).json()["name"] == name
        assert len(client.get(api + "/trials").json()["trials"]) == 3
        assert client.get(api + "/trials/2").json()["number"] == 2
        assert client.get(api + "/plots/history").status_code == 200
        assert client.get(f"{base}/api/studies/team").json() == {"error": "no study named 'team'"}


def test_an_empty_storage(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    hn.create_study("e", storage=url, strategy="random", space={"x": hn.Float(0, 1)})
    with TestClient(create_app(get_storage(url, must_exist=True))) as client:
        assert client.get("/api/studies/e/trials").json() == {
            "trials": [], "cursor": 0, "n_trials": 0,
            "counts": {"WAITING": 0, "RUNNING": 0, "COMPLETE": 0, "PRUNED": 0, "FAILED": 0}}
        assert client.get("/api/studies/e").json()["best"] == []
