"""Workers as Ray actors, on this machine or a Ray cluster, sharing the study's SQL storage (``executor="ray"``).

Ray core only (actors, not Ray Tune). Each worker is an actor that holds the run's per-trial
resources (``cpus``, ``gpus``, fractional ones included, and custom ``resources``), reopens the
study from the job's handle and runs the ordinary loop; one more actor, with no resources, on the
caller's node, keeps the run's :class:`~hypernas.study.executors.pool.SharedBudget`, so exactly
``n_trials`` are run between them. Results reach the caller only through the study's storage: a
SQLite file for workers on this machine, a database server (PostgreSQL) that every node reaches
for a cluster.

``address=None`` starts a Ray of this run's own on this machine (bound to the loopback interface,
no dashboard, room for every worker) and shuts it down when the run ends; ``"auto"`` or an address
(``"10.0.0.5:6379"``, ``"ray://head:10001"``) joins a running cluster, and the run only disconnects
from it at the end. A Ray already initialized in the calling process (``ray.init(...)``) is used as
it is and left running: do so to pay Ray's start-up (seconds) once for several runs.

Workers import the objective's modules as the caller does: the caller's ``sys.path`` entries that
exist on a worker's machine come first in the worker's, as for a spawned process. On a cluster,
install your code on every node, or ship it with ``runtime_env={"working_dir": "."}``.

A worker that dies (its process killed, out of memory, its node lost) is handled as by the process
executor (:class:`~hypernas.study.executors.pool.WorkerPool`): its trial is FAILED as lost with Ray's
word on the death, its slot goes back to the budget, and a new actor takes its place wherever Ray
finds room. Ctrl-C kills every worker and marks their trials FAILED as interrupted.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import socket
import sys
import time
from collections.abc import Collection, Mapping, Sequence
from types import ModuleType
from typing import Any

from hypernas.errors import ConfigError, HypernasError, InternalError, ObjectiveError
from hypernas.record import FrozenTrial
from hypernas.study.contracts import Callback, RunningStudy
from hypernas.study.executors.base import Executor, Job
from hypernas.study.executors.pool import PositionBudget, SharedBudget, WorkerPool, check_shared, serialized
from hypernas.study.loop import describe_exception, interrupt_running, keep_alive, worker_loop
from hypernas.study.workers import HOSTNAME
from hypernas.validate import check_number

logger = logging.getLogger("hypernas")

OWNER = "executor 'ray'"
PICKLING = "as Ray's cloudpickle does (a lambda or a local function is fine; a lock, a thread or an open file is not)"


def _import_ray() -> ModuleType:
    try:
        import ray
    except ImportError:
        raise ConfigError(f"{OWNER} needs Ray: pip install 'hypernas[ray]'") from None
    return ray


class RayExecutor(Executor):
    """``n_workers`` Ray actors, each with ``cpus`` CPUs, ``gpus`` GPUs (0.5: two workers share one) and the
    custom ``resources`` of one trial; the study must be in a SQL database file or server.

    ``address``: None starts a local Ray for the run (loopback only) and shuts it down after; ``"auto"``
    joins the cluster started on this machine with ``ray start``; ``"HOST:PORT"`` or ``"ray://HOST:PORT"``
    joins that cluster. A Ray already initialized in this process is used as it is. ``runtime_env`` is
    Ray's, for the workers (e.g. ``{"working_dir": ".", "pip": [...], "env_vars": {...}}``). See the
    module's docstring for how workers find the objective's code and what happens when one dies.
    """

    name = "ray"

    def __init__(self, address: str | None = None, cpus: float = 1, gpus: float = 0,
                 resources: Mapping[str, float] | None = None, runtime_env: Mapping[str, Any] | None = None) -> None:
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise ConfigError(f"{OWNER}: address must be None (a local Ray), 'auto' or a cluster address such as "
                              f"'10.0.0.5:6379' or 'ray://head:10001', got {address!r}")
        self.address = address
        self.cpus = check_number(OWNER, "cpus", cpus, 0)
        self.gpus = check_number(OWNER, "gpus", gpus, 0)
        self.resources = _check_resources(resources)
        if runtime_env is not None and not isinstance(runtime_env, Mapping):
            raise ConfigError(f"{OWNER}: runtime_env must be a mapping such as {{working_dir: .}}, got {runtime_env!r}")
        self.runtime_env = dict(runtime_env) if runtime_env else None

    def actor_options(self) -> dict[str, Any]:
        """The Ray options of each worker actor."""
        options: dict[str, Any] = {"num_cpus": self.cpus, "num_gpus": self.gpus, "max_restarts": 0, "max_task_retries": 0}
        if self.resources:
            options["resources"] = dict(self.resources)
        if self.runtime_env:
            options["runtime_env"] = dict(self.runtime_env)
        return options

    def check(self, study: RunningStudy, job: Job) -> None:
        """Refuse an in-memory study, a missing Ray, and options Ray refuses."""
        check_shared(study, "ray")
        ray = _import_ray()
        try:
            ray.remote(_Worker).options(**self.actor_options())
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{OWNER}: {exc}") from None

    def run(self, study: RunningStudy, job: Job, callbacks: Sequence[Callback]) -> None:
        ray = _import_ray()
        from ray import cloudpickle

        payload = serialized(job, cloudpickle.dumps, "ray", PICKLING)
        started = self._connect(ray, job.n_workers)
        ledger = None
        try:
            self._check_room(ray, study, job.n_workers, own=started and self.address is None)
            deadline = None if job.timeout is None else time.time() + job.timeout
            ledger = ray.remote(SharedBudget).options(num_cpus=0, max_restarts=0, **_on_this_node(ray)).remote(
                job.n_trials, deadline, job.n_workers)
            _RayWorkers(study, job, RemoteBudget(ledger), ray.put(payload), self.actor_options()).drive(callbacks)
        finally:
            if ledger is not None:
                with contextlib.suppress(Exception):  # gone with its node or the connection: nothing to end
                    ray.kill(ledger)
            if started:
                ray.shutdown()

    def _connect(self, ray: ModuleType, n_workers: int) -> bool:
        """Connect to the Ray this run uses; whether the run started it or connected to it (and so must shut it
        down or disconnect at the end)."""
        if ray.is_initialized():
            return False
        if self.address is None:
            cpus = max(os.cpu_count() or 1, math.ceil(n_workers * self.cpus))
            ray.init(address="local", num_cpus=cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
                     logging_level=logging.WARNING)
            return True
        _check_reachable(self.address)
        try:
            ray.init(address=self.address, logging_level=logging.WARNING)
        except (ConnectionError, ValueError) as exc:
            raise ConfigError(f"{OWNER}: cannot join the Ray cluster at {self.address!r}: "
                              f"{' '.join(str(exc).split())}") from None
        return True

    def _check_room(self, ray: ModuleType, study: RunningStudy, n_workers: int, own: bool) -> None:
        """Refuse a Ray of the run's own where no worker fits; warn when a cluster holds fewer workers than asked
        for (the others wait for room: an autoscaling cluster adds nodes), or spans several machines while the
        study is in a SQLite file."""
        need = {k: v for k, v in {"CPU": self.cpus, "GPU": self.gpus, **self.resources}.items() if v > 0}
        nodes = [node.get("Resources", {}) for node in ray.nodes() if node.get("Alive")]
        room = sum(min((math.floor(node.get(k, 0) / v + 1e-9) for k, v in need.items()), default=n_workers)
                   for node in nodes)
        wants = ", ".join(f"{v:g} {k}" for k, v in need.items()) or "no resources"
        if room == 0 and own:
            has = ", ".join(f"{nodes[0].get(k, 0):g} {k}" for k in need)
            raise ConfigError(f"{OWNER}: this machine has no room for one worker ({wants}); it has {has}")
        if room < n_workers:
            logger.warning("the Ray cluster has room for %d of the %d workers (%s each) at once; the others wait "
                           "for room", room, n_workers, wants)
        if len(nodes) > 1 and study.storage.url.startswith("sqlite"):
            logger.warning("the study is in a SQLite file, which workers on the Ray cluster's other machines reach "
                           "only through a shared filesystem; use a database server such as PostgreSQL for a cluster")


def _check_reachable(address: str) -> None:
    """Refuse at once a ``HOST:PORT`` address where nothing listens (Ray itself retries for minutes)."""
    host, sep, port = address.split("://", 1)[-1].rpartition(":")
    if not sep or not port.isdigit():
        return  # "auto", or a form Ray judges itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise ConfigError(f"{OWNER}: cannot reach the Ray cluster at {address!r}: {exc}") from None


def _check_resources(resources: Any) -> dict[str, float]:
    if resources is None:
        return {}
    if not isinstance(resources, Mapping) or not all(isinstance(k, str) for k in resources):
        raise ConfigError(f"{OWNER}: resources must map custom resource names to amounts, such as {{TPU: 1}}, "
                          f"got {resources!r}")
    clash = [k for k in resources if k.upper() in ("CPU", "GPU")]
    if clash:
        raise ConfigError(f"{OWNER}: resources must not name {clash[0]!r}: give cpus and gpus instead")
    return {k: check_number(OWNER, f"resources[{k!r}]", v, 0) for k, v in resources.items()}


def _on_this_node(ray: ModuleType) -> dict[str, Any]:
    """Options that place an actor on the caller's node while it lives (the head node for a Ray Client)."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return {"scheduling_strategy": NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=True)}


