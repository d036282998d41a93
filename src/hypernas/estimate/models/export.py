"""Write and read exported models: weights as safetensors, a manifest that rebuilds the network, TorchScript, ONNX.

An export directory holds ``manifest.json`` (a :class:`ModelManifest`: which registered builder, with
which options, made the network, and what the search found) and ``model.safetensors`` (its trained
weights) — together the rebuildable form that :func:`load_exported` reads back — and, as asked,
``model.pt`` (TorchScript, for ``torch.jit.load``) and ``model.onnx`` (for ONNX runtimes, batch
dimension dynamic). Nothing is pickled, and nothing named in a manifest is imported: the network is
rebuilt only through the :data:`~hypernas.estimate.models.MODELS` registry, by name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as safetensors_load
from safetensors.torch import save as safetensors_save
from torch import nn

from hypernas.errors import ConfigError
from hypernas.estimate.models import build_model
from hypernas.estimate.models.chain import ChainNet
from hypernas.validate import check_int, is_integer

BUILDER = "hypernas.estimate.models:build_model"
"""The code path that rebuilds every exported network (the only one a manifest may name)."""
MANIFEST_VERSION = 1
FORMATS = ("weights", "torchscript", "onnx")
FILES = {"manifest": "manifest.json", "weights": "model.safetensors", "torchscript": "model.pt", "onnx": "model.onnx"}
"""The file each part of an export is written to, inside the export directory."""
_ORDER = "hypernas.order"  # safetensors metadata: the state dict's keys in order (safetensors sorts them)
EXAMPLE_BATCH = 2  # batch size of the example input: not 1, which torch.export would fix as a constant


def _hypernas_version() -> str:
    try:
        return metadata.version("hypernas")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


# --- the manifest -------------------------------------------------------------------------------


def _json_value(where: str, name: str, value: Any) -> Any:
    """``value`` as plain JSON (tuples become lists); a clear error for anything JSON cannot hold."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {name} must be plain JSON (strings, finite numbers, booleans, null, lists, "
                          f"mappings with string keys), got {value!r}") from None


