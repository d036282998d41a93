"""The package's import graph follows the layering of DESIGN.md: no import cycles, no upward imports.

The graph is read from the source with ``ast``: every ``import`` and ``from ... import`` at any
level (inside functions and under ``if TYPE_CHECKING:`` too, since those still mean a dependency)
and every lazy registry path (a string ``"hypernas.some.module:attr"``). The layer table below
drives the check, so moving a module inside its folder, or adding a folder, needs no change here
other than one row of the table.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = "hypernas"

# unit -> (rank, module prefixes). A module may import its own unit, and units of a strictly
# lower rank; units of the same rank (strategy and estimate) must not import each other.
LAYERS: dict[str, tuple[int, tuple[str, ...]]] = {
    "vocabulary": (0, ("hypernas.errors", "hypernas.record", "hypernas.validate", "hypernas.registry",
                       "hypernas.core")),
    "space": (1, ("hypernas.space",)),
    "strategy": (2, ("hypernas.strategy",)),
    "estimate": (2, ("hypernas.estimate",)),
    "oneshot": (3, ("hypernas.oneshot",)),
    "study": (4, ("hypernas.study",)),
    "viz": (5, ("hypernas.viz",)),  # below the CLI, whose report and dashboard commands show the views
    "integrations": (5, ("hypernas.integrations",)),  # other libraries' hooks on studies; only the front door imports it
    "cli": (6, ("hypernas.cli",)),  # the command-line tool
    # the package's front door may import anything; nothing inside the package imports it
    "top": (7, ("hypernas.__main__", "hypernas.nn")),
}
TOP_PACKAGE_UNIT = "top"  # hypernas/__init__.py itself

# third-party packages a unit must never import (DESIGN: the space and its genotypes are torch-free)
FORBIDDEN_EXTERNAL: dict[str, tuple[str, ...]] = {
    "space": ("torch",),
}


LAZY_PATH = re.compile(r"^(hypernas(?:\.\w+)+):\w+(?:\.\w+)*$")


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def discover(src: Path = SRC) -> dict[str, Path]:
    """Every module of the package under ``src``: dotted name -> source file."""
    return {_module_name(p, src): p for p in sorted((src / ROOT).rglob("*.py"))}


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _within(name: str, modules: dict[str, Path]) -> str | None:
    """The longest existing module that ``name`` names or lies in (``a.b.attr`` -> ``a.b``)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imports_of(module: str, modules: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(package modules, top-level external packages) that ``module`` imports anywhere in its source."""
    path = modules[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    named: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = _resolve_relative(module, is_package, node.level, node.module)
            named.add(base)
            for alias in node.names:  # ``from pkg import submodule`` imports that submodule
                if alias.name != "*" and f"{base}.{alias.name}" in modules:
                    named.add(f"{base}.{alias.name}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = LAZY_PATH.match(node.value)
            if match:
                named.add(match.group(1))
    internal, external = set(), set()
    for name in named:
        if name == ROOT or name.startswith(ROOT + "."):
            target = _within(name, modules)
            if target is not None and target != module:
                internal.add(target)
        elif name:
            external.add(name.split(".")[0])
    return internal, external


def unit_of(module: str) -> str:
    if module == ROOT:
        return TOP_PACKAGE_UNIT
    for unit, (_, prefixes) in LAYERS.items():
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return unit
    raise AssertionError(f"module {module} is in no layer; add it to LAYERS in {Path(__file__).name}")


def import_graph() -> dict[str, set[str]]:
    modules = discover()
    return {m: imports_of(m, modules)[0] for m in modules}


def upward_imports(graph: dict[str, set[str]]) -> Iterator[tuple[str, str, str]]:
    """(importer, imported, why) for each import that runs against the layering."""
    for module, targets in sorted(graph.items()):
        unit = unit_of(module)
        rank = LAYERS[unit][0]
        for target in sorted(targets):
            other = unit_of(target)
            if other == unit:
                continue
            if target == ROOT:
                yield module, target, "only hypernas/__init__.py re-exports; import from the defining module"
            elif LAYERS[other][0] >= rank:
                yield module, target, f"{unit} (layer {rank}) must not import {other} (layer {LAYERS[other][0]})"


def cycles(graph: dict[str, set[str]]) -> list[tuple[list[str], list[str]]]:
    """Each group of modules that import each other (directly or not), with one cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative (the graph may be deep)
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [(group, _one_cycle(graph, group)) for group in groups]


def _one_cycle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A shortest import path from the group's first module back to itself."""
    members = set(group)
    start = group[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    return [*paths[node], start]
                if child not in paths:
                    paths[child] = [*paths[node], child]
                    nxt.append(child)
        frontier = nxt
    raise AssertionError(f"no cycle through {start}")  # unreachable for a strongly connected group


def test_every_module_has_a_layer():
    for module in discover():
        unit_of(module)


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(
        f"{' -> '.join(cycle)}" + (f" (and through {', '.join(sorted(set(group) - set(cycle)))})"
                                   if len(group) > len(set(cycle)) else "") for group, cycle in found)


def test_imports_follow_the_layers():
    found = list(upward_imports(import_graph()))
    assert not found, "imports against the layering (DESIGN.md):\n" + "\n".join(
        f"{a} imports {b}: {why}" for a, b, why in found)


def test_forbidden_external_imports():
    modules = discover()
    bad = []
    for module in modules:
        banned = FORBIDDEN_EXTERNAL.get(unit_of(module), ())
        bad += [f"{module} imports {pkg}" for pkg in sorted(imports_of(module, modules)[1]) if pkg in banned]
    assert not bad, "\n".join(bad)


# --- the checker itself ----------------------------------------------------------------------

def test_checker_reads_every_kind_of_import(tmp_path):
    files = {
        "hypernas/__init__.py": "",
        "hypernas/errors.py": "",
        "hypernas/study/__init__.py": "",
        "hypernas/study/loop.py": "",
        "hypernas/study/executors/__init__.py": "",
        "hypernas/study/executors/thread.py": (
            "from typing import TYPE_CHECKING\n"
            "from .. import loop\n"
            "from ...errors import X\n"
            "if TYPE_CHECKING:\n    from hypernas.study.executors import base\n"
            "def f():\n    import hypernas.space.params\n"
            "PATH = 'hypernas.study.loop:run'\n"
            "import numpy.linalg\n"),
        "hypernas/study/executors/base.py": "",
        "hypernas/space/__init__.py": "",
        "hypernas/space/params.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    modules = discover(tmp_path)
    internal, external = imports_of("hypernas.study.executors.thread", modules)
    assert internal == {"hypernas.study", "hypernas.study.loop", "hypernas.errors", "hypernas.study.executors",
                        "hypernas.study.executors.base", "hypernas.space.params"}
    assert external == {"typing", "numpy"}


def test_checker_reports_cycles_and_upward_imports():
    graph = {"hypernas.study.a": {"hypernas.study.b"}, "hypernas.study.b": {"hypernas.study.c"},
             "hypernas.study.c": {"hypernas.study.a", "hypernas.space"}, "hypernas.space": {"hypernas.strategy"},
             "hypernas.strategy": {"hypernas.estimate", "hypernas"}, "hypernas.estimate": set(), "hypernas": set()}
    group = ["hypernas.study.a", "hypernas.study.b", "hypernas.study.c"]
    assert cycles(graph) == [(group, [*group, "hypernas.study.a"])]
    assert [(a, b) for a, b, _ in upward_imports(graph)] == [
        ("hypernas.space", "hypernas.strategy"), ("hypernas.strategy", "hypernas"),
        ("hypernas.strategy", "hypernas.estimate")]
