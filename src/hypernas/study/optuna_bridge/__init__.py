"""Copy studies between Optuna and hypernas: switch with the history, or view a hypernas study in optuna-dashboard.

Optuna is imported when a function here is first called (``pip install "hypernas[optuna]"``).
"""

from hypernas.study.optuna_bridge._common import IMPORT_ATTR
from hypernas.study.optuna_bridge.exporting import export_to_optuna
from hypernas.study.optuna_bridge.importing import import_optuna_study

__all__ = ["IMPORT_ATTR", "export_to_optuna", "import_optuna_study"]
