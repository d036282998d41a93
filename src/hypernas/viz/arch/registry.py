"""The drawings of architecture spaces by the parameter type name (``nb201``, ``darts``, ...).

A drawing is a function ``(param, value) -> Canvas`` registered in the module that defines it; the
spaces themselves know nothing of drawings (they stay free of any view).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypernas.errors import PlotError
from hypernas.registry import Registry
from hypernas.viz.arch.svg import Canvas

Drawing = Callable[[Any, Any], Canvas]

DRAWINGS: Registry[Drawing] = Registry("drawing", error=PlotError)
"""Architecture drawings by parameter type name."""
