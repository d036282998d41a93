"""Start-up time, hypernas vs Optuna: ``import`` and the command line's ``--help``.

Every measurement is one fresh interpreter (the same Python as this script, same environment),
timed from start to exit. Pairs:

* import: ``python -c "import hypernas"`` vs ``python -c "import optuna"``;
* ``--help``: each command's console script as pip writes it (``from X.cli import main;
  sys.exit(main())`` with ``sys.argv = [X, "--help"]``), run through ``python -c`` so both use the
  same interpreter and neither depends on where its script was installed. Optuna has no
  ``python -m optuna``; this is exactly what its ``optuna`` script runs.

Fairness: an installed Optuna has its bytecode compiled; a hypernas source tree may not, and with
``PYTHONDONTWRITEBYTECODE`` set it would compile every module at every start. So the children run
without that variable, after one untimed warm-up run of every command (which writes the bytecode).
The order of the two libraries alternates per repeat. The table shows milliseconds, median and
minimum over the repeats, and the ratio hypernas / Optuna of the medians (< 1: hypernas is faster);
``python -c pass`` is the interpreter's own start-up, included in every row.

    PYTHONPATH=src python bench/startup.py [--repeats 10]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib.metadata import version

LIBRARIES = ("hypernas", "optuna")


def import_code(library: str) -> str:
    return f"import {library}"


def help_code(library: str) -> str:
    return f"import sys; sys.argv = [{library!r}, '--help']; from {library}.cli import main; sys.exit(main())"


ROWS = {"import": import_code, "--help": help_code}


def child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(code: str, env: dict[str, str]) -> float:
    """Seconds for a fresh interpreter to run ``code`` and exit (it must exit with 0)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(repeats: int) -> dict[str, dict[str, list[float]]]:
    """Milliseconds per run: row -> library -> one value per repeat."""
    env = child_env()
    for make_code in ROWS.values():
        for library in LIBRARIES:
            run_once(make_code(library), env)  # warm-up: writes the bytecode, fills the OS file cache
    times: dict[str, dict[str, list[float]]] = {row: {lib: [] for lib in LIBRARIES} for row in ROWS}
    for repeat in range(repeats):
        order = LIBRARIES if repeat % 2 == 0 else LIBRARIES[::-1]
        for row, make_code in ROWS.items():
            for library in order:
                times[row][library].append(1000.0 * run_once(make_code(library), env))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="fresh interpreters per command (default: 10)")
    args = parser.parse_args()

    env = child_env()
    bare = [1000.0 * run_once("pass", env) for _ in range(args.repeats)]
    times = measure(args.repeats)
    print(f"Python {platform.python_version()}, hypernas {version('hypernas')}, optuna {version('optuna')}, "
          f"{args.repeats} repeats; python -c pass: median {statistics.median(bare):.0f} ms, min {min(bare):.0f} ms")
    print("| command | hypernas ms, median (min) | optuna ms, median (min) | ratio hypernas/optuna |")
    print("|---|---:|---:|---:|")
    for row in ROWS:
        ours, theirs = times[row]["hypernas"], times[row]["optuna"]
        print(f"| {row} | {statistics.median(ours):.0f} ({min(ours):.0f}) | "
              f"{statistics.median(theirs):.0f} ({min(theirs):.0f}) | "
              f"{statistics.median(ours) / statistics.median(theirs):.2f} |")


if __name__ == "__main__":
    main()
