"""How the next candidate is chosen: one module per strategy behind one small interface."""

from hypernas.strategy.base import Strategy, StudyView
from hypernas.strategy.cma_es import CMAES
from hypernas.strategy.evolution import AgingEvolution
from hypernas.strategy.gp import GaussianProcess
from hypernas.strategy.grid_search import GridSearch
from hypernas.strategy.hyperband import HyperbandScheduler
from hypernas.strategy.local_search import LocalSearch
from hypernas.strategy.morphism import MorphismHillClimbing
from hypernas.strategy.neat import NEAT
from hypernas.strategy.nsga2 import NSGA2
from hypernas.strategy.predictor import PredictorGuidedEvolution
from hypernas.strategy.qlearning import QLearning
from hypernas.strategy.random_search import RandomSearch
from hypernas.strategy.registry import STRATEGIES, make_strategy, register_strategy
from hypernas.strategy.reinforce import Reinforce
from hypernas.strategy.signal import CheapSignal
from hypernas.strategy.tpe import TPE

__all__ = ["CMAES", "NEAT", "NSGA2", "STRATEGIES", "TPE", "AgingEvolution", "CheapSignal", "GaussianProcess", "GridSearch",
           "HyperbandScheduler", "LocalSearch", "MorphismHillClimbing", "PredictorGuidedEvolution", "QLearning", "RandomSearch", "Reinforce",
           "Strategy", "StudyView", "make_strategy", "register_strategy"]
