"""Datasets as in-memory tensors: scikit-learn digits, MNIST, Fashion-MNIST, CIFAR-10/100, arrays, image folders.

Every loader returns a :class:`DataSource`: a training set and, when the dataset has an official
one, a test set. Images are ``(N, C, H, W)`` tensors (``uint8`` in 0..255, scaled to [0, 1] per batch,
or floats used as they are); feature tables are ``(N, D)`` floats. Labels are ``int64`` class indices.

``load_dataset("mnist")`` fetches the official archives into the cache (see
:mod:`hypernas.estimate.train.download`), or reads a local copy with ``root="/path/to/files"``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hypernas.estimate.train.download import DatasetError, Resource, cache_dir, ensure, verify
from hypernas.estimate.train.formats import read_cifar_archive, read_cifar_folder, read_idx
from hypernas.registry import Registry


@dataclass
class Dataset:
    """Samples ``x`` with integer labels ``y`` in ``range(len(classes))``."""

    x: torch.Tensor
    y: torch.Tensor
    classes: list[str]
    name: str = "arrays"

    def __post_init__(self) -> None:
        if self.x.ndim not in (2, 4):
            raise DatasetError(f"dataset {self.name!r}: samples must have shape (N, D) or (N, C, H, W), "
                               f"got {tuple(self.x.shape)}")
        if self.y.ndim != 1 or len(self.y) != len(self.x):
            raise DatasetError(f"dataset {self.name!r}: {len(self.x)} samples but labels of shape {tuple(self.y.shape)}")
        if len(self.y) and (int(self.y.min()) < 0 or int(self.y.max()) >= len(self.classes)):
            raise DatasetError(f"dataset {self.name!r}: labels must be in 0..{len(self.classes) - 1}, "
                               f"got {int(self.y.min())}..{int(self.y.max())}")

    def __len__(self) -> int:
        return len(self.y)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one sample: ``(C, H, W)`` or ``(D,)``."""
        return tuple(self.x.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def subset(self, indices: torch.Tensor | np.ndarray | Sequence[int]) -> Dataset:
        idx = torch.as_tensor(np.asarray(indices), dtype=torch.long)
        return Dataset(self.x[idx], self.y[idx], list(self.classes), self.name)

    @classmethod
    def from_arrays(cls, x: Any, y: Any, classes: Sequence[str] | None = None, name: str = "arrays") -> Dataset:
        """A dataset from NumPy arrays or tensors; ``(N, H, W)`` images get a channel axis."""
        xt = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
        yt = torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y)
        if xt.ndim == 3:
            xt = xt.unsqueeze(1)
        if xt.dtype not in (torch.uint8, torch.float32):
            if xt.is_floating_point() or xt.dtype in (torch.int16, torch.int32, torch.int64, torch.int8):
                xt = xt.float()
            else:
                raise DatasetError(f"dataset {name!r}: samples must be numbers, got dtype {xt.dtype}")
        if yt.is_floating_point() and not torch.equal(yt, yt.round()):
            raise DatasetError(f"dataset {name!r}: labels must be integer class indices, got non-integer values")
        yt = yt.long()
        if classes is None:
            classes = [str(i) for i in range(int(yt.max()) + 1 if len(yt) else 0)]
        return cls(xt.contiguous(), yt, list(classes), name)


@dataclass
class DataSource:
    """What a loader gives: the training data and, when the dataset has one, its official test set."""

    train: Dataset
    test: Dataset | None = None


Loader = Callable[..., DataSource]
DATASETS: Registry[Loader] = Registry("dataset", error=DatasetError)
"""Loaders ``loader(root=None, download=True, **options) -> DataSource`` by name; add one with
``@DATASETS.register("name")`` (once per name it answers to)."""


def load_dataset(name: str, *, root: str | os.PathLike | None = None, download: bool = True, **options: Any) -> DataSource:
    """Load a dataset by name (see :data:`DATASETS`); ``root`` is a local copy of the official files."""
    source: DataSource = DATASETS.build(name, root=Path(root) if root is not None else None, download=download,
                                        **options)
    return source


@DATASETS.register("digits")
def load_digits(root: Path | None = None, download: bool = True) -> DataSource:
    """scikit-learn's 8x8 handwritten digits (1797 images, bundled with scikit-learn; no official test set)."""
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    x = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)
    return DataSource(Dataset.from_arrays(x, bunch.target, [str(c) for c in bunch.target_names], "digits"))


_MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
_FASHION_BASE = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
_IDX_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
              "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
IDX_CHECKSUMS: dict[str, tuple[str, str, str, str]] = {
    "mnist": ("md5:f68b3c2dcbeaaa9fbdd348bbdeb94873", "md5:d53e105ee54ea40749a09fcbcd1e9432",
              "md5:9fb629c4189551a2d022fa330f9573f3", "md5:ec29112dd5afa0611ce80d1b7f02629c"),
    "fashion_mnist": ("md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d", "md5:25c81989df183df01b3e8a0aad5dffbe",
                      "md5:bef4ecab320f06d8554ea6380940ec79", "md5:bb300cfdad3c16e7a12a480ee83cd310"),
}
_FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                    "Ankle boot"]


def _idx_source(name: str, mirrors: Sequence[str], classes: list[str], root: Path | None, download: bool) -> DataSource:
    folder = cache_dir() / name
    paths = [ensure(Resource(f, tuple(m + f for m in mirrors), c), folder, root=root, download=download)
             for f, c in zip(_IDX_NAMES, IDX_CHECKSUMS[name])]
    x_train, y_train, x_test, y_test = (read_idx(p) for p in paths)
    for images, labels, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DatasetError(f"{name} {split} files disagree: images {images.shape}, labels {labels.shape}")
    return DataSource(Dataset.from_arrays(x_train, y_train, classes, name),
                      Dataset.from_arrays(x_test, y_test, classes, name))


@DATASETS.register("mnist")
def load_mnist(root: Path | None = None, download: bool = True) -> DataSource:
    """MNIST handwritten digits, 28x28 grayscale, 60000 train / 10000 test."""
    return _idx_source("mnist", _MNIST_MIRRORS, [str(i) for i in range(10)], root, download)


@DATASETS.register("fashion_mnist")
@DATASETS.register("fashion-mnist")
def load_fashion_mnist(root: Path | None = None, download: bool = True) -> DataSource:
    """Fashion-MNIST clothing images, 28x28 grayscale, 60000 train / 10000 test."""
    return _idx_source("fashion_mnist", _FASHION_BASE, list(_FASHION_CLASSES), root, download)


CIFAR_ARCHIVES: dict[str, tuple[str, str]] = {
    "cifar10": ("cifar-10-python.tar.gz", "md5:c58f30108f718f92721af3b95e74349a"),
    "cifar100": ("cifar-100-python.tar.gz", "md5:eb9058c3a382ffc7106e4002c42a8d85"),
}
CIFAR_BATCHES: dict[str, dict[str, str]] = {
    "cifar10": {"data_batch_1": "md5:c99cafc152244af753f735de768cd75f",
                "data_batch_2": "md5:d4bba439e000b95fd0a9bffe97cbabec",
                "data_batch_3": "md5:54ebc095f3ab1f0389bbae665268c751",
                "data_batch_4": "md5:634d18415352ddfa80567beed471001a",
                "data_batch_5": "md5:482c414d41f54cd18b22e5b47cb7c3cb",
                "test_batch": "md5:40351d587109b95175f43aff81a1287e", "batches.meta": "md5:5ff9c542aee3614f3951f8cda6e48888"},
    "cifar100": {"train": "md5:16019d7e3df5f24257cddd939b257f8d", "test": "md5:f0ef6b0ae62326f3e7ffdfab6717acfc",
                 "meta": "md5:7973b15100ade9c7d40fb424638fde48"},
}
"""The checksum of every file of the extracted archives (``cifar-10-batches-py/``, ``cifar-100-python/``)."""


def _extracted_cifar(name: str, root: Path, folder: str) -> Path | None:
    """The folder under ``root`` holding the extracted batches of ``name`` (``root/<folder>`` or ``root`` itself),
    each file verified against its checksum; None where ``root`` holds the archive or no extracted batches."""
    if (root / CIFAR_ARCHIVES[name][0]).is_file():
        return None
    for candidate in (root / folder, root):
        if all((candidate / member).is_file() for member in CIFAR_BATCHES[name]):
            for member, checksum in CIFAR_BATCHES[name].items():
                verify(candidate / member, checksum)
            return candidate
    return None


