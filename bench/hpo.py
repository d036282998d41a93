"""HPO benchmark: hypernas strategies against Optuna's samplers on test functions with known optima.

Two parts, both printing side-by-side tables from one run:

  regret  -- log10 simple regret (best value found minus the optimum) after ``--evals`` evaluations,
             median and mean over ``--seeds`` seeds, for Branin, Hartmann3, Hartmann6, Rosenbrock-4d
             and Hartmann6 with two integer dimensions (5 levels each);
  timing  -- milliseconds per trial (ask + tell) once the study holds n trials: TPE at 100/500/1000,
             GP at 100/300; the history is filled by random search, then ``--window`` trials are timed.

Runs are appended to a JSON-lines file (``--out``) so a long benchmark can be resumed or split;
``--report`` only prints the tables of what the file holds.

    python bench/hpo.py regret --seeds 20 --evals 100 --out results/hpo_regret.jsonl
    python bench/hpo.py timing --out results/hpo_timing.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import hypernas as hn

# --- test functions (minimized) -------------------------------------------------------------
_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]])
_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8],
                  [17, 8, 0.05, 10, 0.1, 14]])
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def branin(x: np.ndarray) -> float:
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return float(a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * math.cos(x[0]) + s)


def hartmann3(x: np.ndarray) -> float:
    return float(-np.sum(_ALPHA * np.exp(-np.sum(_H3_A * (x - _H3_P) ** 2, axis=1))))


def hartmann6(x: np.ndarray) -> float:
    return float(-np.sum(_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def rosenbrock(x: np.ndarray) -> float:
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def _hartmann6_int_optimum() -> float:
    """The optimum of Hartmann6 when x0 and x1 are restricted to {0, .25, .5, .75, 1}."""
    from scipy.optimize import minimize

    best = math.inf
    rng = np.random.default_rng(0)
    for i in range(5):
        for j in range(5):
            head = np.array([i / 4, j / 4])
            for _ in range(8):
                res = minimize(lambda z, head=head: hartmann6(np.concatenate((head, z))), rng.random(4), method="L-BFGS-B",
                               bounds=[(0, 1)] * 4)
                best = min(best, float(res.fun))
    return best


# name -> (objective on a vector, bounds per dim, integer levels per dim (0: continuous), optimum)
FUNCTIONS: dict[str, tuple[Callable[[np.ndarray], float], list[tuple[float, float]], list[int], Callable[[], float]]] = {
    "branin": (branin, [(-5, 10), (0, 15)], [0, 0], lambda: 0.397887357729738),
    "hartmann3": (hartmann3, [(0, 1)] * 3, [0] * 3, lambda: -3.86278214782076),
    "hartmann6": (hartmann6, [(0, 1)] * 6, [0] * 6, lambda: -3.32236801141551),
    "rosenbrock4": (rosenbrock, [(-5, 10)] * 4, [0] * 4, lambda: 0.0),
    "hartmann6_int": (hartmann6, [(0, 1)] * 6, [5, 5, 0, 0, 0, 0], _hartmann6_int_optimum),
}


def _vector(levels: list[int], bounds: list[tuple[float, float]], raw: list[float]) -> np.ndarray:
    """Integer dims hold a level index 0..k-1, mapped onto the dim's bounds."""
    return np.array([lo + (hi - lo) * v / (k - 1) if k else v for v, k, (lo, hi) in zip(raw, levels, bounds)])


# --- runners ----------------------------------------------------------------------------------
HYPERNAS = {
    "hn-random": "random",
    "hn-tpe": {"type": "tpe"},
    "hn-tpe-univariate": {"type": "tpe", "multivariate": False},
    "hn-gp": {"type": "gp"},
    "hn-gp-startup25": {"type": "gp", "n_startup_trials": 25},
    "hn-cmaes": {"type": "cmaes"},
    "hn-nsga2": {"type": "nsga2", "population_size": 20},
}
# Optuna 5's TPESampler() is multivariate by default; the univariate form is the pre-5 default.
OPTUNA = ["optuna-random", "optuna-tpe", "optuna-tpe-multivariate", "optuna-tpe-univariate", "optuna-gp",
          "optuna-cmaes"]


def hn_space(bounds: list[tuple[float, float]], levels: list[int]) -> hn.Space:
    return hn.Space({f"x{i}": hn.Int(0, k - 1) if k else hn.Float(lo, hi)
                     for i, (k, (lo, hi)) in enumerate(zip(levels, bounds))})


