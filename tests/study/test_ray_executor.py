"""Workers as Ray actors (``executor="ray"``): the budget is shared exactly, results reach the record, a killed worker
changes nothing but its trial's record, Ctrl-C leaves no trial RUNNING, and bad options are one line.

The tests share one local Ray (two CPUs, loopback, no dashboard), started and shut down by this module; two
tests run a driver in a fresh interpreter: one starts a Ray of its own (and shuts it down), one joins this one.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray

import hypernas as hn
from hypernas import TrialState
from hypernas.errors import WorkerCrashedError
from hypernas.study.executors.ray import RayExecutor
from hypernas.study.loop import INTERRUPTED
from tests.cli.cli_cases import run_cli
from tests.fuzz.clear import assert_clear
from tests.study.worker_cases import OBJECTIVES, SPACE, assert_lost_one_rerun

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"), pytest.mark.timeout(120)]

SRC = str(Path(hn.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def objectives(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The objectives' module, importable here and (through the caller's sys.path) in the workers."""
    folder = tmp_path_factory.mktemp("ray_objectives")
    (folder / "ray_objectives.py").write_text(OBJECTIVES)
    sys.path.insert(0, str(folder))
    import ray_objectives  # type: ignore[import-not-found]

    yield ray_objectives
    sys.path.remove(str(folder))
    sys.modules.pop("ray_objectives", None)


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[str]:
    """A Ray for this module only: two CPUs on the loopback interface, no dashboard, a small object store.
    Its address; it is shut down at the end (never ``ray stop``, which would end every Ray on the machine)."""
    assert not ray.is_initialized()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        context = ray.init(address="local", num_cpus=2, include_dashboard=False, object_store_memory=80 * 1024**2,
                           _node_ip_address="127.0.0.1", logging_level=logging.WARNING)
        try:
            yield context.address_info["gcs_address"]
        finally:
            ray.shutdown()


def test_two_workers_share_the_budget_exactly_and_results_reach_the_record(objectives, sqlite_url: str) -> None:
    study = hn.create_study("shared", sqlite_url, seed=0, space=SPACE)
    seen: list[int] = []
    study.optimize(objectives.square, n_trials=10, n_workers=2, executor="ray",
                   callbacks=[lambda s, t: seen.append(t.number)])
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(10))
    assert all(t.state is TrialState.COMPLETE and t.value == t.params["x"] ** 2 for t in trials)
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials}
    assert sorted(seen) == list(range(10))  # each finished trial is reported once, in the caller


def test_an_executor_object_and_a_lambda(sqlite_url: str) -> None:  # a mapping: the CLI test's config
    study = hn.create_study("forms", sqlite_url, seed=0, space=SPACE)
    offset = 1.0
    study.optimize(lambda t: t.params["x"] + offset, n_trials=3, n_workers=2, executor=RayExecutor(cpus=0.5, gpus=0))
    assert [t.value - t.params["x"] for t in study.trials] == pytest.approx([1.0, 1.0, 1.0])