class _Stop:
    """The run's stop flag: :meth:`set` stops the shared budget for every worker; :meth:`is_set` says whether
    this side set it (the others learn it when the budget grants them no more slots)."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self._set = False

    def set(self) -> None:
        import ray

        self._set = True
        with contextlib.suppress(ray.exceptions.RayActorError):  # the ledger is gone: no slot is granted anyway
            ray.get(self.ledger.end.remote())

    def is_set(self) -> bool:
        return self._set


class RemoteBudget:
    """The run's :class:`~hypernas.study.executors.pool.SharedBudget`, kept by a Ray actor (the ledger), as the
    driver and each worker use it (a :class:`~hypernas.study.executors.pool.Ledger`)."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self.stop = _Stop(ledger)

    def remaining(self) -> bool:
        import ray

        return bool(ray.get(self.ledger.remaining.remote()))

    def claim(self, worker: int) -> bool:
        import ray

        return bool(ray.get(self.ledger.claim.remote(worker)))

    def evaluating(self, worker: int, trial_id: int) -> None:
        import ray

        ray.get(self.ledger.evaluating.remote(worker, trial_id))

    def holding(self, worker: int) -> tuple[bool, int | None]:
        import ray

        held, trial_id = ray.get(self.ledger.holding.remote(worker))
        return held, trial_id

    def release(self, worker: int, spent: bool) -> None:
        import ray

        ray.get(self.ledger.release.remote(worker, spent))


