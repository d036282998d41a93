"""Pruners: stop unpromising trials early, behind one interface usable with any strategy."""

from hypernas.estimate.pruners.asha import ASHAPruner
from hypernas.estimate.pruners.base import PRUNERS, NoPruner, Pruner, PrunerStudyView, make_pruner
from hypernas.estimate.pruners.hyperband import HyperbandPruner
from hypernas.estimate.pruners.median import MedianPruner
from hypernas.estimate.pruners.patience import PatiencePruner
from hypernas.estimate.pruners.percentile import PercentilePruner
from hypernas.estimate.pruners.successive_halving import SuccessiveHalvingPruner
from hypernas.estimate.pruners.threshold import ThresholdPruner

__all__ = ["PRUNERS", "ASHAPruner", "HyperbandPruner", "MedianPruner", "NoPruner", "PatiencePruner",
           "PercentilePruner", "Pruner", "PrunerStudyView", "SuccessiveHalvingPruner", "ThresholdPruner",
           "make_pruner"]
