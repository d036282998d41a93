"""What the CLI tests share: an objective module, a run config, and the command run in-process."""

from __future__ import annotations

import io
import sys
import textwrap

from hypernas.cli import main

OBJECTIVE = textwrap.dedent("""
    import math

    def bowl(trial):
        p = trial.params
        loss = (math.log10(p["lr"]) + 2.5) ** 2 + (p["layers"] - 3) ** 2
        if p["optimizer"] == "sgd":
            loss += (p["momentum"] - 0.9) ** 2
        return loss

    def flaky(trial):
        if trial.number % 3 == 1:
            raise RuntimeError("diverged at step 7")
        if trial.number % 3 == 2:
            return float("nan")
        return trial.params["lr"]

    def broken(trial):
        raise RuntimeError("no result")

    def depth(trial):
        return len(trial.params["arch"])

    def two(trial):
        return {"error": trial.params["lr"], "size": trial.params["layers"], "note": "x"}
""")

CONFIG = textwrap.dedent("""
    space:
      lr: {type: float, low: 1e-5, high: 1e-1, log: true}
      layers: {type: int, low: 1, high: 6}
      optimizer: [sgd, adam]
      momentum: {type: float, low: 0.0, high: 0.99, when: {optimizer: sgd}}
    strategy: random
    objective: cli_objectives:bowl
    n_trials: 12
    seed: 3
""")


def run_cli(*args: str) -> tuple[int, str, str]:
    """``hypernas ARGS`` in this process: ``(exit code, stdout, stderr)``."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()
