"""hypernas: neural architecture search and hyperparameter optimization for PyTorch.

One interface for every classic search strategy, and a study record that never loses a trial.
"""

from hypernas.errors import (
    ConfigError,
    DuplicateStudyError,
    HypernasError,
    SearchExhausted,
    SpaceError,
    StorageError,
    StrategyError,
    StudyNotFoundError,
    TrialPruned,
    TrialStateError,
)
from hypernas.estimate.pruners import Pruner, make_pruner
from hypernas.estimate.pruners import (
    ASHAPruner,
    HyperbandPruner,
    MedianPruner,
    PatiencePruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
)
from hypernas.record import Direction, FrozenTrial, TrialState
from hypernas.space import Categorical, Fixed, Float, Int, Param, Space
from hypernas.strategy import GridSearch, RandomSearch, Strategy, make_strategy, register_strategy
from hypernas.strategy import HyperbandScheduler
from hypernas.strategy import CMAES, NSGA2, TPE, GaussianProcess
from hypernas.study import (
    InMemoryStorage,
    SQLStorage,
    Storage,
    Study,
    Trial,
    create_study,
    delete_study,
    load_study,
    study_names,
)

__version__ = "0.1.0"

__all__ = [
    "Categorical", "ConfigError", "Direction", "DuplicateStudyError", "Fixed", "Float", "FrozenTrial", "GridSearch",
    "HypernasError", "InMemoryStorage", "Int", "Param", "Pruner", "RandomSearch", "SQLStorage", "SearchExhausted",
    "Space", "SpaceError", "Storage", "StorageError", "Strategy", "StrategyError", "Study", "StudyNotFoundError",
    "Trial", "TrialPruned", "TrialState", "TrialStateError", "create_study", "delete_study", "load_study",
    "make_pruner", "make_strategy", "register_strategy", "study_names",
]
__all__ += ["ASHAPruner", "HyperbandPruner", "HyperbandScheduler", "MedianPruner", "PatiencePruner",
            "PercentilePruner", "SuccessiveHalvingPruner", "ThresholdPruner"]
__all__ += ["CMAES", "GaussianProcess", "NSGA2", "TPE"]