def optuna_sampler(method: str, seed: int) -> Any:
    import optuna

    if method == "optuna-random":
        return optuna.samplers.RandomSampler(seed=seed)
    if method == "optuna-tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if method == "optuna-tpe-multivariate":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    if method == "optuna-tpe-univariate":
        return optuna.samplers.TPESampler(seed=seed, multivariate=False)
    if method == "optuna-gp":
        return optuna.samplers.GPSampler(seed=seed)
    if method == "optuna-cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed)
    raise SystemExit(f"unknown method {method!r}")


def run_regret(function: str, method: str, seed: int, evals: int) -> float:
    """The best value found in ``evals`` evaluations."""
    f, bounds, levels, _ = FUNCTIONS[function]
    if method.startswith("hn-"):
        study = hn.create_study(strategy=HYPERNAS[method], seed=seed, space=hn_space(bounds, levels))
        study.optimize(lambda t: f(_vector(levels, bounds, [t.params[f"x{i}"] for i in range(len(bounds))])),
                       n_trials=evals)
        return study.best_value
    import optuna

    def objective(trial: Any) -> float:
        raw = [trial.suggest_int(f"x{i}", 0, k - 1) if k else trial.suggest_float(f"x{i}", lo, hi)
               for i, (k, (lo, hi)) in enumerate(zip(levels, bounds))]
        return f(_vector(levels, bounds, raw))

    study = optuna.create_study(sampler=optuna_sampler(method, seed))
    study.optimize(objective, n_trials=evals)
    return float(study.best_value)


def run_timing(kind: str, library: str, n: int, window: int, seed: int) -> tuple[float, float]:
    """Mean wall and CPU seconds per trial (ask + tell) over ``window`` trials once the study holds ``n`` trials.

    The history is filled by random search; one untimed trial with the measured sampler comes first
    (a resumed study's first proposal fits its model from scratch), then ``window`` trials are timed.
    """
    f, bounds, levels, _ = FUNCTIONS["hartmann6"]
    names = [f"x{i}" for i in range(len(bounds))]
    if library == "hypernas":
        storage = hn.InMemoryStorage()
        study = hn.create_study("t", storage, strategy="random", seed=seed, space=hn_space(bounds, levels))
        study.optimize(lambda t: f(np.array([t.params[k] for k in names])), n_trials=n)
        study = hn.load_study("t", storage, strategy={"type": kind, "seed": seed})

        def step() -> None:
            trial = study.ask()
            study.tell(trial, f(np.array([trial.params[k] for k in names])))
    else:
        import optuna

        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
        study.optimize(lambda t: f(np.array([t.suggest_float(k, 0, 1) for k in names])), n_trials=n)
        study.sampler = optuna_sampler("optuna-tpe" if kind == "tpe" else "optuna-gp", seed)
        dists = {k: optuna.distributions.FloatDistribution(0, 1) for k in names}

        def step() -> None:
            trial = study.ask(dists)
            study.tell(trial, f(np.array([trial.params[k] for k in names])))
    step()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(window):
        step()
    return (time.perf_counter() - wall) / window, (time.process_time() - cpu) / window