def _json_object(where: str, name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ConfigError(f"{where}: {name} must be a mapping with string keys, got {value!r}")
    return dict(_json_value(where, name, dict(value)))


def _text(where: str, name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {name} must be a non-empty string, got {value!r}")
    return value


def _validated(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The manifest fields of ``raw``, checked and normalised to their JSON form."""
    out = dict(raw)
    out["model"] = _text(where, "model", raw["model"])
    shape = raw["input_shape"]
    if not isinstance(shape, (list, tuple)) or not shape or not all(is_integer(s) and s >= 1 for s in shape):
        raise ConfigError(f"{where}: input_shape must be a non-empty list of positive integers, got {shape!r}")
    out["input_shape"] = tuple(int(s) for s in shape)
    out["num_classes"] = check_int(where, "num_classes", raw["num_classes"], 1)
    for name in ("options", "params", "metrics"):
        out[name] = _json_object(where, name, raw[name])
    if raw["builder"] != BUILDER:
        raise ConfigError(f"{where}: builder must be {BUILDER!r} (no other code path is imported), "
                          f"got {raw['builder']!r}")
    out["hypernas_version"] = _text(where, "hypernas_version", raw["hypernas_version"])
    out["torch_version"] = str(_text(where, "torch_version", raw["torch_version"]))
    formats = raw["formats"]
    if not isinstance(formats, (list, tuple)) or not all(isinstance(f, str) and f in FORMATS for f in formats):
        raise ConfigError(f"{where}: formats must be a list drawn from {', '.join(FORMATS)}, got {formats!r}")
    out["formats"] = tuple(f for f in FORMATS if f in formats)
    if raw["torchscript"] not in (None, "script", "trace"):
        raise ConfigError(f"{where}: torchscript must be 'script', 'trace' or null, got {raw['torchscript']!r}")
    if not isinstance(raw["pruned"], bool):
        raise ConfigError(f"{where}: pruned must be true or false, got {raw['pruned']!r}")
    if not (raw["onnx_dynamic_batch"] is None or isinstance(raw["onnx_dynamic_batch"], bool)):
        raise ConfigError(f"{where}: onnx_dynamic_batch must be true, false or null, got {raw['onnx_dynamic_batch']!r}")
    if not is_integer(raw["manifest_version"]) or raw["manifest_version"] != MANIFEST_VERSION:
        raise ConfigError(f"{where}: manifest_version must be {MANIFEST_VERSION} (this version of hypernas), "
                          f"got {raw['manifest_version']!r}")
    return out


@dataclass(frozen=True)
class ModelManifest:
    """How to rebuild an exported network, and what the search found.

    ``model``, ``input_shape``, ``num_classes`` and ``options`` are the arguments of
    ``build_model`` (the code path in ``builder``); ``params`` are the trial's parameters (genotype
    included) and ``metrics`` any results worth keeping, both plain JSON. :func:`export_model` fills
    ``formats`` (what it wrote), ``torchscript`` (``"script"`` or ``"trace"``: how ``model.pt`` was
    made) and ``onnx_dynamic_batch`` (whether ``model.onnx`` takes any batch size). ``pruned``: channel pruning
    narrowed the network's layers, so the built network's layers take the widths of the weights (:func:`fit_layers`).
    """

    model: str
    input_shape: tuple[int, ...]
    num_classes: int
    options: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    builder: str = BUILDER
    hypernas_version: str = field(default_factory=_hypernas_version)
    torch_version: str = torch.__version__
    formats: tuple[str, ...] = ()
    torchscript: str | None = None
    onnx_dynamic_batch: bool | None = None
    pruned: bool = False
    manifest_version: int = MANIFEST_VERSION

    def __post_init__(self) -> None:
        for name, value in _validated(self._fields(), "model manifest").items():
            object.__setattr__(self, name, value)

    def _fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_json(self) -> str:
        """The manifest as a JSON document."""
        data = self._fields()
        data["input_shape"] = list(self.input_shape)
        data["formats"] = list(self.formats)
        return json.dumps(data, indent=2, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes, where: str = "model manifest") -> ModelManifest:
        """The manifest in a JSON document; anything malformed is one :class:`ConfigError` line starting with ``where``."""
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where}: not a JSON document ({exc})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: must be a JSON object, got {type(data).__name__}")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(names)}")
        missing = [name for name in names if name not in data]
        if missing:
            raise ConfigError(f"{where}: missing key {missing[0]!r}")
        return cls(**_validated(data, where))

    def build(self, where: str = "model manifest") -> nn.Module:
        """The untrained network, built through the model registry (a builder error is prefixed with ``where``)."""
        try:
            return build_model(self.model, self.input_shape, self.num_classes, **self.options)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None

    def network(self, weights: Mapping[str, torch.Tensor], where: str = "model manifest") -> nn.Module:
        """The trained network: built, fitted to the weights' widths if it was pruned, the weights loaded; eval mode."""
        network = self.build(where)
        if self.pruned:
            fit_layers(network, weights)
        load_weights(network, weights, where)
        return network.eval()


# --- weights --------------------------------------------------------------------------------------


def weights_to_bytes(state_dict: Mapping[str, Any]) -> bytes:
    """A state dict as safetensors bytes, bit for bit (each tensor copied to CPU, contiguous, unshared).

    Every entry must be a dense tensor under a string key; anything else is refused with a :class:`ConfigError`.
    """
    tensors: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise ConfigError(f"model weights: keys must be strings, got {key!r}")
        if not isinstance(value, torch.Tensor) or value.layout != torch.strided or value.is_meta:
            raise ConfigError(f"model weights: entry {key!r} must be a dense tensor, got "
                              f"{type(value).__name__ if not isinstance(value, torch.Tensor) else value.layout}")
        tensors[key] = value.detach().to("cpu").clone(memory_format=torch.contiguous_format)
    try:
        return safetensors_save(tensors, metadata={_ORDER: json.dumps(list(tensors))})
    except (SafetensorError, ValueError, TypeError) as exc:
        raise ConfigError(f"model weights: cannot be stored as safetensors ({exc})") from None


def _metadata(data: bytes) -> dict[str, Any]:
    """The ``__metadata__`` of a safetensors header (8 bytes of header length, then the JSON header)."""
    header = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])
    return header.get("__metadata__") or {}


