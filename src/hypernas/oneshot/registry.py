"""One-shot searches by name, for configs such as ``oneshot: {type: darts, order: 2, epochs: 50}``.

Entries are import paths, loaded only when used.
"""

from __future__ import annotations

from typing import Any

from hypernas.errors import ConfigError
from hypernas.registry import Registry

SEARCHES: Registry[Any] = Registry("one-shot search", error=ConfigError)
SEARCHES.register_path("darts", "hypernas.oneshot.darts:DARTSSearch")
SEARCHES.register_path("enas", "hypernas.oneshot.enas:ENASSearch")
SEARCHES.register_path("gdas", "hypernas.oneshot.gdas:GDASSearch")
