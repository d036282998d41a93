"""The record and the loop: Study, Trial, storage, and the optimization loop."""

from hypernas.study.optimize import Callback, Objective, describe_exception
from hypernas.study.storage import InMemoryStorage, SQLStorage, Storage, get_storage
from hypernas.study.study import Study, create_study, delete_study, load_study, study_names
from hypernas.study.trial import Trial

__all__ = ["Callback", "InMemoryStorage", "Objective", "SQLStorage", "Storage", "Study", "Trial", "create_study",
           "delete_study", "describe_exception", "get_storage", "load_study", "study_names"]
