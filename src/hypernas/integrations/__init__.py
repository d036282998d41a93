"""Integrations with the libraries users already work with, each an optional extra.

One module per library: :mod:`~hypernas.integrations.lightning` (a pruning callback and a
LightningModule as the objective), :mod:`~hypernas.integrations.mlflow` and
:mod:`~hypernas.integrations.tensorboard` (logging every trial), :mod:`~hypernas.integrations.sklearn`
(``HypernasSearchCV``). Each module imports its library when it is imported itself, which
``hypernas/__init__.py`` does only when one of its names is first used; a missing library is a
:class:`~hypernas.errors.ConfigError` naming the extra to install. This package imports none of them.
"""

from __future__ import annotations

from typing import Any

from hypernas.errors import ConfigError, SpaceError
from hypernas.record import FrozenTrial
from hypernas.space import Space
from hypernas.space.params import value_text


def missing_extra(library: str, extra: str) -> ConfigError:
    """The error for a library an integration needs and that is not installed."""
    return ConfigError(f"{library} is not installed; install it with: pip install \"hypernas[{extra}]\"")


def study_space(study: Any) -> Space | None:
    """The study's space, or ``None`` while it has none."""
    try:
        space: Space = study.space
    except SpaceError:
        return None
    return space


def param_texts(space: Space | None, trial: FrozenTrial) -> dict[str, str]:
    """Each parameter of ``trial`` as readable text: a genotype as its space describes it, numbers to 6 digits."""
    return {name: space[name].describe(value) if space is not None and name in space else value_text(value)
            for name, value in trial.params.items()}
