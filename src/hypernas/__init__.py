"""hypernas: neural architecture search and hyperparameter optimization for PyTorch.

One interface for every classic search strategy, and a study record that never loses a trial.
Everything public is importable from here. What needs a heavy library loads it when first used, so
``import hypernas`` stays light: ``hypernas.nn`` (architecture choices in PyTorch models) and the training
names (``Trainer``, ``TrainingObjective``, ``MODELS``, ...) load PyTorch, ``SQLStorage`` SQLAlchemy, each
integration (``HypernasSearchCV``, ``MLflowCallback``, ``TensorBoardCallback``, ``LightningObjective``, ...)
its library, ``__version__`` the package metadata.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hypernas.errors import (
    ConfigError,
    DuplicateStudyError,
    HypernasError,
    InternalError,
    NoCompleteTrialError,
    ObjectiveError,
    PlotError,
    SearchExhausted,
    SpaceError,
    StorageError,
    StrategyError,
    StudyNotFoundError,
    TrialPruned,
    TrialStateError,
    WorkerCrashedError,
)
from hypernas.estimate.pruners import (
    PRUNERS,
    ASHAPruner,
    HyperbandPruner,
    MedianPruner,
    NoPruner,
    PatiencePruner,
    PercentilePruner,
    Pruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    make_pruner,
)
from hypernas.estimate.tabular import NB201Benchmark
from hypernas.record import Direction, FrozenTrial, TrialState
from hypernas.registry import Configurable, Registry
from hypernas.space import (
    PARAM_TYPES,
    Categorical,
    ChainSpace,
    Crossable,
    DARTSCell,
    Fixed,
    Float,
    Growable,
    HasDistance,
    HasFeatures,
    HierarchicalSpace,
    Int,
    MobileNetSpace,
    Morphable,
    NB201Cell,
    Param,
    ShuffleNetSpace,
    Space,
    Tokenizable,
    TokenOneHot,
    register_param_type,
)
from hypernas.strategy import (
    CMAES,
    NEAT,
    NSGA2,
    STRATEGIES,
    TPE,
    AgingEvolution,
    CheapSignal,
    GaussianProcess,
    GridSearch,
    HyperbandScheduler,
    LocalSearch,
    MorphismHillClimbing,
    PredictorGuidedEvolution,
    QLearning,
    RandomSearch,
    Reinforce,
    Strategy,
    StudyView,
    make_strategy,
    register_strategy,
)
from hypernas.study import (
    EXECUTORS,
    Executor,
    InMemoryStorage,
    Job,
    Storage,
    Study,
    StudyHandle,
    Trial,
    create_study,
    delete_study,
    load_study,
    study_names,
)
from hypernas.study.optuna_bridge import export_to_optuna, import_optuna_study

if TYPE_CHECKING:
    from hypernas import nn as nn
    from hypernas.estimate.models import (
        MODELS,
        DARTSNetwork,
        EdgeFactory,
        HierarchicalNetwork,
        MobileNetNetwork,
        NB201Network,
        ShuffleNetNetwork,
        build_model,
        cell_edge,
        count_flops,
        count_params,
        measure_latency,
    )
    from hypernas.estimate.proxies import PROXIES, ProxySignal, ZeroCostObjective, proxy_score
    from hypernas.estimate.train import (
        DATASETS,
        PruneConfig,
        PruneReport,
        PruneResult,
        TrainConfig,
        Trainer,
        TrainingObjective,
        export_trial,
        load_dataset,
        prune_and_finetune,
        prune_model,
        prune_trial,
    )
    from hypernas.integrations.lightning import LightningObjective, LightningPruningCallback
    from hypernas.integrations.mlflow import MLflowCallback
    from hypernas.integrations.sklearn import HypernasSearchCV
    from hypernas.integrations.tensorboard import TensorBoardCallback
    from hypernas.oneshot import (
        DARTSSearch,
        ENASSearch,
        GDASSearch,
        OneShotObjective,
        SearchResult,
        SinglePathSupernet,
        SPOSObjective,
        SPOSSearch,
        Supernet,
        SupernetObjective,
        darts_supernet,
        mobilenet_single_path,
        nb201_single_path,
        nb201_supernet,
        shufflenet_single_path,
    )
    from hypernas.study.executors.ray import RayExecutor
    from hypernas.study.storage.sql import SQLStorage

__version__: str

# name -> module, imported on first use because it loads PyTorch (or SQLAlchemy; RayExecutor loads Ray when it runs)
_MODELS = ("MODELS", "DARTSNetwork", "EdgeFactory", "HierarchicalNetwork", "MobileNetNetwork", "NB201Network",
           "ShuffleNetNetwork", "build_model", "cell_edge", "count_flops", "count_params", "measure_latency")
_TRAIN = ("DATASETS", "PruneConfig", "PruneReport", "PruneResult", "TrainConfig", "Trainer", "TrainingObjective",
          "export_trial", "load_dataset", "prune_and_finetune", "prune_model", "prune_trial")
_ONESHOT = ("DARTSSearch", "ENASSearch", "OneShotObjective", "SearchResult", "Supernet", "darts_supernet",
            "nb201_supernet")
_ONESHOT_SINGLE_PATH = ("GDASSearch", "SPOSObjective", "SPOSSearch", "SinglePathSupernet", "SupernetObjective", "mobilenet_single_path",
                        "nb201_single_path", "shufflenet_single_path")
_PROXIES = ("PROXIES", "ProxySignal", "ZeroCostObjective", "proxy_score")
_INTEGRATIONS = {"LightningObjective": "lightning", "LightningPruningCallback": "lightning", "MLflowCallback": "mlflow",
                 "HypernasSearchCV": "sklearn", "TensorBoardCallback": "tensorboard"}  # each loads its library
_LAZY_NAMES = {**dict.fromkeys(_MODELS, "hypernas.estimate.models"), **dict.fromkeys(_TRAIN, "hypernas.estimate.train"),
               **dict.fromkeys(_ONESHOT, "hypernas.oneshot"), **dict.fromkeys(_ONESHOT_SINGLE_PATH, "hypernas.oneshot"),
               **dict.fromkeys(_PROXIES, "hypernas.estimate.proxies"),
               **{name: f"hypernas.integrations.{module}" for name, module in _INTEGRATIONS.items()},
               "SQLStorage": "hypernas.study.storage.sql", "RayExecutor": "hypernas.study.executors.ray"}


def __getattr__(name: str) -> Any:
    if name == "nn":  # the submodule of architecture choices (it loads PyTorch)
        return importlib.import_module("hypernas.nn")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    if name == "__version__":  # importlib.metadata takes ~50 ms to import: only when the version is asked
        from importlib.metadata import version

        globals()["__version__"] = version("hypernas")
        return globals()["__version__"]
    raise AttributeError(f"module 'hypernas' has no attribute {name!r}")


__all__ = [
    "CMAES", "DATASETS", "EXECUTORS", "MODELS", "NEAT", "NSGA2", "PARAM_TYPES", "PROXIES", "PRUNERS", "STRATEGIES", "TPE",
    "ASHAPruner", "AgingEvolution", "Categorical", "ChainSpace", "CheapSignal", "ConfigError", "Configurable", "Crossable",
    "DARTSCell", "DARTSNetwork", "DARTSSearch", "Direction", "DuplicateStudyError", "ENASSearch", "EdgeFactory", "Executor", "Fixed", "Float",
    "FrozenTrial", "GDASSearch", "GaussianProcess", "GridSearch", "Growable", "HasDistance", "HasFeatures", "HierarchicalNetwork",
    "HierarchicalSpace", "HyperbandPruner", "HyperbandScheduler", "HypernasError", "HypernasSearchCV", "InMemoryStorage", "Int",
    "InternalError", "Job", "LightningObjective", "LightningPruningCallback", "LocalSearch", "MLflowCallback", "MedianPruner", "MobileNetNetwork", "MobileNetSpace", "Morphable", "MorphismHillClimbing", "NB201Benchmark",
    "NB201Cell", "NB201Network", "NoCompleteTrialError", "NoPruner", "ObjectiveError", "OneShotObjective", "Param", "PatiencePruner",
    "PercentilePruner", "PlotError", "PredictorGuidedEvolution", "ProxySignal", "PruneConfig", "PruneReport",
    "PruneResult", "Pruner", "QLearning", "RandomSearch", "RayExecutor",
    "Registry", "Reinforce",
    "SPOSObjective", "SPOSSearch", "SQLStorage", "SearchExhausted", "SearchResult", "ShuffleNetNetwork", "ShuffleNetSpace", "SinglePathSupernet", "Space", "SpaceError", "Storage",
    "StorageError", "Strategy", "StrategyError",
    "Study", "StudyHandle", "StudyNotFoundError", "StudyView", "SuccessiveHalvingPruner", "Supernet", "SupernetObjective",
    "TensorBoardCallback", "ThresholdPruner",
    "TokenOneHot", "Tokenizable", "TrainConfig", "Trainer", "TrainingObjective", "Trial", "TrialPruned", "TrialState",
    "TrialStateError", "WorkerCrashedError", "ZeroCostObjective", "build_model", "cell_edge", "count_flops", "count_params",
    "create_study", "darts_supernet", "delete_study", "export_to_optuna", "export_trial", "import_optuna_study", "load_dataset", "load_study", "make_pruner", "make_strategy", "measure_latency",
    "mobilenet_single_path", "nb201_single_path", "nb201_supernet", "proxy_score", "prune_and_finetune", "prune_model", "prune_trial", "register_param_type", "register_strategy",
    "shufflenet_single_path", "study_names"
]
