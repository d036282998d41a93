"""Train what is searched: datasets, splits, augmentation, model builders, the Trainer and ``TrainingObjective``.

See ``docs/training.md``. Everything here works on in-memory tensors with PyTorch alone.
"""

from hypernas.estimate.train.augment import (
    Augment,
    Cutout,
    HorizontalFlip,
    Normalize,
    RandomCrop,
    RandomGrayscale,
    Rotation,
    Transform,
    VerticalFlip,
    make_augment,
)
from hypernas.estimate.train.config import TrainConfig
from hypernas.estimate.train.datasets import DATASETS, DataSource, Dataset, load_dataset, register_dataset
from hypernas.estimate.train.download import DatasetError, cache_dir
from hypernas.estimate.train.losses import FocalLoss, balanced_class_weights
from hypernas.estimate.train.models import (
    MODELS,
    ChainNet,
    build_chain,
    build_model,
    count_flops,
    count_params,
    measure_latency,
    register_model,
)
from hypernas.estimate.train.objective import METRICS, TrainingObjective
from hypernas.estimate.train.splits import Splits, make_splits
from hypernas.estimate.train.trainer import FitResult, Trainer

__all__ = [
    "DATASETS", "METRICS", "MODELS", "Augment", "ChainNet", "Cutout", "DataSource", "Dataset", "DatasetError",
    "FitResult", "FocalLoss", "HorizontalFlip", "Normalize", "RandomCrop", "RandomGrayscale", "Rotation", "Splits",
    "TrainConfig", "Trainer", "TrainingObjective", "Transform", "VerticalFlip", "balanced_class_weights",
    "build_chain", "build_model", "cache_dir", "count_flops", "count_params", "load_dataset", "make_augment",
    "make_splits", "measure_latency", "register_dataset", "register_model",
]
