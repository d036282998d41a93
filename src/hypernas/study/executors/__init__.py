"""Executors: where the workers of ``Study.optimize`` run, behind one small interface (:class:`Executor`).

Each executor registers itself in :data:`EXECUTORS` under the name ``optimize(executor=...)`` takes:
``thread`` (the default), ``process`` (:mod:`~hypernas.study.executors.process`) and ``ray``
(:mod:`~hypernas.study.executors.ray`, loaded, with Ray, only when used). A new one is one module
that subclasses :class:`Executor` and decorates it with ``@EXECUTORS.register("name")``; an executor
object can also be passed to ``optimize`` directly (``executor=RayExecutor(address="auto")``), or a
mapping of its options (``executor={"type": "ray", "gpus": 0.5}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypernas.study.executors.base import EXECUTORS, Executor, FinishedTrials, Job
from hypernas.study.executors.process import ProcessExecutor
from hypernas.study.executors.thread import ThreadExecutor

if TYPE_CHECKING:
    from hypernas.study.executors.ray import RayExecutor

EXECUTORS.register_path("ray", "hypernas.study.executors.ray:RayExecutor")


def __getattr__(name: str) -> Any:
    if name == "RayExecutor":
        return EXECUTORS.get("ray")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["EXECUTORS", "Executor", "FinishedTrials", "Job", "ProcessExecutor", "RayExecutor", "ThreadExecutor"]
