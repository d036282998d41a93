"""Speed-up of 2 workers on a CPU-bound objective: one worker, 2 worker processes, 2 Ray workers.

Each trial does the same fixed amount of pure-Python work (no sleep: the workers must share the
cores), sized at the start to take about ``--seconds`` on this machine; ``--trials`` trials per
run, on a fresh SQLite study. The table shows the median wall time of ``optimize`` over the
repeats and the speed-up over one worker. The Ray runs use one local Ray started before the runs
(as a cluster that is up), so they include the workers' start but not Ray's own, which is shown
apart. The load average is printed before and after: on a shared machine, other work eats into
the speed-up.

    python bench/parallel.py [--trials 40] [--seconds 1] [--repeats 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

import hypernas
from hypernas import Float


class Busy:
    """A CPU-bound objective: ``iterations`` steps of pure-Python arithmetic, the same for every trial."""

    def __init__(self, iterations: int) -> None:
        self.iterations = iterations

    def __call__(self, trial: hypernas.Trial) -> float:
        total = 0
        for i in range(self.iterations):
            total = (total + i * i) % 1_000_003
        return trial.params["x"] + total * 1e-12


def calibrate(seconds: float) -> int:
    """The iterations that take about ``seconds`` here (best of three probes)."""
    probe = 200_000
    objective = Busy(probe)
    trial = type("T", (), {"params": {"x": 0.0}})()
    best = min(_timed(objective, trial) for _ in range(3))
    return max(1, int(probe * seconds / best))


def _timed(objective: Busy, trial: object) -> float:
    start = time.perf_counter()
    objective(trial)  # type: ignore[arg-type]
    return time.perf_counter() - start


def run(executor: str, n_workers: int, objective: Busy, n_trials: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        study = hypernas.create_study("busy", f"sqlite:///{Path(tmp) / 'busy.db'}", seed=0, space={"x": Float(0, 1)})
        start = time.perf_counter()
        study.optimize(objective, n_trials=n_trials, n_workers=n_workers, executor=executor)
        elapsed = time.perf_counter() - start
        assert len(study.get_trials((hypernas.TrialState.COMPLETE,))) == n_trials
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=1.0, help="work per trial, in seconds of this machine")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    logging.getLogger("hypernas").setLevel(logging.ERROR)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    objective = Busy(calibrate(args.seconds))
    one = _timed(objective, type("T", (), {"params": {"x": 0.0}})())
    print(f"one trial alone: {one:.2f} s ({objective.iterations} iterations)")

    import ray

    start = time.perf_counter()
    ray.init(address="local", num_cpus=args.workers, include_dashboard=False, _node_ip_address="127.0.0.1",
             logging_level=logging.WARNING)
    ray_start = time.perf_counter() - start
    runs = [("one worker (thread)", "thread", 1), (f"{args.workers} worker processes", "process", args.workers),
            (f"{args.workers} Ray workers", "ray", args.workers)]
    times: dict[str, list[float]] = {name: [] for name, _, _ in runs}
    try:
        for repeat in range(args.repeats):
            for name, executor, n_workers in runs if repeat % 2 == 0 else runs[::-1]:
                times[name].append(run(executor, n_workers, objective, args.trials))
                print(f"  repeat {repeat}: {name}: {times[name][-1]:.1f} s", flush=True)
    finally:
        ray.shutdown()
    base = statistics.median(times[runs[0][0]])
    print(f"\n{args.trials} trials of ~{one:.2f} s each, median of {args.repeats} repeats; Ray's own start: {ray_start:.1f} s\n")
    print("| workers | wall s, median (min) | s per trial | speed-up vs one worker |")
    print("|---|---:|---:|---:|")
    for name, _, _ in runs:
        median = statistics.median(times[name])
        print(f"| {name} | {median:.1f} ({min(times[name]):.1f}) | {median / args.trials:.2f} | {base / median:.2f}x |")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
