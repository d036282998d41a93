"""``hypernas bench``: search strategies side by side on a tabular benchmark.

``command`` is the command line, ``harness`` runs strategies over seeds, ``optuna_runner`` drives
Optuna's samplers as a reference, ``plot`` draws the incumbent curves.
"""
