"""Executors: where the workers of ``Study.optimize`` run, behind one small interface (:class:`Executor`).

Each executor module registers itself in :data:`EXECUTORS` under the name ``optimize(executor=...)``
takes; a new one (e.g. a Ray cluster) is one module that subclasses :class:`Executor` and decorates
it with ``@EXECUTORS.register("name")`` (the built-in ones are imported here; an executor object can
also be passed to ``optimize`` directly).
"""

from hypernas.study.executors.base import EXECUTORS, Executor, FinishedTrials, Job
from hypernas.study.executors.process import ProcessExecutor
from hypernas.study.executors.thread import ThreadExecutor

__all__ = ["EXECUTORS", "Executor", "FinishedTrials", "Job", "ProcessExecutor", "ThreadExecutor"]
