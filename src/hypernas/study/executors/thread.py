"""Workers as threads of the calling process, sharing its live study (``executor="thread"``, the default).

For objectives that release the GIL while they work, as PyTorch training does. A single worker
runs in the calling thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from hypernas.study.contracts import Callback, RunningStudy
from hypernas.study.executors.base import EXECUTORS, Executor, Job
from hypernas.study.loop import interrupt_running, worker_loop


class LocalBudget:
    """Hands out trial slots until ``n_trials`` are taken or ``timeout`` seconds have passed."""

    def __init__(self, n_trials: int | None, timeout: float | None) -> None:
        self.n_trials = n_trials
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.taken = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def claim(self) -> bool:
        with self._lock:
            if self.stop.is_set():
                return False
            if self.deadline is not None and time.monotonic() >= self.deadline:
                return False
            if self.n_trials is not None and self.taken >= self.n_trials:
                return False
            self.taken += 1
            return True


@EXECUTORS.register("thread")
class ThreadExecutor(Executor):
    """``job.n_workers`` threads run the loop on the caller's study; Ctrl-C marks their running trials interrupted."""

    def run(self, study: RunningStudy, job: Job, callbacks: Sequence[Callback]) -> None:
        budget = LocalBudget(job.n_trials, job.timeout)
        if job.n_workers == 1:
            worker_loop(study, job.objective, budget, job.catch, callbacks)
            return
        pool = ThreadPoolExecutor(max_workers=job.n_workers, thread_name_prefix="hypernas-worker")
        futures = [pool.submit(worker_loop, study, job.objective, budget, job.catch, callbacks)
                   for _ in range(job.n_workers)]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            for f in done:
                f.result()
            for f in futures:
                f.result()
        except KeyboardInterrupt:
            budget.stop.set()
            interrupt_running(study)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        except BaseException:
            budget.stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
