"""Datasets: digits, the official archive formats written tiny in tmp folders, arrays and image folders."""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from hypernas.errors import ConfigError
from hypernas.estimate.train import Dataset, DatasetError, cache_dir, download, load_dataset
from hypernas.estimate.train import datasets as ds


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data).hexdigest()


@pytest.fixture()
def tiny_idx():
    """The four MNIST-format files: 20 train and 10 test images of 28x28, labels 0..9."""
    rng = np.random.default_rng(0)
    files = {
        "train-images-idx3-ubyte.gz": idx_bytes(rng.integers(0, 256, (20, 28, 28))),
        "train-labels-idx1-ubyte.gz": idx_bytes(np.arange(20) % 10),
        "t10k-images-idx3-ubyte.gz": idx_bytes(rng.integers(0, 256, (10, 28, 28))),
        "t10k-labels-idx1-ubyte.gz": idx_bytes(np.arange(10)),
    }
    return files


def serve(monkeypatch, files: dict[str, bytes]) -> list[str]:
    """Replace the network by ``files`` (by file name); returns the list of URLs fetched."""
    fetched: list[str] = []

    def fake_fetch(url: str, dest: Path) -> None:
        fetched.append(url)
        Path(dest).write_bytes(files[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(download, "fetch_url", fake_fetch)
    return fetched


def test_digits_is_the_offline_default(no_network):
    source = load_dataset("digits")
    assert source.test is None
    assert source.train.x.shape == (1797, 1, 8, 8) and source.train.x.dtype == torch.uint8
    assert source.train.num_classes == 10 and int(source.train.x.max()) == 255


def test_mnist_downloads_verifies_caches_and_reads_idx(monkeypatch, tiny_idx):
    monkeypatch.setitem(ds.IDX_CHECKSUMS, "mnist", tuple(md5(tiny_idx[n]) for n in ds._IDX_NAMES))
    fetched = serve(monkeypatch, tiny_idx)
    source = load_dataset("mnist")
    assert len(fetched) == 4 and fetched[0].startswith("https://")
    assert source.train.x.shape == (20, 1, 28, 28) and source.test.x.shape == (10, 1, 28, 28)
    assert source.train.y.tolist() == [i % 10 for i in range(20)]
    assert (cache_dir() / "mnist" / "train-images-idx3-ubyte.gz").is_file()
    again = load_dataset("mnist")  # from the cache: no second download
    assert len(fetched) == 4 and torch.equal(again.train.x, source.train.x)


def test_checksum_mismatch_is_refused_and_nothing_is_cached(monkeypatch, tiny_idx):
    serve(monkeypatch, tiny_idx)  # the official checksums do not match these tiny files
    with pytest.raises(DatasetError, match="checksum mismatch"):
        load_dataset("mnist")
    assert not any((cache_dir() / "mnist").glob("*.gz"))


def test_cache_follows_hypernas_data(monkeypatch, tmp_path):
    monkeypatch.setenv("HYPERNAS_DATA", str(tmp_path / "elsewhere"))
    assert cache_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("HYPERNAS_DATA")
    assert cache_dir() == Path.home() / ".cache" / "hypernas"


def test_fashion_mnist_from_a_local_copy(monkeypatch, tmp_path, tiny_idx, no_network):
    monkeypatch.setitem(ds.IDX_CHECKSUMS, "fashion_mnist", tuple(md5(tiny_idx[n]) for n in ds._IDX_NAMES))
    for name, data in tiny_idx.items():
        (tmp_path / name).write_bytes(data)
    source = load_dataset("fashion_mnist", root=tmp_path)
    assert source.train.classes[0] == "T-shirt/top" and len(source.test) == 10


def test_missing_local_file_and_no_download_are_clear(tmp_path, no_network):
    with pytest.raises(DatasetError, match="has no file 'train-images-idx3-ubyte.gz'"):
        load_dataset("mnist", root=tmp_path)
    with pytest.raises(DatasetError, match="download=False"):
        load_dataset("mnist", download=False)


def cifar_archive(folder: str, members: dict[str, dict]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, obj in members.items():
            raw = pickle.dumps(obj, protocol=2)
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return buf.getvalue()


def cifar_batch(n: int, label_key: bytes, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), label_key: [i % 3 for i in range(n)]}


def test_cifar10_archive(monkeypatch):
    members = {f"data_batch_{i}": cifar_batch(4, b"labels", i) for i in range(1, 6)}
    members["test_batch"] = cifar_batch(6, b"labels", 9)
    members["batches.meta"] = {b"label_names": [b"airplane", b"automobile", b"bird"]}
    archive = cifar_archive("cifar-10-batches-py", members)
    monkeypatch.setitem(ds.CIFAR_ARCHIVES, "cifar10", ("cifar-10-python.tar.gz", md5(archive)))
    serve(monkeypatch, {"cifar-10-python.tar.gz": archive})
    source = load_dataset("cifar10")
    assert source.train.x.shape == (20, 3, 32, 32) and len(source.test) == 6
    assert source.train.classes == ["airplane", "automobile", "bird"]
    first = members["data_batch_1"][b"data"][0].reshape(3, 32, 32)
    assert torch.equal(source.train.x[0], torch.from_numpy(first))


def test_cifar100_archive_uses_fine_labels(monkeypatch):
    members = {"train": cifar_batch(9, b"fine_labels", 1), "test": cifar_batch(3, b"fine_labels", 2),
               "meta": {b"fine_label_names": [b"apple", b"bear", b"cloud"], b"coarse_label_names": [b"x"]}}
    archive = cifar_archive("cifar-100-python", members)
    monkeypatch.setitem(ds.CIFAR_ARCHIVES, "cifar100", ("cifar-100-python.tar.gz", md5(archive)))
    serve(monkeypatch, {"cifar-100-python.tar.gz": archive})
    source = load_dataset("cifar100")
    assert source.train.classes == ["apple", "bear", "cloud"] and source.train.y.tolist()[:3] == [0, 1, 2]


def test_cifar_pickle_with_code_is_refused(monkeypatch):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    members = {"train": {b"data": Evil()}, "test": cifar_batch(3, b"fine_labels", 2), "meta": {}}
    archive = cifar_archive("cifar-100-python", members)
    monkeypatch.setitem(ds.CIFAR_ARCHIVES, "cifar100", ("cifar-100-python.tar.gz", md5(archive)))
    serve(monkeypatch, {"cifar-100-python.tar.gz": archive})
    with pytest.raises(DatasetError, match=r"refusing to load [\w.]*print"):  # builtins.print, or a patched one
        load_dataset("cifar100")


def test_image_folder(tmp_path):
    for c, (colour, size) in enumerate([((255, 0, 0), (6, 5)), ((0, 0, 255), (6, 5))]):
        (tmp_path / f"class{c}").mkdir()
        for i in range(3):
            Image.new("RGB", size, colour).save(tmp_path / f"class{c}" / f"{i}.png")
    (tmp_path / "class0" / "notes.txt").write_text("ignored")
    source = load_dataset("folder", path=tmp_path)
    assert source.train.x.shape == (6, 3, 5, 6) and source.train.classes == ["class0", "class1"]
    assert source.train.x[0, 0].float().mean() == 255 and source.train.x[5, 2].float().mean() == 255
    gray = load_dataset("folder", path=tmp_path, grayscale=True, image_size=4)
    assert gray.train.x.shape == (6, 1, 4, 4)


def test_image_folder_with_mixed_sizes_needs_image_size(tmp_path):
    (tmp_path / "a").mkdir()
    Image.new("L", (4, 4)).save(tmp_path / "a" / "0.png")
    Image.new("L", (5, 5)).save(tmp_path / "a" / "1.png")
    with pytest.raises(DatasetError, match="different sizes"):
        load_dataset("folder", path=tmp_path)
    assert load_dataset("folder", path=tmp_path, image_size=(3, 2)).train.x.shape == (2, 1, 3, 2)
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset("folder", path=tmp_path / "nope")


def test_arrays_and_their_errors():
    data = Dataset.from_arrays(np.zeros((5, 4, 4)), [0, 1, 2, 0, 1])
    assert data.input_shape == (1, 4, 4) and data.classes == ["0", "1", "2"]
    assert Dataset.from_arrays(torch.ones(3, 7), torch.tensor([0, 1, 0])).input_shape == (7,)
    with pytest.raises(DatasetError, match="5 samples but labels of shape"):
        Dataset.from_arrays(np.zeros((5, 4)), [0, 1])
    with pytest.raises(DatasetError, match=r"labels must be in 0..1"):
        Dataset.from_arrays(np.zeros((2, 4)), [0, 5], classes=["a", "b"])
    with pytest.raises(DatasetError, match="integer class indices"):
        Dataset.from_arrays(np.zeros((2, 4)), [0.5, 1.0])


def test_unknown_dataset_names_the_known_ones():
    with pytest.raises(ConfigError, match="unknown dataset 'imagenet'; known datasets: .*cifar10.*digits.*mnist"):
        load_dataset("imagenet")
    with pytest.raises(DatasetError, match="dataset 'digits': unknown option 'subset'; allowed: root, download"):
        load_dataset("digits", subset=10)


def test_a_dataset_registered_for_a_while():
    def tiny(root=None, download=True, *, n=4):
        return ds.DataSource(Dataset.from_arrays(np.zeros((n, 3)), np.arange(n) % 2, name="tiny"))

    with ds.DATASETS.temporarily("tiny", tiny):
        assert len(load_dataset("tiny", n=6).train) == 6
    assert "tiny" not in ds.DATASETS


def test_cifar10_extracted_batches(tmp_path, monkeypatch, no_network):
    members = {f"data_batch_{i}": cifar_batch(4, b"labels", i) for i in range(1, 6)}
    members["test_batch"] = cifar_batch(6, b"labels", 9)
    members["batches.meta"] = {b"label_names": [b"airplane", b"automobile", b"bird"]}
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name, obj in members.items():
        (folder / name).write_bytes(pickle.dumps(obj, protocol=2))
    monkeypatch.setitem(ds.CIFAR_BATCHES, "cifar10", {n: md5((folder / n).read_bytes()) for n in members})
    for root in (tmp_path, folder):  # the folder holding cifar-10-batches-py/, or that folder itself
        source = load_dataset("cifar10", root=root, download=False)
        assert source.train.x.shape == (20, 3, 32, 32) and len(source.test) == 6
        assert torch.equal(source.train.x[4], torch.from_numpy(members["data_batch_2"][b"data"][0].reshape(3, 32, 32)))
    (folder / "test_batch").write_bytes(pickle.dumps(cifar_batch(5, b"labels", 3), protocol=2))
    with pytest.raises(DatasetError, match="checksum mismatch"):
        load_dataset("cifar10", root=tmp_path, download=False)


def test_cifar_without_archive_or_batches_names_the_archive(tmp_path, no_network):
    with pytest.raises(DatasetError, match="has no file 'cifar-10-python.tar.gz'"):
        load_dataset("cifar10", root=tmp_path, download=False)