def weights_from_bytes(data: bytes) -> dict[str, torch.Tensor]:
    """The state dict in safetensors bytes, in its original order (the inverse of :func:`weights_to_bytes`)."""
    data = bytes(data)
    try:
        tensors = safetensors_load(data)
        order = json.loads(_metadata(data).get(_ORDER, "null")) or sorted(tensors)
    except (SafetensorError, ValueError, TypeError) as exc:
        raise ConfigError(f"model weights: not a safetensors file ({exc})") from None
    if not isinstance(order, list) or not all(isinstance(k, str) for k in order) or sorted(order) != sorted(tensors):
        raise ConfigError(f"model weights: the key order in the metadata does not list the tensors ({order!r})")
    return {key: tensors[key] for key in order}


def fit_layers(model: nn.Module, weights: Mapping[str, torch.Tensor]) -> None:
    """Give each convolution, linear and batch-norm layer of ``model`` the width its tensors in ``weights`` have
    (in place): a network of the same architecture as one whose channels were pruned then takes its weights."""
    for name, module in list(model.named_modules()):
        prefix = f"{name}." if name else ""
        weight = weights.get(prefix + "weight", weights.get(prefix + "running_mean"))
        if weight is None or not isinstance(module, (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d)):
            continue
        resized: nn.Module
        if isinstance(module, nn.Conv2d):
            if weight.shape == module.weight.shape:
                continue
            depthwise = module.groups > 1 and module.groups == module.in_channels == module.out_channels
            groups = weight.shape[0] if depthwise else module.groups
            same: dict[str, Any] = {"kernel_size": module.kernel_size, "stride": module.stride, "padding": module.padding,
                                    "dilation": module.dilation, "bias": module.bias is not None,
                                    "padding_mode": module.padding_mode}
            resized = nn.Conv2d(weight.shape[1] * groups, weight.shape[0], groups=groups, **same)
        elif isinstance(module, nn.Linear):
            if weight.shape == module.weight.shape:
                continue
            resized = nn.Linear(weight.shape[1], weight.shape[0], bias=module.bias is not None)
        else:
            if weight.shape[0] == module.num_features:
                continue
            resized = type(module)(weight.shape[0], module.eps, module.momentum, module.affine, module.track_running_stats)
        owner, _, attr = name.rpartition(".")
        setattr(model.get_submodule(owner), attr, resized)
    if isinstance(model, ChainNet):
        model.sync_genotype()