def _cifar_source(name: str, root: Path | None, download: bool) -> DataSource:
    filename, checksum = CIFAR_ARCHIVES[name]
    if name == "cifar10":
        layout = ("cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)], "test_batch", "batches.meta",
                  "labels", "label_names")
    else:
        layout = ("cifar-100-python", ["train"], "test", "meta", "fine_labels", "fine_label_names")
    extracted = _extracted_cifar(name, Path(root).expanduser(), layout[0]) if root is not None else None
    if extracted is not None:
        x_train, y_train, x_test, y_test, classes = read_cifar_folder(extracted, *layout[1:])
    else:
        path = ensure(Resource(filename, (f"https://www.cs.toronto.edu/~kriz/{filename}",), checksum),
                      cache_dir() / name, root=root, download=download)
        x_train, y_train, x_test, y_test, classes = read_cifar_archive(path, *layout)
    n = int(max(y_train.max(initial=0), y_test.max(initial=0))) + 1
    classes = classes if len(classes) >= n else [str(i) for i in range(n)]
    return DataSource(Dataset.from_arrays(x_train, y_train, classes, name),
                      Dataset.from_arrays(x_test, y_test, classes, name))


@DATASETS.register("cifar10")
@DATASETS.register("cifar-10")
def load_cifar10(root: Path | None = None, download: bool = True) -> DataSource:
    """CIFAR-10 colour images, 3x32x32, 10 classes, 50000 train / 10000 test; ``root`` holds the official
    ``cifar-10-python.tar.gz`` or the batches extracted from it (``cifar-10-batches-py/``)."""
    return _cifar_source("cifar10", root, download)


@DATASETS.register("cifar100")
@DATASETS.register("cifar-100")
def load_cifar100(root: Path | None = None, download: bool = True) -> DataSource:
    """CIFAR-100 colour images, 3x32x32, 100 fine classes, 50000 train / 10000 test; ``root`` holds the official
    ``cifar-100-python.tar.gz`` or the files extracted from it (``cifar-100-python/``)."""
    return _cifar_source("cifar100", root, download)


_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}


@DATASETS.register("folder")
def load_image_folder(root: Path | None = None, download: bool = True, *, path: str | os.PathLike | None = None,
                      image_size: int | Sequence[int] | None = None, grayscale: bool | None = None) -> DataSource:
    """Images in ``path/<class name>/*.png|jpg|...``, one sub-folder per class, read with Pillow.

    ``image_size`` (``S`` or ``(H, W)``) resizes every image; without it all images must share one size.
    ``grayscale`` forces one channel (True) or three (False); by default one channel if every image is grayscale.
    """
    from PIL import Image, UnidentifiedImageError

    base = Path(path if path is not None else root if root is not None else "")
    if path is None and root is None:
        raise DatasetError("dataset 'folder' needs path= (a folder with one sub-folder of images per class)")
    if not base.is_dir():
        raise DatasetError(f"image folder {str(base)!r} does not exist or is not a folder")
    classes = sorted(d.name for d in base.iterdir() if d.is_dir() and not d.name.startswith("."))
    files = [(f, i) for i, c in enumerate(classes) for f in sorted((base / c).iterdir())
             if f.suffix.lower() in _IMAGE_SUFFIXES]
    if not files:
        raise DatasetError(f"image folder {str(base)!r} has no images in class sub-folders "
                           f"(allowed suffixes: {', '.join(sorted(_IMAGE_SUFFIXES))})")
    images = []
    for f, _ in files:
        try:
            with Image.open(f) as im:
                im.load()
                images.append(im.copy())
        except (UnidentifiedImageError, OSError) as exc:
            raise DatasetError(f"cannot read image {f}: {exc}") from None
    if grayscale is None:
        grayscale = all(im.mode in ("1", "L", "I", "I;16", "F") for im in images)
    mode = "L" if grayscale else "RGB"
    size = None
    if image_size is not None:
        h, w = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
        size = (int(w), int(h))
    arrays = []
    for im in images:
        im = im.convert(mode)
        if size is not None and im.size != size:
            im = im.resize(size, Image.Resampling.BILINEAR)
        arr = np.asarray(im, dtype=np.uint8)
        arrays.append(arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1))
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise DatasetError(f"images in {str(base)!r} have different sizes {sorted(s[1:] for s in shapes)[:3]}...; "
                           "give image_size= to resize them")
    labels = np.array([i for _, i in files], dtype=np.int64)
    return DataSource(Dataset.from_arrays(np.stack(arrays), labels, classes, base.name or "folder"))
