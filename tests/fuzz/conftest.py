"""The CLI tests' working directory (objective module and run config), for the bad command lines and configs."""

from __future__ import annotations

from tests.cli.conftest import workdir

__all__ = ["workdir"]
