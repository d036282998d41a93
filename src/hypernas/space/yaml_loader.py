"""The YAML loader of space files and run configs, in a module of its own so that PyYAML loads only
when YAML is read."""

from __future__ import annotations

import re

import yaml


class YamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, also reading ``1e-4`` and ``1E5`` as floats (YAML 1.1 wants ``1.0e-4``)."""


YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)
