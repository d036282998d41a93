"""Train what is searched: datasets, splits, augmentation, the Trainer and ``TrainingObjective``.

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
from hypernas.estimate.train.datasets import DATASETS, Dataset, DataSource, load_dataset
from hypernas.estimate.train.download import DatasetError, cache_dir
from hypernas.estimate.train.losses import FocalLoss, balanced_class_weights
from hypernas.estimate.train.objective import METRICS, TrainingObjective
from hypernas.estimate.train.pruning import PruneConfig, PruneReport, PruneResult, prune_and_finetune, prune_model
from hypernas.estimate.train.splits import Splits, make_splits
from hypernas.estimate.train.trainer import FitResult, Trainer
from hypernas.estimate.train.winner import export_trial, prune_trial

__all__ = [
    "DATASETS", "METRICS", "Augment", "Cutout", "DataSource", "Dataset", "DatasetError", "FitResult", "FocalLoss",
    "HorizontalFlip", "Normalize", "PruneConfig", "PruneReport", "PruneResult", "RandomCrop", "RandomGrayscale",
    "Rotation", "Splits", "TrainConfig", "Trainer", "TrainingObjective", "Transform", "VerticalFlip",
    "balanced_class_weights", "cache_dir", "export_trial", "load_dataset", "make_augment", "make_splits",
    "prune_and_finetune", "prune_model", "prune_trial",
]
