"""Exported models: exact weight bytes, a manifest that rebuilds the network, and TorchScript and ONNX files
that compute what the trained network computes."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

from hypernas.errors import ConfigError
from hypernas.estimate.models import build_model
from hypernas.estimate.models.export import (
    BUILDER,
    ModelManifest,
    export_model,
    load_exported,
    read_manifest,
    weights_from_bytes,
    weights_to_bytes,
)

CELL = "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|"
CASES: dict[str, tuple[tuple[int, ...], dict[str, Any]]] = {
    "chain": ((1, 8, 8), {"layers": [{"type": "conv", "filters": 4}, {"type": "pool"}, {"type": "batchnorm"},
                                     {"type": "dense", "units": 8}, {"type": "dropout", "rate": 0.2}]}),
    "cnn": ((3, 8, 8), {"blocks": 2, "channels": 4, "dense": [8], "batch_norm": True}),
    "mlp": ((5,), {"width": 8, "depth": 2, "batch_norm": True, "dropout": 0.1}),
    "nb201": ((3, 8, 8), {"cell": CELL, "channels": 4, "cells": 1}),
}


def trained(name: str) -> tuple[torch.nn.Module, ModelManifest]:
    """A small network with weights and batch-norm statistics that differ from a fresh build, and its manifest."""
    shape, options = CASES[name]
    torch.manual_seed(0)
    model = build_model(name, shape, 3, **options)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
        model.train()
        model(torch.randn(6, *shape))  # moves the batch-norm running statistics
    manifest = ModelManifest(model=name, input_shape=shape, num_classes=3, options=options,
                             params={"genotype": options}, metrics={"accuracy": 0.5})
    return model, manifest


def outputs_agree(reference: torch.Tensor, got: Any) -> None:
    torch.testing.assert_close(torch.as_tensor(got), reference, rtol=1e-5, atol=1e-5)


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(
        a.reshape(-1).view(torch.uint8), b.reshape(-1).view(torch.uint8))


# --- weights --------------------------------------------------------------------------------------


def test_weight_bytes_round_trip_is_exact() -> None:
    base = torch.randn(4, 3)
    state = {
        "w": base,
        "tied": base,  # shared storage, as tied weights are
        "transposed": base.t(),  # not contiguous
        "view": base[1:3],  # a view into the same storage, at an offset
        "special": torch.tensor([float("nan"), -0.0, float("inf"), 1e-45]),
        "half": torch.randn(5).half(),
        "bf16": torch.randn(5).bfloat16(),
        "count": torch.tensor(7),  # 0-d, like num_batches_tracked
        "mask": torch.tensor([True, False]),
        "grad": torch.randn(2, requires_grad=True),
    }
    back = weights_from_bytes(weights_to_bytes(state))
    assert list(back) == list(state)
    for key, value in state.items():
        assert same_bits(back[key], value.detach().contiguous()), key


def test_model_state_round_trips_exactly() -> None:
    model, _ = trained("nb201")
    state = model.state_dict()
    back = weights_from_bytes(weights_to_bytes(state))
    assert all(same_bits(back[k], v) for k, v in state.items()) and back.keys() == state.keys()


@pytest.mark.parametrize("state, message", [
    ({"w": torch.zeros(2), "extra": {"step": 3}}, "entry 'extra' must be a dense tensor, got dict"),
    ({1: torch.zeros(2)}, "keys must be strings"),
    ({"s": torch.zeros(3).to_sparse()}, "entry 's' must be a dense tensor"),
])
def test_weights_refuse_what_is_not_a_dense_tensor(state: dict[Any, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        weights_to_bytes(state)


def test_weights_from_bytes_refuses_garbage() -> None:
    with pytest.raises(ConfigError, match="not a safetensors file"):
        weights_from_bytes(b"\x80\x04 not safetensors")


def test_weights_from_other_tools_load_in_safetensors_order() -> None:
    from safetensors.torch import save

    assert list(weights_from_bytes(save({"b": torch.zeros(1), "a": torch.ones(2)}))) == ["a", "b"]


# --- the manifest ---------------------------------------------------------------------------------


def test_manifest_round_trips_through_json() -> None:
    manifest = ModelManifest(model="cnn", input_shape=(3, 8, 8), num_classes=3, options={"dense": (8, 4)},
                             params={"lr": 0.1}, metrics={"accuracy": 0.9})
    data = json.loads(manifest.to_json())
    assert data["builder"] == BUILDER == "hypernas.estimate.models:build_model"
    assert data["torch_version"] == torch.__version__ and data["hypernas_version"]
    assert manifest.options == {"dense": [8, 4]}  # kept in its JSON form
    assert ModelManifest.from_json(manifest.to_json()) == manifest


def manifest_text(**changes: Any) -> str:
    data = json.loads(ModelManifest(model="mlp", input_shape=(5,), num_classes=3).to_json())
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize("text, message", [
    ("{not json", "not a JSON document"),
    ("[1, 2]", "must be a JSON object, got list"),
    (manifest_text(model=3), "model must be a non-empty string, got 3"),
    (manifest_text(input_shape=[3, 0]), r"input_shape must be a non-empty list of positive integers, got \[3, 0\]"),
    (manifest_text(num_classes="ten"), "num_classes must be an integer >= 1"),
    (manifest_text(options=[1]), "options must be a mapping with string keys"),
    (manifest_text(builder="os:system"), "builder must be 'hypernas.estimate.models:build_model'"),
    (manifest_text(formats=["pickle"]), "formats must be a list drawn from weights, torchscript, onnx"),
    (manifest_text(torchscript="compile"), "torchscript must be 'script', 'trace' or null"),
    (manifest_text(manifest_version=99), "manifest_version must be 1"),
    (manifest_text(surprise=1), "unknown key 'surprise'"),
    (json.dumps({"model": "mlp"}), "missing key 'input_shape'"),
])
def test_malformed_manifest_is_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        ModelManifest.from_json(text, where="exported model x/manifest.json")
    assert str(info.value).startswith("exported model x/manifest.json: ")
    assert "\n" not in str(info.value)


def test_manifest_refuses_values_json_cannot_hold() -> None:
    with pytest.raises(ConfigError, match="model manifest: metrics must be plain JSON"):
        ModelManifest(model="mlp", input_shape=(5,), num_classes=3, metrics={"loss": float("nan")})


def test_unknown_model_in_manifest_is_a_clear_error(tmp_path: Path) -> None:
    model, manifest = trained("mlp")
    export_model(model, manifest, tmp_path, formats=("weights",))
    path = tmp_path / "manifest.json"
    path.write_text(path.read_text().replace('"model": "mlp"', '"model": "transformer"'))
    with pytest.raises(ConfigError, match=r"manifest.json: unknown model 'transformer'; known models: .*mlp") as info:
        load_exported(tmp_path)
    assert "\n" not in str(info.value)


# --- export directories ---------------------------------------------------------------------------


def check_export(name: str, out: Path, formats: tuple[str, ...]) -> None:
    model, manifest = trained(name)
    written = export_model(model, manifest, out, formats=formats)
    assert set(written) == {"manifest", "weights", *formats}
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written.values())
    assert model.training  # the caller's model is left as it was
    x = torch.randn(5, *manifest.input_shape)  # another batch size than the export's example
    model.eval()
    with torch.no_grad():
        reference = model(x)
        reloaded = load_exported(out)
        assert not reloaded.training
        outputs_agree(reference, reloaded(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.load is deprecated in torch 2.13
            scripted = torch.jit.load(str(written["torchscript"]))
        outputs_agree(reference, scripted(x))
    saved = read_manifest(out)
    assert saved.formats == ("weights", *formats) and saved.torchscript == "trace"  # dropout or a cell: traced
    assert (saved.params, saved.metrics) == (manifest.params, manifest.metrics)
    if "onnx" in formats:
        ort = pytest.importorskip("onnxruntime")
        assert saved.onnx_dynamic_batch is True
        session = ort.InferenceSession(str(written["onnx"]), providers=["CPUExecutionProvider"])
        outputs_agree(reference, session.run(None, {session.get_inputs()[0].name: x.numpy()})[0])


@pytest.mark.parametrize("name", ["cnn", "mlp"])
def test_export_torchscript(name: str, tmp_path: Path) -> None:
    check_export(name, tmp_path / "out", ("torchscript",))


@pytest.mark.parametrize("name", ["chain", "nb201"])
def test_export_every_format(name: str, tmp_path: Path) -> None:
    pytest.importorskip("onnxscript")
    check_export(name, tmp_path / "out", ("torchscript", "onnx"))


def test_export_without_onnx_packages_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    model, manifest = trained("mlp")
    with pytest.raises(ConfigError, match=r'pip install "hypernas\[export\]"'):
        export_model(model, manifest, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_reexport_replaces_its_own_files_only(tmp_path: Path) -> None:
    model, manifest = trained("mlp")
    export_model(model, manifest, tmp_path, formats=("weights", "torchscript"))
    written = export_model(model, manifest, tmp_path, formats=("weights",))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "model.safetensors"]
    assert set(written) == {"manifest", "weights"} and read_manifest(tmp_path).torchscript is None

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "model.pt").write_bytes(b"someone else's")
    with pytest.raises(ConfigError, match=r"model.pt exists and is not part of a hypernas export"):
        export_model(model, manifest, foreign)
    assert (foreign / "model.pt").read_bytes() == b"someone else's"


def test_export_refuses_a_model_the_manifest_does_not_build(tmp_path: Path) -> None:
    model, _ = trained("mlp")
    other = ModelManifest(model="mlp", input_shape=(5,), num_classes=3, options={"width": 16})
    with pytest.raises(ConfigError, match=r"export of model 'mlp': the weights do not fit the network \(missing 2.weight"):
        export_model(model, other, tmp_path)
    with pytest.raises(ConfigError, match="unknown format 'tflite'"):
        export_model(model, other, tmp_path, formats=("tflite",))


def test_torchscript_is_scripted_where_it_can_be(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = build_model("mlp", (5,), 3, width=8, depth=1)  # no dropout: TorchScript compiles it
    export_model(model, ModelManifest(model="mlp", input_shape=(5,), num_classes=3, options={"width": 8, "depth": 1}),
                 tmp_path, formats=("torchscript",))
    assert read_manifest(tmp_path).torchscript == "script"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = torch.jit.load(str(tmp_path / "model.pt"))
    x = torch.randn(4, 5)
    with torch.no_grad():
        outputs_agree(model.eval()(x), scripted(x))
