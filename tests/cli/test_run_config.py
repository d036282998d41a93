"""Run configs read numbers the way users write them (``1e-4``), everywhere in the file."""

from __future__ import annotations

from hypernas.cli.run_config import load_config


def test_exponent_numbers_are_floats_everywhere(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(
        "space:\n"
        "  lr: [1e-4, 1e-3]\n"
        "  wd: 1e-5\n"
        "objective: {type: anything, lr: 3e-4}\n"
        "timeout: 1e3\n")
    config = load_config(path)
    assert config.space == {"lr": [1e-4, 1e-3], "wd": 1e-5}
    assert config.objective == {"type": "anything", "lr": 3e-4}
    assert config.timeout == 1000.0
