"""One-shot searches by name, for configs such as ``oneshot: {type: darts, order: 2, epochs: 50}``.

Entries are import paths, loaded only when used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hypernas.errors import ConfigError
from hypernas.registry import Registry

SEARCHES: Registry[Any] = Registry("one-shot search", error=ConfigError)
SEARCHES.register_path("darts", "hypernas.oneshot.darts:DARTSSearch")
SEARCHES.register_path("enas", "hypernas.oneshot.enas:ENASSearch")
SEARCHES.register_path("gdas", "hypernas.oneshot.gdas:GDASSearch")


def split_options(name: str, options: Mapping[str, Any], search: Sequence[str],
                  objective: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A config's ``oneshot:`` options (besides ``type: name``) as ``(the search's, the objective's)``, by the names
    each takes; an option neither takes is a :class:`ConfigError` listing both."""
    unknown = sorted(k for k in options if k not in objective and k not in search)
    if unknown:
        raise ConfigError(f"oneshot {name!r}: unknown option {unknown[0]!r}; allowed: {', '.join(search)}, "
                          f"{', '.join(objective)}")
    return ({k: v for k, v in options.items() if k in search},
            {k: v for k, v in options.items() if k not in search})
