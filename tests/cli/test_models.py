"""`hypernas export-model` and `hypernas prune`: the trained network of a study's best trial, taken out."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from hypernas import load_study
from hypernas.estimate.models.export import load_exported, read_manifest
from hypernas.estimate.train import Trainer
from tests.cli.cli_cases import run_cli

TRAIN = textwrap.dedent("""
    space:
      channels: {type: categorical, choices: [8, 12]}
    strategy: random
    objective: {type: train, dataset: digits, model: cnn, blocks: 2, dense: [32], epochs: 2, lr: 0.01,
                train_size: 300, val_size: 90, test_size: 90, measure_latency: false}
    n_trials: 2
    seed: 0
""")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``s.db`` with the finished study ``train`` (its best trial keeps its network)."""
    folder = tmp_path_factory.mktemp("trained")
    (folder / "train.yaml").write_text(TRAIN)
    code, _, err = run_cli("run", str(folder / "train.yaml"), "--storage", str(folder / "s.db"), "--quiet")
    assert code == 0, err
    return folder


def test_export_model_writes_every_format_of_the_best_trial(trained: Path, tmp_path: Path) -> None:
    out = tmp_path / "best"
    code, stdout, err = run_cli("export-model", "train", "--storage", str(trained / "s.db"), "--out", str(out))
    assert code == 0, err
    assert {line.split()[0] for line in stdout.splitlines()} == {"manifest", "weights", "torchscript", "onnx"}
    study = load_study("train", str(trained / "s.db"))
    best = study.best_trial
    manifest = read_manifest(out)
    assert manifest.params == best.params and manifest.metrics["trial"] == best.number
    assert manifest.metrics["test_accuracy"] == best.user_attrs["test_accuracy"]
    model = load_exported(out)
    x = torch.rand(5, 1, 8, 8)
    expected = model(x).detach().numpy()
    assert np.allclose(torch.jit.load(str(out / "model.pt"))(x).detach().numpy(), expected, atol=1e-5)
    session = onnxruntime.InferenceSession(str(out / "model.onnx"))
    assert np.allclose(session.run(None, {session.get_inputs()[0].name: x.numpy()})[0], expected, atol=1e-5)


def test_a_trial_that_kept_no_network_is_one_clear_line(trained: Path, tmp_path: Path) -> None:
    study = load_study("train", str(trained / "s.db"))
    other = 1 - study.best_trial.number
    code, _, err = run_cli("export-model", "train", "--storage", str(trained / "s.db"), "--trial", str(other),
                           "--out", str(tmp_path / "x"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"trial {other} of study 'train' kept no trained network" in err
    assert f"trials that kept one: {study.best_trial.number}" in err
    code, _, err = run_cli("export-model", "train", "--storage", str(trained / "s.db"), "--trial", "7")
    assert code == 2 and "study 'train' has no trial 7" in err


def test_prune_shrinks_the_best_network_and_exports_it(trained: Path, tmp_path: Path) -> None:
    out = tmp_path / "pruned"
    code, stdout, err = run_cli("prune", "train", "--storage", str(trained / "s.db"), "--out", str(out),
                                "--amount", "0.5", "--target", "flops", "--formats", "weights")
    assert code == 0, err
    assert "removed)" in stdout and "latency" in stdout and "test accuracy" in stdout
    manifest = read_manifest(out)
    assert manifest.pruned and manifest.formats == ("weights",)
    assert manifest.metrics["flops_removed"] >= 0.5 and manifest.metrics["params_after"] < manifest.metrics["params_before"]
    model = load_exported(out)
    assert sum(p.numel() for p in model.parameters()) == manifest.metrics["params_after"]
    from hypernas.cli.run_config import load_config, objective_of

    objective = objective_of(load_config(trained / "train.yaml"))
    accuracy = Trainer(model).evaluate(objective.splits().test)["accuracy"]
    assert accuracy == pytest.approx(manifest.metrics["test_accuracy_after"])


def test_prune_needs_a_train_objective(workdir: Path) -> None:
    assert run_cli("run", "study.yaml", "--storage", "s.db", "--quiet")[0] == 0
    code, _, err = run_cli("prune", "study", "--storage", "s.db")
    assert code == 2 and "'hypernas prune' fine-tunes on the data of a 'train' objective" in err
