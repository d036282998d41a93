"""Reading YAML configs safely: plain data only, within limits on size, expansion and nesting.

PyYAML's safe loader builds no objects but plain data; on top of that, a config must be small
(``MAX_BYTES``), and its anchors and aliases may not expand it past ``MAX_NODES`` values (an
"alias bomb" would otherwise grow into gigabytes when it is validated or stored) or refer to
themselves, and it may nest at most ``MAX_DEPTH`` levels.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from hypernas.errors import ConfigError, HypernasError

MAX_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_DEPTH = 50


class YamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, also reading ``1e-4`` and ``1E5`` as floats (YAML 1.1 wants ``1.0e-4``)."""


YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def load_yaml(text: str, source: str, error: type[HypernasError] = ConfigError) -> Any:
    """The plain data of YAML ``text``; ``source`` names it in the one-line ``error`` raised when it is
    not valid YAML or is beyond the limits."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise error(f"{source}: the YAML is larger than the {MAX_BYTES // 1_000_000} MB a config may take")
    try:
        data = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError as exc:
        raise error(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise error(f"{source}: the YAML nests deeper than the {MAX_DEPTH} levels a config may take") from None
    _check_size(data, source, error)
    return data


def read_yaml_file(path: str | Path, what: str, error: type[HypernasError] = ConfigError) -> Any:
    """The plain data of the YAML file ``path`` (``what`` names it in messages: "config file")."""
    file = Path(path)
    shown = f"{what} {str(path)!r}"
    if file.is_dir():
        raise error(f"{shown} is a folder; give the YAML file in it")
    if not file.is_file():
        raise error(f"{shown} does not exist")
    try:
        if file.stat().st_size > MAX_BYTES:
            raise error(f"{shown} is larger than the {MAX_BYTES // 1_000_000} MB a config may take")
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{shown} is not UTF-8 text; a config is a YAML text file") from None
    except OSError as exc:
        raise error(f"{shown} cannot be read ({exc.strerror})") from None
    return load_yaml(text, str(path), error)


def _check_size(data: Any, source: str, error: type[HypernasError]) -> None:
    """Count the values ``data`` holds once its aliases are expanded, stopping at the limits."""
    count = 0
    stack: list[tuple[Any, int, tuple[int, ...]]] = [(data, 0, ())]
    while stack:
        node, depth, path = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise error(f"{source}: the YAML holds more than {MAX_NODES} values once its aliases (*name) are expanded")
        if depth > MAX_DEPTH:
            raise error(f"{source}: the YAML nests deeper than the {MAX_DEPTH} levels a config may take")
        if isinstance(node, (dict, list)):
            if id(node) in path:
                raise error(f"{source}: the YAML refers to itself through an alias (*name)")
            children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
            stack.extend((child, depth + 1, (*path, id(node))) for child in children)