def load_weights(model: nn.Module, weights: Mapping[str, torch.Tensor], where: str) -> None:
    """Copy ``weights`` into ``model``; keys or shapes that do not fit are one :class:`ConfigError` line."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    wrong = [f"{k} {tuple(weights[k].shape)} instead of {tuple(v.shape)}"
             for k, v in expected.items() if k in weights and weights[k].shape != v.shape]
    problems = ([f"missing {', '.join(missing[:3])}"] if missing else []) + (
        [f"unexpected {', '.join(unexpected[:3])}"] if unexpected else []) + (
        [f"shape {', '.join(wrong[:3])}"] if wrong else [])
    if problems:
        raise ConfigError(f"{where}: the weights do not fit the network ({'; '.join(problems)})")
    model.load_state_dict(dict(weights))


# --- writing and reading an export directory ------------------------------------------------------


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No warnings or log lines from torch's exporters (deprecations, progress, missing torchvision)."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export", "torch._dynamo", "torch.jit")]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _require_onnx() -> None:
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise ConfigError('ONNX export needs the onnx and onnxscript packages: pip install "hypernas[export]"') from None


def _write_torchscript(model: nn.Module, example: torch.Tensor, path: Path, name: str) -> str:
    """``model`` saved as TorchScript: scripted where it can be, traced on ``example`` otherwise; says which."""
    with _quiet():
        try:
            module, how = torch.jit.script(model), "script"
        except Exception:  # any network TorchScript cannot compile is traced instead
            try:
                module, how = torch.jit.trace(model, example), "trace"
            except Exception as exc:
                raise ConfigError(f"model {name!r} cannot be exported to TorchScript ({_first_line(exc)}); "
                                  "export the other formats") from None
        torch.jit.save(module, str(path))
    return how


def _write_onnx(model: nn.Module, example: torch.Tensor, path: Path, name: str) -> bool:
    """``model`` saved as ONNX with a dynamic batch dimension, or a fixed one where that fails; says which."""
    common: dict[str, Any] = {"dynamo": True, "verbose": False, "external_data": False,
                              "input_names": ["input"], "output_names": ["output"]}
    with _quiet():
        try:
            torch.onnx.export(model, (example,), str(path), dynamic_shapes=({0: torch.export.Dim("batch", min=1)},),
                              **common)
            return True
        except Exception:  # a network whose code fixes the batch size: export it for the example's batch size
            try:
                torch.onnx.export(model, (example,), str(path), **common)
            except Exception as exc:
                raise ConfigError(f"model {name!r} cannot be exported to ONNX ({_first_line(exc)}); "
                                  "export the other formats") from None
            return False


def _is_ours(directory: Path) -> bool:
    """Whether ``directory`` holds an export of ours (a readable manifest), so its files may be replaced."""
    try:
        ModelManifest.from_json((directory / FILES["manifest"]).read_bytes())
    except (OSError, ConfigError):
        return False
    return True


def export_model(model: nn.Module, manifest: ModelManifest, out_dir: str | os.PathLike[str],
                 formats: Iterable[str] = FORMATS) -> dict[str, Path]:
    """Write ``model`` into ``out_dir`` in ``formats`` (weights, torchscript, onnx); the paths written, by part.

    ``manifest.json`` is always written and ``model.safetensors`` always with it (the rebuildable form);
    ``model`` must have the state dict of the network ``manifest`` builds. Every format is made from
    that rebuilt network, on the CPU in eval mode, so each file computes what :func:`load_exported`
    gives. ``out_dir`` is created; files already there are replaced only if they are an earlier export.
    """
    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ConfigError(f"export: unknown format {unknown[0]!r}; allowed: {', '.join(FORMATS)}")
    wanted = tuple(f for f in FORMATS if f in {"weights", *formats})
    if "onnx" in wanted:
        _require_onnx()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"export: {out} is not a directory")
    taken = [name for name in FILES.values() if (out / name).exists()]
    if taken and not _is_ours(out):
        raise ConfigError(f"export: {out / taken[0]} exists and is not part of a hypernas export; "
                          "choose another directory or remove it")
    where = f"export of model {manifest.model!r}"
    data = weights_to_bytes(model.state_dict())
    network = manifest.network(weights_from_bytes(data), where)
    example = torch.randn((EXAMPLE_BATCH, *manifest.input_shape), generator=torch.Generator().manual_seed(0))
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=out))
    try:
        (staging / FILES["weights"]).write_bytes(data)
        torchscript = onnx_dynamic_batch = None
        if "torchscript" in wanted:
            torchscript = _write_torchscript(network, example, staging / FILES["torchscript"], manifest.model)
        if "onnx" in wanted:
            onnx_dynamic_batch = _write_onnx(network, example, staging / FILES["onnx"], manifest.model)
        final = dataclasses.replace(manifest, formats=wanted, torchscript=torchscript,
                                    onnx_dynamic_batch=onnx_dynamic_batch)
        (staging / FILES["manifest"]).write_text(final.to_json())
        written = {part: out / FILES[part] for part in ("manifest", *wanted)}
        for part, name in FILES.items():
            if part not in written:
                (out / name).unlink(missing_ok=True)  # left from an earlier export in more formats
        for part, path in written.items():
            if part != "manifest":
                os.replace(staging / FILES[part], path)
        os.replace(staging / FILES["manifest"], written["manifest"])  # last: the export is complete
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def read_manifest(out_dir: str | os.PathLike[str]) -> ModelManifest:
    """The manifest of the export in ``out_dir``."""
    path = Path(out_dir) / FILES["manifest"]
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"exported model {path}: cannot be read ({exc.strerror or exc})") from None
    return ModelManifest.from_json(text, where=f"exported model {path}")


def load_exported(out_dir: str | os.PathLike[str]) -> nn.Module:
    """The trained network of the export in ``out_dir``, rebuilt from its manifest and weights, in eval mode."""
    manifest = read_manifest(out_dir)
    path = Path(out_dir) / FILES["weights"]
    where = f"exported model {path}"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    try:
        weights = weights_from_bytes(data)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return manifest.network(weights, f"exported model {Path(out_dir) / FILES['manifest']}")


__all__ = ["BUILDER", "FILES", "FORMATS", "ModelManifest", "export_model", "fit_layers", "load_exported", "load_weights",
           "read_manifest", "weights_from_bytes", "weights_to_bytes"]
