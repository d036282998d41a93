"""How the next candidate is chosen: one module per strategy behind one small interface."""

from hypernas.strategy.base import Strategy, StudyView
from hypernas.strategy.cma_es import CMAES
from hypernas.strategy.gp import GaussianProcess
from hypernas.strategy.grid_search import GridSearch
from hypernas.strategy.hyperband import HyperbandScheduler
from hypernas.strategy.nsga2 import NSGA2
from hypernas.strategy.random_search import RandomSearch
from hypernas.strategy.registry import STRATEGIES, make_strategy, register_strategy
from hypernas.strategy.tpe import TPE

__all__ = ["CMAES", "STRATEGIES", "GaussianProcess", "GridSearch", "HyperbandScheduler", "NSGA2", "RandomSearch", "Strategy",
           "StudyView", "TPE", "make_strategy", "register_strategy"]
