"""Executors: where the workers of ``Study.optimize`` run, behind one small interface (:class:`Executor`).

Each executor module registers itself in :data:`EXECUTORS` under the name ``optimize(executor=...)``
takes; a new one (e.g. a Ray cluster) is one module that subclasses :class:`Executor`, decorates
it with ``@EXECUTORS.register("name")``, and is imported below.
"""

from hypernas.study.executors.base import EXECUTORS, Executor, FinishedTrials, Job
from hypernas.study.executors.process import ProcessExecutor
from hypernas.study.executors.thread import ThreadExecutor

__all__ = ["EXECUTORS", "Executor", "FinishedTrials", "Job", "ProcessExecutor", "ThreadExecutor"]
