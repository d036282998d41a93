"""Readers for the official file formats: IDX (MNIST, Fashion-MNIST) and the CIFAR python pickles (in their
archive or extracted from it).

The CIFAR batches are pickles; they are read with an unpickler that only accepts the few NumPy
globals an array needs, so a tampered archive cannot run code.
"""

from __future__ import annotations

import gzip
import io
import pickle
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from hypernas.estimate.train.download import DatasetError

_IDX_TYPES: dict[int, Any] = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzip-compressed or not) as an array of its declared shape."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DatasetError(f"{path} is not an IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise DatasetError(f"{path}: IDX header declares shape {shape} ({expected} bytes) but holds {len(data) - header}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


class _ArrayUnpickler(pickle.Unpickler):
    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset pickle")
        if module == "numpy.core.multiarray":
            module = "numpy._core.multiarray" if hasattr(np, "_core") else module
        return super().find_class(module, name)


def _load_pickle(raw: bytes, where: str) -> dict[str, Any]:
    try:
        obj = _ArrayUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as exc:  # a corrupt pickle can raise nearly anything
        raise DatasetError(f"{where} is not a readable CIFAR batch: {exc}") from None
    if not isinstance(obj, dict):
        raise DatasetError(f"{where} is not a CIFAR batch (expected a dict, got {type(obj).__name__})")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}


CifarArrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]


def _cifar_arrays(member: Callable[[str], dict[str, Any]], where: Path, train_members: list[str], test_member: str,
                  meta_member: str, label_key: str, names_key: str) -> CifarArrays:
    """The arrays and class names of the CIFAR batches that ``member(name)`` reads."""
    def arrays(batches: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        try:
            x = np.concatenate([np.asarray(b["data"], dtype=np.uint8) for b in batches]).reshape(-1, 3, 32, 32)
            y = np.concatenate([np.asarray(b[label_key], dtype=np.int64) for b in batches])
        except (KeyError, ValueError) as exc:
            raise DatasetError(f"{where}: malformed CIFAR batch ({exc})") from None
        return x, y

    x_train, y_train = arrays([member(m) for m in train_members])
    x_test, y_test = arrays([member(test_member)])
    meta = member(meta_member)
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in meta.get(names_key, [])]
    return x_train, y_train, x_test, y_test, names


def read_cifar_archive(path: Path, folder: str, train_members: list[str], test_member: str, meta_member: str,
                       label_key: str, names_key: str) -> CifarArrays:
    """``(x_train, y_train, x_test, y_test, class_names)`` from a CIFAR ``python`` tar.gz, images as (N, 3, 32, 32) uint8."""
    try:
        tar = tarfile.open(path, "r:gz")  # noqa: SIM115 - closed by the `with tar` below
    except (tarfile.TarError, OSError) as exc:
        raise DatasetError(f"{path} is not a readable tar.gz archive: {exc}") from None
    with tar:
        def member(name: str) -> dict[str, Any]:
            full = f"{folder}/{name}"
            try:
                fh = tar.extractfile(full)
            except KeyError:
                fh = None
            if fh is None:
                raise DatasetError(f"{path} has no member {full!r}; is it the official archive?")
            return _load_pickle(fh.read(), f"{path}:{full}")

        return _cifar_arrays(member, path, train_members, test_member, meta_member, label_key, names_key)


def read_cifar_folder(folder: Path, train_members: list[str], test_member: str, meta_member: str, label_key: str,
                      names_key: str) -> CifarArrays:
    """As :func:`read_cifar_archive`, from the batch files of an extracted archive in ``folder``."""
    def member(name: str) -> dict[str, Any]:
        path = folder / name
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DatasetError(f"cannot read the CIFAR batch {path}: {exc}") from None
        return _load_pickle(raw, str(path))

    return _cifar_arrays(member, folder, train_members, test_member, meta_member, label_key, names_key)