class _Worker:
    """The Ray actor that runs the per-trial loop at one worker position of a run."""

    def where(self) -> tuple[str, int]:
        """This worker's host and process id, as its trials record them."""
        return HOSTNAME, os.getpid()

    def run(self, paths: list[str], payload: bytes, budget: RemoteBudget, position: int) -> None:
        """Run trials while the budget grants this position slots (``paths``: the caller's ``sys.path``)."""
        sys.path[:0] = [p for p in paths if p not in sys.path and (not p or os.path.exists(p))]
        objective, handle, catch = _load(payload)
        study = handle.open()
        slots = PositionBudget(budget, position)
        with keep_alive(study, requeue_lost=False):
            worker_loop(study, slots.tracked(objective), slots, catch, ())


def _load(payload: bytes) -> Any:
    from ray import cloudpickle

    try:
        return cloudpickle.loads(payload)
    except (ImportError, AttributeError) as exc:
        raise ObjectiveError(f"{OWNER}: a worker on {HOSTNAME} cannot load the objective ({describe_exception(exc)}); "
                             "its code must be importable there: install it on every node, or pass the executor "
                             "runtime_env={'working_dir': '.'}") from None


_BECAUSE = re.compile(r"The actor is dead because (.+?)\.(?: |$)")
_DETAIL = re.compile(r"Worker exit detail: (.+?)\.(?: |$)")


