"""Cheap objectives and helpers shared by the model-based strategy tests."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import hypernas as hn
from hypernas.record import Direction, pareto_front

SPHERE_SPACE = hn.Space({"x": hn.Float(-2.0, 2.0), "y": hn.Float(-2.0, 2.0)})


def sphere(trial: Any) -> float:
    """Minimum 0 at (0.5, -0.5)."""
    return (trial.params["x"] - 0.5) ** 2 + (trial.params["y"] + 0.5) ** 2


def two_objectives(trial: Any) -> tuple[float, float]:
    """A convex Pareto front: f1 = x^2 + y^2, f2 = (x - 1)^2 + y^2 for x in [0, 1], y = 0."""
    x, y = trial.params["x"], trial.params["y"]
    return x * x + y * y, (x - 1.0) ** 2 + y * y


def hypervolume_2d(points: list[list[float]], ref: tuple[float, float]) -> float:
    """Area dominated by minimized 2-d ``points`` and bounded by ``ref``."""
    pts = sorted((p for p in points if p[0] < ref[0] and p[1] < ref[1]), key=lambda p: p[0])
    area, best_y = 0.0, ref[1]
    for x, y in pts:
        if y < best_y:
            area += (ref[0] - x) * (best_y - y)
            best_y = y
    return area


def front_hypervolume(study: hn.Study, ref: tuple[float, float] = (4.0, 4.0)) -> float:
    front = pareto_front(study.get_trials(), [Direction.MINIMIZE, Direction.MINIMIZE])
    return hypervolume_2d([list(t.values) for t in front], ref)


def proposals_after(strategy: Any, n_done: int, seed: int, storage: str | None = None, name: str = "s",
                    objective: Any = sphere, space: hn.Space = SPHERE_SPACE,
                    directions: list[str] | None = None) -> tuple[hn.Study, dict[str, Any]]:
    """Run ``n_done`` trials, then return the study and the next proposal."""
    study = hn.create_study(name, storage, strategy=strategy, seed=seed, space=space, directions=directions)
    study.optimize(objective, n_trials=n_done)
    return study, study.ask().params


def assert_resumes_exactly(strategy: Any, n_done: int, seed: int, db: Path, objective: Any = sphere,
                           space: hn.Space = SPHERE_SPACE, directions: list[str] | None = None) -> None:
    """Same seed and history give the same next proposal: twice in memory, and after a reload from SQLite."""
    _, a = proposals_after(strategy, n_done, seed=seed, objective=objective, space=space, directions=directions)
    _, b = proposals_after(strategy, n_done, seed=seed, objective=objective, space=space, directions=directions)
    assert a == b
    url = f"sqlite:///{db}"
    first = hn.create_study("resumed", url, strategy=strategy, seed=seed, space=space, directions=directions)
    first.optimize(objective, n_trials=n_done)
    assert hn.load_study("resumed", url).ask().params == a


def distinct(params: list[dict[str, Any]]) -> int:
    return len({tuple(sorted((k, round(v, 12) if isinstance(v, float) else v) for k, v in p.items())) for p in params})


def close(a: float, b: float, tol: float) -> bool:
    return math.isfinite(a) and abs(a - b) <= tol