# --- records and tables -------------------------------------------------------------------------
def _load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _append(path: Path, row: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fh.write(json.dumps(row) + "\n")


def regret_table(rows: list[dict[str, Any]], methods: list[str]) -> str:
    optima = {name: spec[3]() for name, spec in FUNCTIONS.items()}
    lines = []
    for stat in ("median", "mean"):
        lines.append(f"\n{stat} log10 simple regret (lower is better; n = seeds)")
        header = f"{'function':<15}" + "".join(f"{m:>24}" for m in methods) + f"{'hn best - optuna best':>24}"
        lines.append(header)
        for fn in FUNCTIONS:
            cells, scores = [], {}
            for m in methods:
                vals = [math.log10(max(r["best"] - optima[fn], 1e-12)) for r in rows if r["function"] == fn and r["method"] == m]
                if vals:
                    scores[m] = float(np.median(vals) if stat == "median" else np.mean(vals))
                    cells.append(f"{scores[m]:>18.3f} (n={len(vals):>2})")
                else:
                    cells.append(f"{'-':>24}")
            hn_best = min((v for m, v in scores.items() if m.startswith("hn-")), default=math.nan)
            op_best = min((v for m, v in scores.items() if m.startswith("optuna-")), default=math.nan)
            lines.append(f"{fn:<15}" + "".join(cells) + f"{hn_best - op_best:>24.3f}")
    return "\n".join(lines)


def regret_markdown(rows: list[dict[str, Any]], methods: list[str]) -> str:
    """One markdown row per function: median / mean log10 regret per method, then hn best - optuna best (medians)."""
    optima = {name: spec[3]() for name, spec in FUNCTIONS.items()}
    lines = ["| function | " + " | ".join(methods) + " | hn best - optuna best |",
             "|---" * (len(methods) + 2) + "|"]
    for fn in FUNCTIONS:
        cells, medians = [], {}
        for m in methods:
            vals = [math.log10(max(r["best"] - optima[fn], 1e-12)) for r in rows if r["function"] == fn and r["method"] == m]
            if not vals:
                cells.append("-")
                continue
            medians[m] = float(np.median(vals))
            cells.append(f"{medians[m]:.2f} / {np.mean(vals):.2f} ({len(vals)})")
        hn_best = min((v for m, v in medians.items() if m.startswith("hn-")), default=math.nan)
        op_best = min((v for m, v in medians.items() if m.startswith("optuna-")), default=math.nan)
        lines.append(f"| {fn} | " + " | ".join(cells) + f" | {hn_best - op_best:+.2f} |")
    return "\n".join(lines)


def timing_table(rows: list[dict[str, Any]]) -> str:
    lines = ["\nms per trial (ask + tell) with n trials in the study (hartmann6), median over repeats; "
             "ratio = hypernas / optuna",
             f"{'strategy':<8}{'n':>6}{'hn wall':>10}{'op wall':>10}{'ratio':>7}{'hn cpu':>10}{'op cpu':>10}{'ratio':>7}"]
    for kind in ("tpe", "gp"):
        for n in sorted({r["n"] for r in rows if r["kind"] == kind}):
            cells = []
            for key in ("seconds", "cpu_seconds"):
                h = [r[key] for r in rows if r["kind"] == kind and r["n"] == n and r["library"] == "hypernas"]
                o = [r[key] for r in rows if r["kind"] == kind and r["n"] == n and r["library"] == "optuna"]
                hm, om = 1e3 * float(np.median(h)), 1e3 * float(np.median(o))
                cells.append(f"{hm:>10.1f}{om:>10.1f}{hm / om:>7.2f}")
            lines.append(f"{kind:<8}{n:>6}" + "".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=["regret", "timing"])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--evals", type=int, default=100)
    parser.add_argument("--functions", default=",".join(FUNCTIONS))
    parser.add_argument("--methods", default=",".join([*HYPERNAS, *OPTUNA]))
    parser.add_argument("--tpe-trials", default="100,500,1000")
    parser.add_argument("--gp-trials", default="100,300")
    parser.add_argument("--tpe-window", type=int, default=30, help="TPE trials timed per measurement")
    parser.add_argument("--gp-window", type=int, default=10, help="GP trials timed per measurement")
    parser.add_argument("--repeats", type=int, default=1, help="timing measurements per cell (median taken)")
    parser.add_argument("--out", type=Path, default=Path("results/hpo.jsonl"))
    parser.add_argument("--report", action="store_true", help="only print the tables of --out")
    parser.add_argument("--markdown", action="store_true", help="print the regret table as markdown")
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    done = _load(args.out)
    methods = args.methods.split(",")
    if args.part == "regret":
        if not args.report:
            have = {(r["function"], r["method"], r["seed"]) for r in done if "best" in r}
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                for fn in args.functions.split(","):
                    for m in methods:
                        if (fn, m, seed) in have:
                            continue
                        start = time.perf_counter()
                        best = run_regret(fn, m, seed, args.evals)
                        row = {"function": fn, "method": m, "seed": seed, "evals": args.evals, "best": best,
                               "seconds": time.perf_counter() - start}
                        _append(args.out, row)
                        print(json.dumps(row), flush=True)
            done = _load(args.out)
        rows = [r for r in done if "best" in r and r["evals"] == args.evals]
        print(regret_markdown(rows, methods) if args.markdown else regret_table(rows, methods))
        return
    if not args.report:
        plan = [("tpe", int(n)) for n in args.tpe_trials.split(",") if n] + \
               [("gp", int(n)) for n in args.gp_trials.split(",") if n]
        for rep in range(args.repeats):
            for kind, n in plan:
                for library in ("hypernas", "optuna"):  # interleaved so both see the same machine load
                    window = args.tpe_window if kind == "tpe" else args.gp_window
                    seconds, cpu_seconds = run_timing(kind, library, n, window, seed=rep)
                    row = {"kind": kind, "library": library, "n": n, "window": window, "seconds": seconds,
                           "cpu_seconds": cpu_seconds, "cpus": os.cpu_count()}
                    _append(args.out, row)
                    print(json.dumps(row), flush=True)
        done = _load(args.out)
    print(timing_table([r for r in done if "cpu_seconds" in r]))


if __name__ == "__main__":
    main()
