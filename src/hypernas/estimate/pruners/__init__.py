"""Pruners: stop unpromising trials early, behind one interface usable with any strategy."""

from hypernas.estimate.pruners.base import PRUNERS, NoPruner, Pruner, PrunerStudyView, make_pruner, register_pruner

__all__ = ["PRUNERS", "NoPruner", "Pruner", "PrunerStudyView", "make_pruner", "register_pruner"]
