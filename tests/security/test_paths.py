"""No study name can make a checkpoint land outside the folder the user chose."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from hypernas import TrainingObjective


@pytest.mark.parametrize("name", ["..", "../../escape", "/etc/passwd", "a/../../b", "..\\..\\x", ".", "", "ok name"])
def test_checkpoints_stay_inside_the_checkpoint_folder(tmp_path: Path, name: str) -> None:
    root = tmp_path / "checkpoints"
    objective = TrainingObjective("digits", "mlp", checkpoint_dir=root)
    trial = SimpleNamespace(study=SimpleNamespace(name=name), number=3, user_attrs={}, system_attrs={},
                            snapshot=lambda: SimpleNamespace(system_attrs={}))
    path = objective._checkpoint_path(trial)
    assert path is not None and path.resolve().parent.parent == root.resolve()


def test_two_studies_whose_names_sanitize_alike_get_different_folders(tmp_path: Path) -> None:
    objective = TrainingObjective("digits", "mlp", checkpoint_dir=tmp_path)
    paths = {objective._checkpoint_path(SimpleNamespace(study=SimpleNamespace(name=n), number=0,
                                                        snapshot=lambda: SimpleNamespace(system_attrs={})))
             for n in ("a/b", "a_b", "a b")}
    assert len(paths) == 3
