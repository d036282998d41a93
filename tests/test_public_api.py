"""The public API: everything in ``hypernas.__all__`` is importable from the top level, ``import hypernas``
loads no PyTorch, and the documentation imports hypernas only from the top level."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import hypernas

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def python_blocks(path: Path) -> list[str]:
    """The ```python code blocks of a markdown file."""
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def test_every_public_name_resolves():
    assert [name for name in hypernas.__all__ if not hasattr(hypernas, name)] == []


def test_the_nas_strategies_and_architecture_spaces_are_public():
    for name in ("AgingEvolution", "LocalSearch", "NEAT", "PredictorGuidedEvolution", "QLearning", "Reinforce",
                 "NB201Cell", "DARTSCell", "ChainSpace", "MobileNetSpace", "HierarchicalSpace", "ShuffleNetSpace",
                 "Tokenizable"):
        assert name in hypernas.__all__


def test_import_hypernas_loads_no_torch():
    code = "import sys, hypernas; print(sorted(m for m in ('torch', 'matplotlib', 'optuna') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_docs_import_hypernas_only_from_the_top_level():
    deep = []
    for path in DOCS:
        for block in python_blocks(path):
            deep += [f"{path.name}: {line.strip()}" for line in block.splitlines()
                     if re.match(r"\s*(from|import)\s+hypernas\.", line)]
    assert deep == []


def test_the_extension_example_in_concepts_runs(capsys):
    from hypernas.space import PARAM_TYPES
    from hypernas.strategy import STRATEGIES

    code = "\n".join(python_blocks(ROOT / "docs" / "concepts.md"))
    assert "register_strategy" in code and "register_param_type" in code
    try:
        exec(compile(code, "docs/concepts.md", "exec"), {"__name__": "concepts_example"})
    finally:
        STRATEGIES.unregister("mutate-best")
        PARAM_TYPES.unregister("op_chain")
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 3
    assert all(line.count("conv3x3") >= 2 for line in printed), printed  # each found a good architecture