def test_a_killed_worker_is_replaced_and_its_trial_run_again_within_the_budget(
        objectives, sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    study = hn.create_study("killed", sqlite_url, seed=0, space=SPACE)
    with caplog.at_level(logging.WARNING, logger="hypernas"):
        study.optimize(objectives.killed_on_trial_1, n_trials=4, n_workers=2, executor="ray", requeue_lost=True)
    lost = assert_lost_one_rerun(study, 4)
    assert lost.number == 1 and lost.state is TrialState.FAILED
    assert str(lost.error).startswith("lost: the trial was left RUNNING because its Ray worker process ")
    assert " died: its worker process has died" in str(lost.error)
    [warning] = [r.getMessage() for r in caplog.records if "takes its place" in r.getMessage()]
    assert warning.startswith("Ray worker process ")
    assert warning.endswith("; its trial 1 is FAILED as lost and queued to run again; a new Ray worker process takes "
                            "its place")


def test_workers_that_always_die_end_the_run_with_an_error_and_no_trial_running(objectives, sqlite_url: str) -> None:
    study = hn.create_study("doomed", sqlite_url, space=SPACE)
    with pytest.raises(WorkerCrashedError, match=r"^Ray worker process 1 of 1 \(pid \d+\) died: .*; gave up after 2 "
                                                 r"Ray worker processes in a row died before a trial finished$"):
        study.optimize(objectives.always_killed, n_trials=4, executor="ray")
    trials = study.trials
    assert trials and all(t.state is TrialState.FAILED and t.system_attrs.get("lost") for t in trials)


def test_an_uncaught_objective_error_is_raised_and_recorded(objectives, sqlite_url: str) -> None:
    study = hn.create_study("uncaught", sqlite_url, space=SPACE)
    with pytest.raises(ValueError, match="no data for"):
        study.optimize(objectives.broken, n_trials=4, n_workers=2, executor="ray", catch=())
    assert study.trials and all(t.state is TrialState.FAILED and "ValueError: no data for" in (t.error or "")
                                for t in study.trials)


def test_a_mistake_found_by_a_worker_is_raised_as_it_is(objectives, sqlite_url: str) -> None:
    study = hn.create_study("mistake", sqlite_url, space=SPACE)
    with pytest.raises(hn.ObjectiveError, match=r"^the study stops: its trials all failed, the last 3 with the same "
                                                r"error, .*: ValueError: no data$") as info:
        study.optimize(objectives.misconfigured, n_trials=8, executor="ray")
    assert_clear(str(info.value))
    assert [t.state for t in study.trials] == [TrialState.FAILED] * 3


def test_ctrl_c_stops_every_worker_and_leaves_no_trial_running(objectives, sqlite_url: str) -> None:
    study = hn.create_study("interrupted", sqlite_url, space=SPACE)

    def press_ctrl_c(study: hn.Study, trial: hn.FrozenTrial) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objectives.slow, n_trials=20, n_workers=2, executor="ray", callbacks=[press_ctrl_c])
    trials = study.trials
    assert trials and len(trials) < 20
    assert not [t for t in trials if not t.state.is_finished]
    assert all(t.error == INTERRUPTED and t.system_attrs.get("lost") for t in trials if t.state is TrialState.FAILED)
    deadline = time.monotonic() + 30
    while ray.available_resources().get("CPU", 0) < 2 and time.monotonic() < deadline:  # the killed workers' CPUs
        time.sleep(0.2)
    assert ray.available_resources().get("CPU") == 2


def test_an_in_memory_study_is_refused_in_one_line() -> None:
    study = hn.create_study(space=SPACE)
    with pytest.raises(hn.ConfigError, match=r"^executor='ray' needs a study in a SQL database") as info:
        study.optimize(lambda t: 0.0, n_trials=2, n_workers=2, executor="ray")
    assert_clear(str(info.value))


BAD_OPTIONS = {
    "negative gpus": ({"gpus": -1}, "executor 'ray': gpus must be a number >= 0, got -1"),
    "cpus a string": ({"cpus": "two"}, "executor 'ray': cpus must be a number >= 0, got 'two'"),
    "empty address": ({"address": ""}, "executor 'ray': address must be None (a local Ray), 'auto' or a cluster"),
    "GPU as a resource": ({"resources": {"GPU": 1}}, "executor 'ray': resources must not name 'GPU'"),
    "negative resource": ({"resources": {"TPU": -1}}, "executor 'ray': resources['TPU'] must be a number >= 0"),
    "unknown option": ({"gpu": 1}, "executor 'ray': unknown option 'gpu'; allowed: address, cpus, gpus, resources, "
                                   "runtime_env"),
    "runtime_env a number": ({"runtime_env": 3}, "executor 'ray': runtime_env must be a mapping"),
}


@pytest.mark.parametrize(("options", "message"), BAD_OPTIONS.values(), ids=BAD_OPTIONS.keys())
def test_bad_options_are_one_line(options: dict[str, Any], message: str) -> None:
    with pytest.raises(hn.ConfigError) as info:
        hn.EXECUTORS.build({"type": "ray", **options})
    assert str(info.value).startswith(message)
    assert_clear(str(info.value))


def test_an_option_ray_refuses_is_one_line_before_any_trial(sqlite_url: str) -> None:
    study = hn.create_study("refused", sqlite_url, space=SPACE)
    with pytest.raises(hn.ConfigError, match=r"^executor 'ray': runtime_env\['env_vars'\] must be") as info:
        study.optimize(lambda t: 0.0, n_trials=2, executor={"type": "ray", "runtime_env": {"env_vars": {"A": 1}}})
    assert_clear(str(info.value))
    assert study.trials == []


