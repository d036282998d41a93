"""The report of a study of ``--trials`` trials: time and size to build it, and each plot beside Optuna's.

The study (in a temporary SQLite file, not timed) searches a learning rate (log scale), a depth, an
optimizer, a momentum that exists only for SGD and a NAS-Bench-201 cell; every trial reports ten
intermediate values, one in ten is pruned and one in twenty-five fails. The same trials, less the
cell (Optuna has no architecture parameter), go into an in-memory Optuna study, and each hypernas plot
is timed beside its ``optuna.visualization`` counterpart on the same trials (importance: Optuna's
mean-decrease-in-impurity evaluator, as hypernas's; contour: the same four parameters). Then the whole
report (reading the record from SQLite, every plot, the HTML file) and the PNG export are timed in
this process (the storage's cache of finished trials is warm after the warm-up), then the command
``hypernas report`` in a fresh process (interpreter, imports and a cold read included).
Times are medians over ``--repeats`` runs after one untimed warm-up (imports, caches), with one BLAS /
OpenMP thread for both libraries (threadpoolctl): on a shared 2-core machine, NumPy's and SciPy's
thread pools otherwise spin and make a run up to ten times slower at random.

    PYTHONPATH=src python bench/report.py [--trials 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
from plotly.offline import get_plotlyjs
from threadpoolctl import threadpool_limits

import hypernas as hn
from hypernas import viz

SCALARS = ["lr", "layers", "optimizer", "momentum"]


def objective(trial: hn.Trial) -> float:
    p = trial.params
    if trial.number % 25 == 7:
        raise RuntimeError("diverged")
    loss = (math.log10(p["lr"]) + 2.5) ** 2 + (p["layers"] - 3) ** 2 + p["cell"].count("conv") / 10
    loss += (1 - p.get("momentum", 0.9)) if p["optimizer"] == "sgd" else 0.2
    for step in range(10):
        trial.report(step, loss + (10 - step) / 5)
        if trial.number % 10 == 9 and step == 4:
            raise hn.TrialPruned()
    return loss


def make_study(path: Path, n_trials: int) -> None:
    space = hn.Space(lr=hn.Float(1e-5, 1e-1, log=True), layers=hn.Int(1, 6), optimizer=hn.Categorical(["sgd", "adam"]),
                     momentum=hn.Float(0.0, 0.99, when={"optimizer": "sgd"}), cell=hn.NB201Cell())
    study = hn.create_study("bench", f"sqlite:///{path}", strategy="random", seed=0)
    study.optimize(objective, space, n_trials=n_trials)


def to_optuna(record: viz.StudyRecord) -> optuna.Study:
    """The record's trials (their scalar parameters) as an in-memory Optuna study."""
    dists: dict[str, Any] = {"lr": optuna.distributions.FloatDistribution(1e-5, 1e-1, log=True),
                             "layers": optuna.distributions.IntDistribution(1, 6),
                             "optimizer": optuna.distributions.CategoricalDistribution(["sgd", "adam"]),
                             "momentum": optuna.distributions.FloatDistribution(0.0, 0.99)}
    states = {"COMPLETE": optuna.trial.TrialState.COMPLETE, "PRUNED": optuna.trial.TrialState.PRUNED,
              "FAILED": optuna.trial.TrialState.FAIL}
    study = optuna.create_study()
    for t in record.trials:
        params = {k: v for k, v in t.params.items() if k in dists}
        study.add_trial(optuna.trial.FrozenTrial(
            t.number, states[t.state.value], t.values[0] if t.state.value == "COMPLETE" else None, t.datetime_start,
            t.datetime_complete, params, {k: dists[k] for k in params}, {}, {}, dict(t.intermediate), t.number))
    return study


def median_seconds(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of ``fn`` (CPU time moves less with the load of a shared machine)."""
    fn()  # warm-up: imports and caches
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import scipy.interpolate
    import sklearn.ensemble

    assert scipy.interpolate and sklearn.ensemble  # loaded first: the limit applies only to thread pools already loaded
    with threadpool_limits(limits=1):
        run(args.trials, args.repeats)


def run(n_trials: int, repeats: int) -> None:
    logging.getLogger("hypernas").setLevel(logging.ERROR)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    vis = optuna.visualization
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        make_study(db, n_trials)
        record = viz.StudyRecord.of(hn.load_study("bench", f"sqlite:///{db}", strategy="random", pruner="none"))
        reference = to_optuna(record)
        mdi = optuna.importance.MeanDecreaseImpurityImportanceEvaluator(seed=0)
        pairs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            ("optimization history", lambda: viz.plot_history(record), lambda: vis.plot_optimization_history(reference)),
            ("intermediate values", lambda: viz.plot_intermediate_values(record), lambda: vis.plot_intermediate_values(reference)),
            ("parameter importance", lambda: viz.plot_importance(record), lambda: vis.plot_param_importances(reference, evaluator=mdi)),
            ("parallel coordinates", lambda: viz.plot_parallel_coordinates(record),
             lambda: vis.plot_parallel_coordinate(reference, params=SCALARS)),
            ("slice", lambda: viz.plot_slice(record), lambda: vis.plot_slice(reference, params=SCALARS)),
            ("contour (4 parameters)", lambda: viz.plot_contour(record, params=SCALARS),
             lambda: vis.plot_contour(reference, params=SCALARS)),
            ("timeline", lambda: viz.plot_timeline(record), lambda: vis.plot_timeline(reference)),
        ]
        print(f"{n_trials} trials ({sum(t.state.value == 'COMPLETE' for t in record.trials)} complete), "
              f"median of {repeats} after a warm-up\n")
        print("| plot | hypernas s (CPU s) | Optuna s (CPU s) | ratio hypernas/Optuna, CPU |\n|---|---:|---:|---:|")
        for name, ours, theirs in pairs:
            (a, a_cpu), (b, b_cpu) = median_seconds(ours, repeats), median_seconds(theirs, repeats)
            print(f"| {name} | {a:.3f} ({a_cpu:.3f}) | {b:.3f} ({b_cpu:.3f}) | {a_cpu / b_cpu:.2f} |")

        html = Path(tmp) / "report.html"

        def report() -> None:
            study = hn.load_study("bench", f"sqlite:///{db}", strategy="random", pruner="none")
            viz.write_report(viz.StudyRecord.of(study), html)

        seconds, seconds_cpu = median_seconds(report, repeats)
        size, js = html.stat().st_size, len(get_plotlyjs().encode())
        images, images_cpu = median_seconds(lambda: viz.write_images(record, Path(tmp) / "png"), repeats)
        n_images = len(list((Path(tmp) / "png").iterdir()))
        print(f"\n| report of {n_trials} trials | value |\n|---|---:|")
        print(f"| HTML report: read the record from SQLite, every plot, write the file | {seconds:.2f} s "
              f"({seconds_cpu:.2f} s CPU) |")
        print(f"| HTML file | {size / 1e6:.2f} MB ({js / 1e6:.2f} MB plotly.js, {(size - js) / 1e6:.2f} MB figures, "
              f"drawings and table) |")
        print(f"| --format png: {n_images} files | {images:.2f} s ({images_cpu:.2f} s CPU) |")
        command = [sys.executable, "-m", "hypernas", "report", "bench", "--storage", str(db), "-o", str(html)]
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        fresh, _ = median_seconds(lambda: subprocess.run(command, check=True, capture_output=True, env=env), repeats)
        print(f"| `hypernas report` in a fresh process | {fresh:.2f} s |")


if __name__ == "__main__":
    main()
