"""Riding out a database server that goes away for a while (a restart, a fail-over, a network cut).

A storage call that fails because the server cannot be reached is run again, as a whole (each call
is one transaction, so a failed attempt left nothing half done), with growing pauses, until it
succeeds or the server has been unreachable for :data:`RECONNECT_SECONDS`; then it raises one
:class:`~hypernas.errors.StorageError`. Only a storage that connected once retries: a server that
cannot be reached when the storage is opened (a wrong host, a wrong port) is an error at once.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from hypernas.errors import StorageError

logger = logging.getLogger("hypernas")

RECONNECT_SECONDS = 300.0
"""How long a call waits for an unreachable server: as long as peers wait for a silent worker's heartbeat
before they take its trials for lost (:meth:`hypernas.Study.fail_lost_trials`)."""

_FIRST_PAUSE, _LONGEST_PAUSE = 0.05, 5.0

T = TypeVar("T")
P = ParamSpec("P")


def is_disconnect(exc: DBAPIError) -> bool:
    """Whether ``exc`` says the server could not be reached or dropped the connection (and not that the
    statement was wrong): the driver's operational and interface errors, and any error that invalidated the
    connection. A deadlock or serialization failure is operational too, and running its transaction again is right."""
    return isinstance(exc, (OperationalError, InterfaceError)) or bool(exc.connection_invalidated)


class Reconnect:
    """Runs a storage's calls, retrying those that fail on a disconnect (when ``enabled``: server databases)."""

    def __init__(self, name: str, enabled: bool) -> None:
        self.name = name
        self.enabled = enabled
        self._local = threading.local()

    @property
    def retrying(self) -> bool:
        """Whether the call running in this thread is a retry: its earlier attempt may have committed just before
        the connection dropped (a finished trial found already finished the same way is then no error)."""
        return bool(getattr(self._local, "attempt", 0))

    def run(self, call: Callable[[], T]) -> T:
        """``call()``, run again after a disconnect until it succeeds or :data:`RECONNECT_SECONDS` pass."""
        if not self.enabled or getattr(self._local, "active", False):  # a call made by a call: the outer one retries
            return call()
        self._local.active = True
        deadline: float | None = None
        pause = _FIRST_PAUSE
        try:
            while True:
                try:
                    result = call()
                except DBAPIError as exc:
                    if not is_disconnect(exc):
                        raise
                    reason = " ".join(str(exc.orig or exc).split())[:300]
                    now = time.monotonic()
                    if deadline is None:
                        deadline = now + RECONNECT_SECONDS
                        logger.warning("storage %s cannot be reached (%s); retrying for up to %g s", self.name, reason,
                                       RECONNECT_SECONDS)
                    if now >= deadline:
                        raise StorageError(f"storage {self.name} has been unreachable for {RECONNECT_SECONDS:g} s: "
                                           f"{reason}") from None
                    time.sleep(min(pause, deadline - now))
                    pause = min(2 * pause, _LONGEST_PAUSE)
                    self._local.attempt = getattr(self._local, "attempt", 0) + 1
                    continue
                if deadline is not None:
                    logger.warning("storage %s is reachable again", self.name)
                return result
        finally:
            self._local.active = False
            self._local.attempt = 0


class _Reconnecting(Protocol):
    reconnect: Reconnect


S = TypeVar("S", bound=_Reconnecting)


def reconnecting(method: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
    """Decorate a storage method: run it through its storage's :class:`Reconnect`."""

    @functools.wraps(method)
    def call(self: S, *args: P.args, **kwargs: P.kwargs) -> T:
        return self.reconnect.run(lambda: method(self, *args, **kwargs))

    return call