def _death(exc: BaseException) -> str:
    """How a worker died, in Ray's words, shortened: ``died: its worker process has died (...)``."""
    text = " ".join(str(exc).split())
    because, detail = _BECAUSE.search(text), _DETAIL.search(text)
    what = because.group(1) if because else f"{type(exc).__name__}: {text[:200]}"
    return f"died: {what}" + (f" ({detail.group(1)})" if detail else "")


class _RayWorkers(WorkerPool):
    """The worker actors of one run, by position (see :class:`~hypernas.study.executors.pool.WorkerPool`)."""

    worker = "Ray worker process"
    PLACE_WAIT = 2.0  # seconds to wait for a worker to say where it runs, when it may never have started

    def __init__(self, study: RunningStudy, job: Job, budget: RemoteBudget, payload: Any,
                 options: dict[str, Any]) -> None:
        import ray

        super().__init__(study, job, budget)
        self.ray = ray
        self.actor_class = ray.remote(_Worker).options(**options)
        self.payload = payload  # the object holding the serialized job
        self.paths = list(sys.path)
        self.actors: dict[int, Any] = {}
        self.calls: dict[int, Any] = {}  # position -> its run() call
        self.places: dict[int, Any] = {}  # position -> its where() call
        self.mistake: HypernasError | None = None  # a user mistake a worker raised: raised as it is
        self.error: BaseException | None = None  # another error a worker raised (with its remote traceback)

    @property
    def running(self) -> Collection[int]:
        return self.actors.keys()

    def start(self, position: int) -> None:
        actor: Any = self.actor_class.remote()
        self.places[position] = actor.where.remote()
        self.calls[position] = actor.run.remote(self.paths, self.payload, self.budget, position)
        self.actors[position] = actor

    def ended(self, timeout: float) -> list[int]:
        calls = list(self.calls.values())
        ready, _ = self.ray.wait(calls, num_returns=1, timeout=timeout)
        if ready:
            ready, _ = self.ray.wait(calls, num_returns=len(calls), timeout=0)
        done = set(ready)
        return [position for position, call in self.calls.items() if call in done]

    def settle(self, position: int, progress: int) -> None:
        """An error the worker raised, or its death."""
        del self.actors[position]
        exceptions = self.ray.exceptions
        try:
            self.ray.get(self.calls.pop(position))
        except exceptions.RayTaskError as exc:
            self.budget.stop.set()
            cause = exc.cause
            self.failures.append(f"{self.name(position, *self._place(position))} raised {describe_exception(cause)}")
            if isinstance(cause, HypernasError) and not isinstance(cause, InternalError):
                self.mistake = self.mistake or cause
            else:
                self.error = self.error or exc
        except exceptions.RayError as exc:  # its process, or its node, died
            self.crashed(position, *self._place(position), _death(exc), progress)

    def _place(self, position: int, timeout: float = PLACE_WAIT) -> tuple[str | None, int | None]:
        """The host and process id of the worker at ``position``, if it said before it ended."""
        try:
            host, pid = self.ray.get(self.places.pop(position), timeout=timeout)
        except self.ray.exceptions.RayError:
            return None, None
        return host, pid

    def stop_all(self, interrupted: bool) -> None:
        """Kill the workers (after a grace to finish their trials, unless ``interrupted``) and fail their trials:
        as interrupted after Ctrl-C, else as lost."""
        calls = list(self.calls.values())
        if calls and not interrupted:
            self.ray.wait(calls, num_returns=len(calls), timeout=self.GRACE)
        places = [self._place(position, timeout=0.5) for position in list(self.places)]
        for actor in self.actors.values():
            self.ray.kill(actor)
        if calls:
            self.ray.wait(calls, num_returns=len(calls), timeout=10.0)  # the kills take effect
        ids = [t.trial_id for host, pid in places if host is not None and pid is not None
               for t in self.trials_of(host, pid)]
        if interrupted:
            interrupt_running(self.study, ids)
        else:
            reason = f"its {self.worker} was stopped when the run ended early"
            self.study.fail_lost_trials(requeue=self.job.requeue_lost, reasons=dict.fromkeys(ids, reason))

    def raise_for_failures(self, finished: Sequence[FrozenTrial]) -> None:
        if self.mistake is not None:
            raise self.mistake
        if self.error is not None:
            raise self.error
        if self.gave_up:
            raise self.crash_error(finished)
