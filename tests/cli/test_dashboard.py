"""``hypernas dashboard``: what it serves and where (uvicorn itself is replaced), and its mistakes in one line."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_cases import run_cli


@pytest.fixture
def served(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the command hands to ``uvicorn.run`` (which returns at once here)."""
    import uvicorn

    calls: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.update(app=app, **kwargs))
    code, _, _ = run_cli("run", "study.yaml", "--storage", "s.db", "--quiet")
    assert code == 0
    return calls


def test_binds_to_this_machine_by_default(served: dict[str, Any]) -> None:
    code, out, err = run_cli("dashboard", "--storage", "s.db")
    assert (code, err) == (0, "")
    assert served["host"] == "127.0.0.1" and served["port"] == 8080
    assert "on http://127.0.0.1:8080/ (Ctrl+C to stop)" in out


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_host_port_and_base_path(served: dict[str, Any]) -> None:
    from starlette.testclient import TestClient

    code, out, _ = run_cli("dashboard", "--storage", "s.db", "--host", "0.0.0.0", "--port", "9001", "--base-path", "/hn/")
    assert code == 0 and "on http://0.0.0.0:9001/hn/ (" in out
    assert (served["host"], served["port"]) == ("0.0.0.0", 9001)
    studies = TestClient(served["app"]).get("/hn/api/studies").json()["studies"]
    assert [s["name"] for s in studies] == ["study"] and studies[0]["n_trials"] == 12


@pytest.mark.parametrize(("args", "message"), [
    (["--storage", "missing.db"], "storage 'sqlite:///"),
    (["--storage", "s.db", "--base-path", "hn"], "--base-path 'hn' must be a URL path such as /hypernas"),
    (["--storage", "s.db", "--port", "70000"], "--port must be in 0..65535, got 70000"),
], ids=["missing-storage", "base-path", "port"])
def test_mistakes_are_one_line(served: dict[str, Any], args: list[str], message: str) -> None:
    code, out, err = run_cli("dashboard", *args)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("hypernas: error: ") and message in err
    assert "app" not in served and not Path("missing.db").exists()


def test_without_uvicorn_the_command_says_what_to_install(served: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a))
    code, _, err = run_cli("dashboard", "--storage", "s.db")
    assert (code, err) == (2, "hypernas: error: hypernas dashboard needs uvicorn: pip install 'hypernas[dashboard]'\n")
