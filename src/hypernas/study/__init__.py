"""The record and the loop: Study, Trial, storage, the per-trial loop and the executors that run it."""

from hypernas.study.contracts import Callback, Objective
from hypernas.study.executors import EXECUTORS, Executor, Job
from hypernas.study.storage import InMemoryStorage, SQLStorage, Storage, get_storage
from hypernas.study.study import Study, StudyHandle, create_study, delete_study, load_study, study_names
from hypernas.study.trial import Trial

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
