"""Fault injection: worker processes SIGKILLed at random moments lose nothing and duplicate nothing.

A study of ``--trials`` trials runs on ``--workers`` worker processes (``executor="process"``, and
``"ray"`` where that executor is installed) while a killer thread in the driver SIGKILLs workers,
``--kill-rate`` times ``--trials`` times (20 for 200 trials at 10%): each time when a trial drawn
at random finishes, it picks a RUNNING trial at random and kills its worker process at a random
moment up to 100 ms later (in the objective, in a transaction of the record, or between trials).
The objective is cheap (50-100 ms of sleep) and writes one line per evaluation that runs to its
end. After the run the record must hold exactly ``--trials`` COMPLETE trials that count (a trial
lost with its worker does not count towards ``n_trials``), each evaluated once with the value its
evaluation returned, and no trial left RUNNING or WAITING; with ``requeue_lost`` the lost trials
run again within that budget. Every run gets a fresh database: a SQLite file, or a PostgreSQL
database (``--postgres URL`` of a server where the script may create databases, else a throwaway
server started from PostgreSQL's ``initdb`` and ``pg_ctl`` as the tests do).

    python bench/faults.py [--trials 200] [--workers 4] [--kill-rate 0.1] [--backends sqlite postgres]
                           [--executors process ray] [--requeue no yes] [--seed 0] [--postgres URL]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hypernas
from hypernas import TrialState
from hypernas.study.executors import EXECUTORS

REPO = Path(__file__).resolve().parents[1]
SPACE = {"x": {"type": "float", "low": 0.0, "high": 1.0}, "pause": {"type": "float", "low": 0.0, "high": 1.0}}
LOG_VARIABLE = "HYPERNAS_FAULTS_LOG"


def objective(trial: hypernas.Trial) -> float:
    """50-100 ms of sleep, then one line ``number value`` in the evaluation log (one write: lines never interleave)."""
    time.sleep(0.05 + 0.05 * trial.params["pause"])
    value = (trial.params["x"] - 0.3) ** 2
    with open(os.environ[LOG_VARIABLE], "a") as log:
        log.write(f"{trial.number} {value!r}\n")
    return value


class Killer(threading.Thread):
    """SIGKILLs the worker of a random RUNNING trial ``round(rate * n_trials)`` times: each when a trial drawn at random
    finishes, at a random moment up to 100 ms later."""

    def __init__(self, study: hypernas.Study, n_trials: int, rate: float, seed: int, database: str | None) -> None:
        super().__init__(name="killer", daemon=True)
        self.study = study
        self.rng = random.Random(seed)
        self.triggers = sorted(self.rng.sample(range(1, n_trials), round(rate * n_trials)))
        self.database = database  # a PostgreSQL URL: count its connections while the run lasts
        self.killed: list[int] = []  # the pids killed
        self.max_connections = 0
        self.halt = threading.Event()

    def run(self) -> None:
        storage = self.study.storage
        connections = _Connections(self.database) if self.database is not None else None
        polls = 0
        while not self.halt.is_set():  # a poll every 50 ms (and a count of connections every 0.5 s)
            finished = sum(t.state.is_finished for t in self.study.get_trials())
            while self.triggers and finished >= self.triggers[0] and self._kill_one(storage):
                self.triggers.pop(0)
            polls += 1
            if connections is not None and polls % 10 == 0:
                self.max_connections = max(self.max_connections, connections())
            self.halt.wait(0.05)
        if connections is not None:
            connections.engine.dispose()

    def _kill_one(self, storage: hypernas.Storage) -> bool:
        """Kill the worker of a random RUNNING trial (not one killed already); False if there is none now."""
        running = [r for r in storage.running_trials(self.study.study_id)
                   if (r.worker or {}).get("pid") not in (None, os.getpid(), *self.killed)]
        if not running:
            return False
        pid = self.rng.choice(running).worker["pid"]  # type: ignore[index]
        time.sleep(self.rng.uniform(0.0, 0.1))
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile (a run that ends); none are reused so soon
            os.kill(pid, signal.SIGKILL)
        self.killed.append(pid)
        return True


class _Connections:
    """Counts the connections open to the database of a PostgreSQL URL (its own one included)."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self.engine = sa.create_engine(url, pool_size=1)

    def __call__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                       .scalar_one())


@dataclass
class Outcome:
    backend: str
    executor: str
    requeue: bool
    requeued: int  # trials that count and ran a lost trial again
    not_rerun: int | None  # with requeue: lost trials that were not run again
    counted: int
    lost: int
    kills: int
    duplicates: int
    mismatched: int
    unfinished: int
    seconds: float
    max_connections: int | None

    def ok(self, n_trials: int) -> bool:
        return self.counted == n_trials and not (self.duplicates or self.mismatched or self.unfinished or self.not_rerun)


