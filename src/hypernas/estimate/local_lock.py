"""A lock that stays in its process: objectives are pickled to worker processes, their lock is not."""

from __future__ import annotations

import threading
from typing import Any, ClassVar


class LocalLock:
    """Holds ``_lock``, which pickling leaves behind (with the attributes named in ``_left_behind``, such as data
    loaded in this process) and unpickling makes anew."""

    _left_behind: ClassVar[tuple[str, ...]] = ()
    _lock: threading.Lock

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_lock": None, **dict.fromkeys(self._left_behind)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
