"""An integration whose library is not installed says which extra to install, in one line."""

from __future__ import annotations

import subprocess

import pytest

from tests.test_startup import run_python


@pytest.mark.parametrize(("name", "library", "extra"), [
    ("LightningObjective", "lightning", "lightning"),
    ("MLflowCallback", "mlflow", "mlflow"),
    ("TensorBoardCallback", "tensorboard", "tensorboard"),
])
def test_a_missing_library_names_its_extra(name, library, extra):
    code = (f"import sys\nsys.modules[{library!r}] = None  # as if it were not installed\n"
            "import hypernas as hn\n"
            f"try:\n    hn.{name}\nexcept hn.ConfigError as exc:\n    print(exc)\n")
    try:
        out = run_python(code).stdout.strip()
    except subprocess.CalledProcessError as exc:
        raise AssertionError(exc.stderr) from None
    assert out == f'{library} is not installed; install it with: pip install "hypernas[{extra}]"'
