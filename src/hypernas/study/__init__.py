"""The record and the loop: Study, Trial, storage, the per-trial loop and the executors that run it.

``SQLStorage`` loads SQLAlchemy, so it is imported when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hypernas.study.contracts import Callback, Objective
from hypernas.study.executors import EXECUTORS, Executor, Job
from hypernas.study.storage import InMemoryStorage, Storage, get_storage
from hypernas.study.study import Study, StudyHandle, create_study, delete_study, load_study, study_names
from hypernas.study.trial import Trial

if TYPE_CHECKING:
    from hypernas.study.storage.sql import SQLStorage


def __getattr__(name: str) -> Any:
    if name == "SQLStorage":
        return importlib.import_module("hypernas.study.storage.sql").SQLStorage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
           "EXECUTORS",
           "Callback",
           "Executor",
           "InMemoryStorage",
           "Job",
           "Objective",
           "SQLStorage",
           "Storage",
           "Study",
           "StudyHandle",
           "Trial",
           "create_study",
           "delete_study",
           "get_storage",
           "load_study",
           "study_names",
]