CONFIG = textwrap.dedent("""
    space: {x: {type: float, low: 0, high: 1}}
    objective: ray_objectives:{objective}
    n_trials: 4
    n_workers: 2
    seed: 0
""")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "ray_objectives.py").write_text(OBJECTIVES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_cli_runs_on_ray_from_the_config_or_the_command_line(workdir: Path) -> None:
    Path("on_ray.yaml").write_text(CONFIG.replace("{objective}", "square") + "executor: {type: ray, cpus: 1}\n")
    code, out, err = run_cli("run", "on_ray.yaml", "--storage", "r.db", "--quiet")
    assert code == 0, err
    assert out.startswith("Study 'on_ray': 4 new trial(s); 4 complete (in r.db)\n")
    Path("plain.yaml").write_text(CONFIG.replace("{objective}", "killed_on_trial_1"))
    code, out, err = run_cli("run", "plain.yaml", "--storage", "r.db", "--quiet", "--executor", "ray")
    assert code == 0, err
    # Ray's own word on the death may come first (its log monitor prints to stdout)
    assert "\nStudy 'plain': 4 new trial(s), and 1 lost with its worker; 4 complete, 1 failed (in r.db)\n" in f"\n{out}"
    assert hn.load_study("plain", "r.db").system_attrs["run_config"]["executor"] == "ray"


@pytest.mark.parametrize(("args", "config", "message"), [
    (("--executor", "process", "--address", "auto"), "",
     "plain.yaml: executor 'process': unknown option 'address'; allowed: none"),
    ((), "executor: {type: ray, gpus: -1}\n", "bad.yaml: executor 'ray': gpus must be a number >= 0, got -1"),
    ((), "executor: [ray]\n", "bad.yaml: executor must be an executor name such as 'process' or a mapping"),
], ids=["address-without-ray", "negative-gpus", "a-list"])
def test_bad_cli_executors_are_one_line(workdir: Path, args: tuple[str, ...], config: str, message: str) -> None:
    name = "bad.yaml" if config else "plain.yaml"
    Path(name).write_text(CONFIG.replace("{objective}", "square") + config)
    code, _, err = run_cli("run", name, "--storage", "r.db", "--quiet", *args)
    assert code == 2 and err.startswith(f"hypernas: error: {message}"), err
    assert_clear(err)
    assert not Path("r.db").exists() or hn.study_names("r.db") == []


DRIVER = textwrap.dedent("""
    import json, os, sys
    import ray
    import hypernas as hn

    def objective(trial):
        return trial.params["x"]

    def live_children():
        alive = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if int(stat[1]) == os.getpid() and stat[0] != "Z":
                alive.append(int(pid))
        return alive

    if __name__ == "__main__":  # refuses an address where nothing listens, joins the Ray at argv[2], starts its own
        study = hn.create_study("driver", sys.argv[1], space={"x": {"type": "float", "low": 0, "high": 1}}, seed=0)
        try:
            study.optimize(objective, n_trials=2, executor={"type": "ray", "address": "127.0.0.1:1"})
        except hn.ConfigError as exc:
            print(json.dumps({"error": str(exc), "initialized": ray.is_initialized(), "trials": len(study.trials)}))
        for executor in ({"type": "ray", "address": sys.argv[2]}, "ray"):
            study.optimize(objective, n_trials=2, n_workers=2, executor=executor)
            print(json.dumps({"complete": sum(t.state is hn.TrialState.COMPLETE for t in study.trials),
                              "initialized": ray.is_initialized(), "children": live_children()}))
""")


def test_a_run_joins_a_ray_by_address_or_starts_its_own_and_leaves_none_behind(tmp_path: Path, local_ray: str) -> None:
    (tmp_path / "driver.py").write_text(DRIVER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])),
           "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    env.pop("RAY_ADDRESS", None)
    result = subprocess.run([sys.executable, str(tmp_path / "driver.py"), f"sqlite:///{tmp_path / 'd.db'}", local_ray],
                            capture_output=True, text=True, timeout=100, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    refused, joined, own = (json.loads(line) for line in result.stdout.strip().splitlines()[-3:])
    assert refused["error"].startswith("executor 'ray': cannot reach the Ray cluster at '127.0.0.1:1': ")
    assert refused["initialized"] is False and refused["trials"] == 0
    assert joined == {"complete": 2, "initialized": False, "children": []}  # disconnected
    assert own == {"complete": 4, "initialized": False, "children": []}  # its own Ray, shut down: no process left
    assert ray.get(ray.put(1)) == 1 and ray.available_resources().get("CPU", 0) > 0  # this module's Ray goes on
