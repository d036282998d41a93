"""Processes optimizing one study at the same time lose and duplicate nothing, on a SQLite file and on a
PostgreSQL server (the processes stand in for the hosts of a cluster)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import hypernas
from hypernas import Categorical, Float, Int, Space, TrialState
from hypernas.study.workers import HOSTNAME

CHILD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    import hypernas

    url, name, n_trials, folder, me = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]
    requeue = sys.argv[6] == "requeue"
    study = hypernas.load_study(name, url)
    (folder / f"ready-{me}").touch()
    deadline = time.monotonic() + 60
    while not (folder / "go").exists():  # start together with the other process
        if time.monotonic() > deadline:
            sys.exit("never told to go")
        time.sleep(0.005)

    log = open(folder / f"evaluated-{me}", "a")

    def objective(trial):
        log.write(f"{trial.number}\\n")
        log.flush()
        trial.set_user_attr("worker", me)
        time.sleep(0.002)
        return float(sum(hash(str(v)) % 97 for v in trial.params.values()))

    study.optimize(objective, n_trials=n_trials, requeue_lost=requeue)
""")

WORKERS = ("a", "b")


def _run_processes(tmp_path: Path, url: str, name: str, n_trials: int, requeue: bool = False,
              workers: tuple[str, ...] = WORKERS) -> dict[str, list[int]]:
    """Run a process per worker name (two by default) on the study at once; return the trial numbers each one
    evaluated."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    src = str(Path(hypernas.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    argv = [url, name, str(n_trials), str(tmp_path)]
    procs = [subprocess.Popen([sys.executable, str(script), *argv, me, "requeue" if requeue else "-"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for me in workers]
    try:
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"ready-{me}").exists() for me in workers):
            assert time.monotonic() < deadline, "the worker processes did not start"
            assert all(p.poll() is None for p in procs), "a worker process died while starting"
            time.sleep(0.01)
        (tmp_path / "go").touch()
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()[-2000:]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return {me: [int(line) for line in (tmp_path / f"evaluated-{me}").read_text().split()] for me in workers}


def _check_record(trials: list[hypernas.FrozenTrial], evaluated: dict[str, list[int]], total: int) -> None:
    """Numbers 0..total-1 once each, all COMPLETE, each evaluated by exactly one process."""
    assert [t.number for t in trials] == list(range(total))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    everything = [n for numbers in evaluated.values() for n in numbers]
    assert sorted(everything) == list(range(total))  # each number evaluated once, by one process
    for me, numbers in evaluated.items():
        assert {t.number for t in trials if t.user_attrs["worker"] == me} == set(numbers)


def test_two_processes_random_search(tmp_path: Path, db_url: str) -> None:
    space = Space({"lr": Float(1e-5, 1e-1, log=True), "width": Int(8, 256), "act": Categorical(["relu", "gelu"])})
    hypernas.create_study("rand", db_url, strategy="random", seed=11, space=space)
    evaluated = _run_processes(tmp_path, db_url, "rand", 40)
    assert len(evaluated["a"]) == len(evaluated["b"]) == 40

    trials = hypernas.load_study("rand", db_url).get_trials()
    _check_record(trials, evaluated, 80)
    assert len({space.key(t.params) for t in trials}) == 80
    # a seeded random search proposes for trial n what it would have proposed in one process
    strategy = hypernas.RandomSearch(seed=11)
    study = hypernas.create_study(strategy=strategy, seed=11, space=space)
    for t in trials[:5]:
        assert strategy.ask(study, t) == t.params


def test_two_processes_grid_search_propose_each_point_once(tmp_path: Path, db_url: str) -> None:
    space = Space({"a": Categorical([0, 1, 2, 3, 4]), "b": Categorical(["x", "y", "z"]), "c": Int(0, 3)})
    grid = {space.key(p) for p in space.grid(4)}
    assert len(grid) == 60
    hypernas.create_study("grid", db_url, strategy={"type": "grid", "resolution": 4}, seed=0, space=space)
    evaluated = _run_processes(tmp_path, db_url, "grid", 40)  # 80 slots for 60 points: the grid runs out

    trials = hypernas.load_study("grid", db_url).get_trials()
    _check_record(trials, evaluated, 60)
    keys = [space.key(t.params) for t in trials]
    assert len(set(keys)) == 60 and set(keys) == grid


def test_two_processes_claim_each_enqueued_trial_once(tmp_path: Path, db_url: str) -> None:
    space = Space({"x": Float(0.0, 1.0), "k": Int(0, 9)})
    study = hypernas.create_study("queue", db_url, strategy="random", seed=5, space=space)
    queued = [{"x": i / 30, "k": i % 10} for i in range(30)]
    numbers = [study.enqueue(p) for p in queued]
    assert numbers == list(range(30))
    evaluated = _run_processes(tmp_path, db_url, "queue", 20)

    trials = hypernas.load_study("queue", db_url).get_trials()
    _check_record(trials, evaluated, 40)
    assert [t.params for t in trials[:30]] == queued
    assert not any(t.state is TrialState.WAITING for t in trials)


def test_two_processes_resuming_requeue_a_lost_trial_once(tmp_path: Path, db_url: str) -> None:
    space = Space({"x": Float(0.0, 1.0), "k": Int(0, 9)})
    study = hypernas.create_study("lost", db_url, strategy="random", seed=5, space=space)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])  # its pid stands for a worker that died
    dead.wait()
    worker = {"host": HOSTNAME, "pid": dead.pid, "token": "a-dead-process"}
    lost = study.storage.create_trial(study.study_id, TrialState.RUNNING, params={"x": 0.5, "k": 7}, worker=worker)
    evaluated = _run_processes(tmp_path, db_url, "lost", 5, requeue=True)

    trials = hypernas.load_study("lost", db_url).get_trials()
    assert trials[0].state is TrialState.FAILED and trials[0].error.startswith("lost:")
    requeued = [t for t in trials if t.system_attrs.get("requeued_from") == lost.number]
    assert len(requeued) == 1 and requeued[0].params == {"x": 0.5, "k": 7}
    assert requeued[0].state is TrialState.COMPLETE
    assert [t.number for t in trials] == list(range(11))
    assert all(t.state is TrialState.COMPLETE for t in trials[1:])
    a, b = (evaluated[me] for me in WORKERS)
    assert not set(a) & set(b) and sorted(a + b) == list(range(1, 11))


def test_four_processes_share_one_study_with_nothing_lost_or_duplicated(tmp_path: Path, db_url: str) -> None:
    space = Space({"x": Float(0.0, 1.0), "k": Int(0, 9)})
    study = hypernas.create_study("four", db_url, strategy="random", seed=2, space=space)
    study.enqueue({"x": 0.5, "k": 5})
    workers = ("a", "b", "c", "d")
    evaluated = _run_processes(tmp_path, db_url, "four", 25, workers=workers)
    assert all(len(evaluated[me]) == 25 for me in workers)

    trials = hypernas.load_study("four", db_url).get_trials()
    _check_record(trials, evaluated, 100)
    assert trials[0].params == {"x": 0.5, "k": 5}
    assert len({t.trial_id for t in trials}) == 100
