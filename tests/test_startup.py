"""Start-up stays light: ``import hypernas``, the ``hypernas`` command's parser and an in-memory search load
none of the heavy libraries; each loads only when a feature that needs it is used.

Each check runs in a fresh interpreter (the test process itself has loaded everything) and looks at
``sys.modules``: what is imported, never how long it takes (bench/startup.py measures that).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import hypernas

HEAVY = ("sqlalchemy", "scipy", "torch", "pandas", "pydantic", "yaml", "matplotlib", "sklearn", "plotly", "ray", "lightning",
         "mlflow", "tensorboard")
SRC = Path(hypernas.__file__).resolve().parents[1]  # the hypernas under test, not another one installed


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter that imports this hypernas."""
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": path})


def heavy_loaded_by(code: str) -> list[str]:
    """The heavy libraries in ``sys.modules`` once ``code`` has run (its last output line)."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    return list(json.loads(run_python(probe).stdout.splitlines()[-1]))


def test_import_hypernas_loads_no_heavy_library():
    assert heavy_loaded_by("import hypernas") == []


def test_the_command_line_parser_loads_no_heavy_library():
    assert heavy_loaded_by("from hypernas.cli.app import build_parser\nbuild_parser()") == []


def test_hypernas_help_loads_no_heavy_library():
    code = ("from hypernas.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n")
    assert heavy_loaded_by(code) == []


def test_an_in_memory_search_loads_no_heavy_library():
    code = ("import hypernas as hn\n"
            "study = hn.create_study('s', strategy='random', seed=0)\n"
            "study.optimize(lambda t: t.params['x'] ** 2, {'x': hn.Float(-1.0, 1.0)}, n_trials=3)\n"
            "assert len(study.trials) == 3\n")
    assert heavy_loaded_by(code) == []


def test_a_ray_executor_is_configured_without_loading_ray():  # a run config is checked before Ray is needed
    code = "import hypernas as hn\nhn.EXECUTORS.build({'type': 'ray', 'address': 'auto', 'gpus': 0.5}).to_config()\n"
    assert heavy_loaded_by(code) == []


def test_lazy_names_load_their_library_when_used():
    code = "import hypernas\nhypernas.SQLStorage\nimport sys\nassert 'torch' not in sys.modules\n"
    assert heavy_loaded_by(code) == ["sqlalchemy"]


def test_the_version_is_read_when_asked():
    expected = version("hypernas")
    assert hypernas.__version__ == expected
    out = run_python("from hypernas.cli import main\nraise SystemExit(main(['--version']))").stdout
    assert out.strip() == f"hypernas {expected}"
