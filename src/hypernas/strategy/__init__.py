"""How the next candidate is chosen: one module per strategy behind one small interface."""

from hypernas.strategy.base import Strategy, StudyView
from hypernas.strategy.grid_search import GridSearch
from hypernas.strategy.hyperband import HyperbandScheduler
from hypernas.strategy.random_search import RandomSearch
from hypernas.strategy.registry import STRATEGIES, make_strategy, register_strategy
from hypernas.strategy.evolution import AgingEvolution
from hypernas.strategy.local_search import LocalSearch
from hypernas.strategy.predictor import PredictorGuidedEvolution
from hypernas.strategy.qlearning import QLearning
from hypernas.strategy.reinforce import Reinforce
from hypernas.strategy.neat import NEAT

__all__ = ["STRATEGIES", "GridSearch", "RandomSearch", "Strategy", "StudyView", "make_strategy", "register_strategy"]
__all__ += ["HyperbandScheduler"]
__all__ += ["AgingEvolution", "LocalSearch", "NEAT", "PredictorGuidedEvolution", "QLearning", "Reinforce"]
