"""``trial_timeout``: stop an objective that runs too long, in whatever worker runs it.

The objective is wrapped (:class:`TimeLimited`, picklable, so every executor's workers get it with the
job): a timer raises :class:`~hypernas.errors.TrialTimedOut` in the thread that runs the trial when its
time is up. The exception arrives at the objective's next Python instruction, as Ctrl-C does; a trial
blocked in one long native call (a sleep, a single huge tensor operation) stops when that call returns.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

from hypernas.errors import TrialTimedOut
from hypernas.study.contracts import Objective


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    """Make thread ``thread_id`` raise ``exc`` at its next Python instruction (None: cancel a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc else None)


class TimeLimited:
    """``objective`` that raises :class:`TrialTimedOut` in its trial's thread after ``seconds``."""

    def __init__(self, objective: Objective, seconds: float) -> None:
        self.objective = objective
        self.seconds = seconds

    def __call__(self, trial: Any) -> Any:
        thread_id = threading.get_ident()
        lock = threading.Lock()
        state = {"running": True, "fired": False}

        def expire() -> None:
            with lock:
                if state["running"]:
                    state["fired"] = True
                    _raise_in(thread_id, TrialTimedOut)

        timer = threading.Timer(self.seconds, expire)
        timer.daemon = True
        try:
            try:
                timer.start()  # a very short limit may expire before start() returns
                return self.objective(trial)
            finally:
                with lock:
                    state["running"] = False
                    timer.cancel()
                    if state["fired"]:
                        _raise_in(thread_id, None)  # fired as the objective returned: nothing may arrive later
        except TrialTimedOut:  # raised in the objective, or here as it returned
            raise TrialTimedOut(f"the trial ran longer than its trial_timeout of {self.seconds:g} s") from None
