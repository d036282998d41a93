"""The shared NAS-Bench-201 table beside the repository, and a mark that skips a test without it."""

from __future__ import annotations

from pathlib import Path

import pytest

NB201_TABLE = Path(__file__).resolve().parents[3] / ".." / "shared" / "benchmarks" / "nb201.csv.gz"
needs_table = pytest.mark.skipif(not NB201_TABLE.is_file(), reason="shared benchmark data is not beside the repository")
