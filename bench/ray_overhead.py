"""Cost per trial on a trivial objective: hypernas on Ray (``executor="ray"``) vs Ray Tune, same Ray, same run.

Both run ``N`` trials of ``x ** 2`` over one float with 2 trials at once and 1 CPU each, on one
local Ray started before the runs (its start is not timed): hypernas with 2 Ray workers and the
study in a fresh SQLite file; Ray Tune with a ``tune.Tuner`` (random search, ``num_samples=N``,
``max_concurrent_trials=2``, results in a fresh folder), with its default ``reuse_actors`` and with
``reuse_actors=True``. The table shows, per size, the median wall time per trial over the repeats
(start-up included: the workers' for hypernas, the trial actors' for Tune) and, between the two
sizes, the marginal cost of one more trial; the ratio is hypernas / Ray Tune (target: <= 0.1).

    python bench/ray_overhead.py [--sizes 25 100] [--repeats 2] [--default-sizes 25]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hypernas
from hypernas import Float


def objective(trial: hypernas.Trial) -> float:
    return float(trial.params["x"] ** 2)


def trainable(config: dict[str, Any]) -> dict[str, float]:
    return {"score": config["x"] ** 2}


def run_hypernas(n_trials: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        study = hypernas.create_study("trivial", f"sqlite:///{Path(tmp) / 'h.db'}", seed=0, space={"x": Float(0, 1)})
        start = time.perf_counter()
        study.optimize(objective, n_trials=n_trials, n_workers=2, executor="ray")
        elapsed = time.perf_counter() - start
        assert len(study.get_trials((hypernas.TrialState.COMPLETE,))) == n_trials
        return elapsed


def tune_runner(reuse_actors: bool | None) -> Callable[[int], float]:
    def run(n_trials: int) -> float:
        from ray import tune

        with tempfile.TemporaryDirectory() as tmp:
            config = tune.TuneConfig(num_samples=n_trials, max_concurrent_trials=2, metric="score", mode="min",
                                     **({} if reuse_actors is None else {"reuse_actors": reuse_actors}))
            tuner = tune.Tuner(tune.with_resources(trainable, {"cpu": 1}), param_space={"x": tune.uniform(0, 1)},
                               tune_config=config, run_config=tune.RunConfig(storage_path=tmp, name="t", verbose=0))
            start = time.perf_counter()
            results = tuner.fit()
            elapsed = time.perf_counter() - start
            assert len(results) == n_trials and not results.errors
            return elapsed
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[25, 100], help="two numbers of trials")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--default-sizes", type=int, nargs="*", default=[25],
                        help="sizes also run with Tune's default reuse_actors (slow: a new actor per trial)")
    args = parser.parse_args()
    logging.getLogger("hypernas").setLevel(logging.ERROR)
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    import ray

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores; "
          f"Ray {ray.__version__}")
    ray.init(address="local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             logging_level=logging.WARNING)
    runs: dict[str, tuple[Callable[[int], float], list[int]]] = {
        "hypernas, executor='ray'": (run_hypernas, args.sizes),
        "Ray Tune, reuse_actors=True": (tune_runner(True), args.sizes),
        "Ray Tune, default": (tune_runner(None), args.default_sizes),
    }
    times: dict[tuple[str, int], list[float]] = {}
    try:
        for repeat in range(args.repeats):
            order = list(runs.items()) if repeat % 2 == 0 else list(runs.items())[::-1]
            for name, (fn, sizes) in order:
                for size in sizes:
                    times.setdefault((name, size), []).append(fn(size))
                    print(f"  repeat {repeat}: {name}, {size} trials: {times[name, size][-1]:.1f} s", flush=True)
    finally:
        ray.shutdown()
    ours = "hypernas, executor='ray'"
    small, large = args.sizes
    print(f"\nmilliseconds per trial, median of {args.repeats} repeats; ratio: hypernas / Ray Tune\n")
    print(f"| run | {small} trials | {large} trials | marginal, {small} -> {large} | ratio at {small} | ratio at {large} | "
          "ratio, marginal |")
    print("|---|---:|---:|---:|---:|---:|---:|")

    def per_trial(name: str, size: int) -> float | None:
        return 1000 * statistics.median(times[name, size]) / size if (name, size) in times else None

    def marginal(name: str) -> float | None:
        if (name, small) not in times or (name, large) not in times:
            return None
        return 1000 * (statistics.median(times[name, large]) - statistics.median(times[name, small])) / (large - small)

    def ratio(ours_value: float | None, theirs: float | None) -> str:
        return "-" if ours_value is None or theirs is None else f"{ours_value / theirs:.3f}"

    for name in runs:
        values = [per_trial(name, small), per_trial(name, large), marginal(name)]
        mine = [per_trial(ours, small), per_trial(ours, large), marginal(ours)]
        ratios = ["-"] * 3 if name == ours else [ratio(m, v) for m, v in zip(mine, values)]
        print(f"| {name} | " + " | ".join("-" if v is None else f"{v:.1f}" for v in values) + " | " + " | ".join(ratios) + " |")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
