"""bench/oneshot_nb201_protocol.py runs end to end on a tiny CIFAR-10 archive of the official layout."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import pickle
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from hypernas.estimate.train import datasets as ds
from hypernas.space.arch.nb201 import NB201Cell

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "oneshot_nb201_protocol.py"
TABLE = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "nb201.csv.gz"


def fake_cifar10(folder: Path) -> str:
    """A cifar-10-python.tar.gz of the official layout with 4 images per training batch; its md5."""
    rng = np.random.default_rng(0)
    members = {f"data_batch_{i}": {b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
                                   b"labels": [(i + k) % 2 for k in range(4)]} for i in range(1, 6)}
    members["test_batch"] = {b"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8), b"labels": [0, 1]}
    members["batches.meta"] = {b"label_names": [b"airplane", b"automobile"]}
    path = folder / "cifar-10-python.tar.gz"
    with tarfile.open(path, mode="w:gz") as tar:
        for name, obj in members.items():
            raw = pickle.dumps(obj, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return "md5:" + hashlib.md5(path.read_bytes()).hexdigest()


def load_script():
    spec = importlib.util.spec_from_file_location("bench_oneshot_nb201_protocol", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


@pytest.mark.skipif(not TABLE.is_file(), reason="the NB201 table is not in ../shared/benchmarks")
def test_protocol_runs_every_method_on_a_tiny_archive(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(ds.CIFAR_ARCHIVES, "cifar10", ("cifar-10-python.tar.gz", fake_cifar10(tmp_path)))
    script = load_script()
    out = tmp_path / "out.json"
    result = script.main(["--cifar", str(tmp_path), "--device", "cpu", "--seeds", "1", "--epochs", "1",
                          "--channels", "4", "--cells", "1", "--batch", "8", "--spos-trials", "2",
                          "--table", str(TABLE), "--json", str(out)])
    assert set(result["methods"]) == set(script.METHODS)
    assert json.loads(out.read_text())["methods"].keys() == result["methods"].keys()
    for method, summary in result["methods"].items():
        (run,) = summary["runs"]
        NB201Cell().validate(run["genotype"])
        assert 0 < run["cifar10_test_200"] <= 100
        assert summary["published"] == (script.PUBLISHED[method][0] if method in script.PUBLISHED else None)
    assert "| darts1 |" in capsys.readouterr().out


def test_protocol_refuses_an_unknown_method(tmp_path):
    with pytest.raises(SystemExit):
        load_script().main(["--cifar", str(tmp_path), "--methods", "darts1,nasnet"])
