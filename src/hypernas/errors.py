"""Exceptions shared by every part of hypernas.

This module is the bottom layer: every folder may import it, it imports nothing of the package.
User mistakes raise a subclass of :class:`HypernasError` whose message names the thing, the bad
value and what is allowed; the CLI prints that message on one line and exits with code 2.
:class:`InternalError` is the exception: it marks a bug, so the CLI shows its traceback and exits 1.
"""

from __future__ import annotations


class HypernasError(Exception):
    """Base class of every error hypernas raises on purpose."""


class ConfigError(HypernasError, ValueError):
    """A configuration (Python arguments or YAML) that cannot be used."""


class SpaceError(ConfigError):
    """A search space that is malformed, or a value that is not in it."""


class StrategyError(ConfigError):
    """A strategy that is unknown, misconfigured, or cannot handle the given space."""


class ObjectiveError(ConfigError):
    """An objective that cannot be loaded or built."""


class StorageError(HypernasError):
    """The study record cannot be read or written."""


class StudyNotFoundError(StorageError, KeyError):
    """No study of that name exists in the storage."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicateStudyError(StorageError):
    """A study of that name already exists in the storage."""


class TrialStateError(HypernasError):
    """An operation that the trial's current state does not allow (e.g. reporting to a finished trial)."""


class SearchExhausted(HypernasError):
    """The strategy has no new candidate to propose (e.g. every grid point was tried)."""


class NoCompleteTrialError(HypernasError, ValueError):
    """A result was asked for (best trial, best value) but no trial has completed yet."""


class PlotError(ConfigError):
    """A plot or drawing the record cannot give: a contour of one parameter, a Pareto front of one objective,
    importance from fewer than two complete trials, a parameter the study does not have."""


class InternalError(HypernasError, RuntimeError):
    """Something went wrong that is not the user's configuration: a bug in hypernas or in user code
    (a strategy crashing in ``tell``, worker processes that kept dying). The CLI shows its traceback, exit 1."""


class WorkerCrashedError(InternalError):
    """Worker processes that failed a run: one ended with an uncaught error, or they kept dying without
    a word (killed, crashed, out of memory); a single death is made up for, not raised."""


class TrialPruned(Exception):
    """Raised inside an objective to stop an unpromising trial; the trial is recorded as PRUNED.

    Not a :class:`HypernasError`: pruning is an expected outcome, not a mistake.
    """


class TrialTimedOut(BaseException):
    """Raised inside an objective that ran past the run's ``trial_timeout``; the trial is recorded as FAILED
    with the reason and the study goes on.

    A ``BaseException``, like ``KeyboardInterrupt``: an objective's ``except Exception`` does not swallow it.
    """
