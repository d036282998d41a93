"""The integrations' tests run against the real libraries: a missing one skips its tests, except in CI
(which installs ``hypernas[all]``), where it fails them. Nothing reaches the network."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def need(module: str) -> ModuleType:
    """``module``, imported; skips the calling test module when it is missing (fails in CI)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{module} must be installed in CI (hypernas[all])", pytrace=False)
        pytest.skip(f"{module} is not installed", allow_module_level=True)
        raise


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No telemetry, no version checks: the libraries stay off the network."""
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
