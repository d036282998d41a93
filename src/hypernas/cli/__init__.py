"""The ``hypernas`` command: run, resume and inspect studies, and benchmark strategies.

Each command lives in its own module and imports what only it needs (pydantic for run configs,
Optuna and matplotlib for ``bench``) when it runs, so ``hypernas --help`` stays fast.
"""

from hypernas.cli.app import main

__all__ = ["main"]