def run_one(url: str, backend: str, executor: str, requeue: bool, args: argparse.Namespace, folder: Path) -> Outcome:
    log = folder / f"evaluations-{backend}-{executor}-{requeue}.log"
    os.environ[LOG_VARIABLE] = str(log)  # the worker processes inherit it
    study = hypernas.create_study("faults", url, strategy="random", seed=args.seed, space=SPACE)
    killer = Killer(study, args.trials, args.kill_rate, args.seed, url if backend == "postgres" else None)
    killer.start()
    start = time.perf_counter()
    try:
        study.optimize(objective, n_trials=args.trials, n_workers=args.workers, executor=executor,
                       requeue_lost=requeue)
    finally:
        seconds = time.perf_counter() - start
        killer.halt.set()
        killer.join()

    trials = study.trials
    lost = [t for t in trials if t.system_attrs.get("lost")]
    counted = [t for t in trials if t.state is TrialState.COMPLETE and not t.system_attrs.get("lost")]
    evaluations = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    times = Counter(int(number) for number, _ in evaluations)
    values = {int(number): float(value) for number, value in evaluations}
    numbers = Counter(t.number for t in trials)
    duplicates = sum(n > 1 for n in numbers.values()) + sum(times[t.number] > 1 for t in counted)
    # a COMPLETE trial must be one evaluation, with its value; an evaluation not recorded COMPLETE is a lost
    # trial's (killed after the objective returned, before its result was committed)
    mismatched = sum(times[t.number] != 1 or t.values != [values.get(t.number)] for t in counted)
    complete_numbers = {t.number for t in counted}
    lost_numbers = {t.number for t in lost}
    mismatched += sum(n not in complete_numbers and n not in lost_numbers for n in times)
    unfinished = sum(not t.state.is_finished for t in trials)
    requeued = sum("requeued_from" in t.system_attrs for t in counted)
    rerun = {t.system_attrs.get("requeued_from") for t in trials}  # a lost re-run that was lost is re-run in turn
    not_rerun = sum(t.number not in rerun for t in lost) if requeue else None
    return Outcome(backend, executor, requeue, requeued, not_rerun, len(counted), len(lost), len(killer.killed), duplicates, mismatched, unfinished,
                   seconds, killer.max_connections if backend == "postgres" else None)


@contextlib.contextmanager
def databases(args: argparse.Namespace, folder: Path) -> Iterator[dict[str, Iterator[str]]]:
    """For each backend asked, an endless supply of fresh database URLs."""

    def sqlite_urls() -> Iterator[str]:
        for i in range(1_000_000):
            yield f"sqlite:///{folder / f'faults-{i}.db'}"

    supplies: dict[str, Iterator[str]] = {}
    with contextlib.ExitStack() as stack:
        if "sqlite" in args.backends:
            supplies["sqlite"] = sqlite_urls()
        if "postgres" in args.backends:
            supplies["postgres"] = stack.enter_context(_postgres(args.postgres))
        yield supplies


@contextlib.contextmanager
def _postgres(url: str | None) -> Iterator[Iterator[str]]:
    """Fresh databases on the server of ``url`` (dropped after the run), or on a throwaway server started for it."""
    if url is None:
        sys.path.insert(0, str(REPO))
        from tests.postgres_server import postgres_server

        with postgres_server() as server:
            yield (server.create_database() for _ in range(1_000_000))
        return
    import sqlalchemy as sa

    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def fresh() -> Iterator[str]:
        for i in range(1_000_000):
            created.append(f"hypernas_faults_{os.getpid()}_{i}")
            with admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {created[-1]}")
            yield sa.engine.make_url(url).set(database=created[-1]).render_as_string(hide_password=False)

    try:
        yield fresh()
    finally:
        with admin.connect() as conn:
            for name in created:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kill-rate", type=float, default=0.1)
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--executors", nargs="+", default=[e for e in ("process", "ray") if e in EXECUTORS])
    parser.add_argument("--postgres", help="URL of a PostgreSQL server where databases may be created "
                                           "(default: a throwaway server, with initdb and pg_ctl)")
    parser.add_argument("--requeue", nargs="+", choices=["no", "yes"], default=["no", "yes"],
                        help="run with requeue_lost=False, True or both (lost trials run again)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.getLogger("hypernas").setLevel(logging.ERROR)  # the workers' deaths are the point, not news

    print(f"{args.trials} trials, {args.workers} workers, kill rate {args.kill_rate}, seed {args.seed}; "
          f"load average {os.getloadavg()[0]:.1f}")
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="hypernas-faults-") as tmp, databases(args, Path(tmp)) as supplies:
        for backend, urls in supplies.items():
            for executor in args.executors:
                for requeue in args.requeue:
                    outcome = run_one(next(urls), backend, executor, requeue == "yes", args, Path(tmp))
                    outcomes.append(outcome)
                    print(f"  {backend}/{executor}/requeue_lost={outcome.requeue}: {outcome.seconds:.1f} s", flush=True)

    print(f"\nload average {os.getloadavg()[0]:.1f}\n")
    print("| backend | executor | requeue_lost | trials that count | of them re-runs | lost | lost, not re-run | kills "
          "| duplicated | mismatched | left unfinished | wall s | max connections | result |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for o in outcomes:
        connections = "-" if o.max_connections is None else str(o.max_connections)
        not_rerun = "-" if o.not_rerun is None else str(o.not_rerun)
        print(f"| {o.backend} | {o.executor} | {'yes' if o.requeue else 'no'} | {o.counted} | {o.requeued} | {o.lost} | "
              f"{not_rerun} | {o.kills} | {o.duplicates} | {o.mismatched} | {o.unfinished} | {o.seconds:.1f} | "
              f"{connections} | {'ok' if o.ok(args.trials) else 'FAILED'} |")
    if not all(o.ok(args.trials) for o in outcomes):
        sys.exit(1)


if __name__ == "__main__":
    main()
