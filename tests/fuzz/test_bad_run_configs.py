"""Bad ``hypernas run`` configs and command lines: each ends in exit 2 and one line, before any trial runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hypernas import study_names
from tests.cli.cli_cases import run_cli
from tests.fuzz.clear import assert_cli_error

pytestmark = pytest.mark.timeout(60)

GOOD: dict[str, Any] = {
    "space": {"lr": {"type": "float", "low": 1e-5, "high": 0.1, "log": True}, "layers": {"type": "int", "low": 1, "high": 6},
              "optimizer": ["sgd", "adam"]},
    "objective": "cli_objectives:bowl", "n_trials": 3, "seed": 0,
}
TRAIN = {"type": "train", "dataset": "digits", "model": "mlp", "epochs": 1}

BAD_KEYS: dict[str, dict[str, Any]] = {
    "unknown top-level key": {"n_trails": 3},
    "name empty": {"name": ""},
    "name a number": {"name": 3},
    "name a list": {"name": ["a"]},
    "storage a number": {"storage": 3},
    "space missing": {"space": None, "objective": TRAIN},  # an objective of one's own may suggest instead
    "space a list": {"space": [1, 2]},
    "space empty": {"space": {}},
    "space a string": {"space": "lr"},
    "space with a bad parameter": {"space": {"lr": {"type": "float", "low": 1, "high": 0}}},
    "space with an unknown type": {"space": {"lr": {"type": "real", "low": 0, "high": 1}}},
    "space with a non-string name": {"space": {1: [1, 2]}},
    "space with a condition never true": {"space": {"o": ["a", "b"], "m": {"type": "float", "low": 0, "high": 1,
                                                                           "when": {"o": "c"}}}},
    "space condition on a float": {"space": {"a": {"type": "float", "low": 0, "high": 1},
                                             "b": {"type": "float", "low": 0, "high": 1, "when": {"a": 0.5}}}},
    "space duplicate choices": {"space": {"c": [1, 1.0]}},
    "space float step larger than range": {"space": {"x": {"type": "float", "low": 0, "high": 1, "step": 3}}},
    "space int beyond 64 bits": {"space": {"x": {"type": "int", "low": 0, "high": 2**70}}},
    "space nb201 unknown op": {"space": {"cell": {"type": "nb201", "ops": ["none", "bogus"]}}},
    "space darts unknown op": {"space": {"arch": {"type": "darts", "ops": ["sep_conv_3x3", "conv_11x11"]}}},
    "strategy unknown": {"strategy": "bayes"},
    "strategy a number": {"strategy": 3},
    "strategy a list": {"strategy": ["tpe"]},
    "strategy mapping without type": {"strategy": {"population_size": 3}},
    "strategy unknown option": {"strategy": {"type": "evolution", "populaton_size": 3}},
    "strategy bad option value": {"strategy": {"type": "evolution", "population_size": 0}},
    "strategy option of wrong type": {"strategy": {"type": "tpe", "n_startup_trials": "ten"}},
    "strategy refusing the space": {"strategy": "cmaes"},
    "grid too large": {"strategy": {"type": "grid", "resolution": 0}},
    "pruner unknown": {"pruner": "early"},
    "pruner unknown option": {"pruner": {"type": "median", "warmup": 3}},
    "pruner bad value": {"pruner": {"type": "asha", "reduction_factor": 1}},
    "pruner a list": {"pruner": ["median"]},
    "objective missing": {"objective": None},
    "objective without colon": {"objective": "cli_objectives.bowl"},
    "objective module missing": {"objective": "no_such_module:f"},
    "objective function missing": {"objective": "cli_objectives:nope"},
    "objective not callable": {"objective": "cli_objectives:math"},
    "objective a number": {"objective": 3},
    "objective unknown type": {"objective": {"type": "simulate"}},
    "objective without type": {"objective": {"epochs": 2}},
    "train unknown option": {"objective": {**TRAIN, "epoch": 2}},
    "train unknown dataset": {"objective": {**TRAIN, "dataset": "imagenet"}},
    "train unknown model": {"objective": {**TRAIN, "model": "resnet"}},
    "train unknown model option": {"objective": {**TRAIN, "model_options": {"widht": 3}}},
    "train unknown dataset option": {"objective": {**TRAIN, "dataset_options": {"colour": True}}},
    "train unknown metric": {"objective": {**TRAIN, "metric": "accuracy"}},
    "train empty metric list": {"objective": {**TRAIN, "metric": []}},
    "train epochs 0": {"objective": {**TRAIN, "epochs": 0}},
    "train lr negative": {"objective": {**TRAIN, "lr": -0.1}},
    "train batch size a string": {"objective": {**TRAIN, "batch_size": "big"}},
    "train unknown optimizer": {"objective": {**TRAIN, "optimizer": "lion"}},
    "train unknown augmentation": {"objective": {**TRAIN, "augment": "mixup"}},
    "train augmentation without type": {"objective": {**TRAIN, "augment": {"p": 0.5}}},
    "train aliases a list": {"objective": {**TRAIN, "aliases": ["arch"]}},
    "train val_fraction 2": {"objective": {**TRAIN, "val_fraction": 2}},
    "train device unknown": {"objective": {**TRAIN, "device": "tpu"}},
    "train seed negative": {"objective": {**TRAIN, "seed": -1}},
    "train misspelt space parameter": {"objective": TRAIN, "space": {"lrr": {"type": "float", "low": 0.001, "high": 0.1}}},
    "nb201 objective without data": {"objective": {"type": "nb201"}},
    "nb201 objective missing file": {"objective": {"type": "nb201", "data": "missing.csv.gz"}},
    "n_trials 0": {"n_trials": 0},
    "n_trials negative": {"n_trials": -2},
    "n_trials a string": {"n_trials": "ten"},
    "n_trials fractional": {"n_trials": 2.5},
    "timeout 0": {"timeout": 0},
    "timeout negative": {"timeout": -5},
    "timeout a string": {"timeout": "1h"},
    "trial_timeout 0": {"trial_timeout": 0},
    "trial_timeout a string": {"trial_timeout": "10 minutes"},
    "seed negative": {"seed": -1},
    "seed beyond 63 bits": {"seed": 2**64},
    "seed a string": {"seed": "zero"},
    "direction unknown": {"direction": "up"},
    "direction and directions": {"direction": "minimize", "directions": ["minimize"]},
    "directions empty": {"directions": []},
    "directions a string": {"directions": "minimize"},
    "metrics twice the same": {"objective": "cli_objectives:two", "directions": ["minimize", "minimize"],
                               "metrics": ["error", "error"]},
    "metrics too few": {"objective": "cli_objectives:two", "directions": ["minimize", "minimize"], "metrics": ["error"]},
    "n_workers 0": {"n_workers": 0},
    "n_workers a string": {"n_workers": "two"},
    "executor unknown": {"executor": "ray-cluster"},
    "executor a list": {"executor": ["ray"]},
    "executor mapping without type": {"executor": {"gpus": 1}},
    "executor option unknown": {"executor": {"type": "ray", "gpu": 1}},
    "executor option of another executor": {"executor": {"type": "process", "address": "auto"}},
    "ray cpus negative": {"executor": {"type": "ray", "cpus": -1}},
    "ray gpus a string": {"executor": {"type": "ray", "gpus": "half"}},
    "ray address a number": {"executor": {"type": "ray", "address": 6379}},
    "ray resources a list": {"executor": {"type": "ray", "resources": ["TPU"]}},
    "ray runtime_env a string": {"executor": {"type": "ray", "runtime_env": "conda"}},
    "requeue_lost a string": {"requeue_lost": "often"},
}


@pytest.mark.parametrize("change", BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_a_bad_config_is_one_line_and_runs_nothing(workdir: Path, change: dict[str, Any]) -> None:
    config = {**GOOD, **change}
    Path("bad.yaml").write_text(yaml.safe_dump({k: v for k, v in config.items() if v is not None}))
    assert_cli_error(*run_cli("run", "bad.yaml", "--storage", "s.db", "--quiet"))
    assert not Path("s.db").exists() or study_names("s.db") == []  # the fixed config can run under the same name


BAD_FILES: dict[str, str | bytes] = {
    "not YAML": "space: {lr: [1, 2\n",
    "a YAML list": "- a\n- b\n",
    "a YAML string": "hello\n",
    "empty": "",
    "tabs": "space:\n\tlr: [1]\n",
    "binary": b"\xff\xfe\x00\x01",
    "an alias bomb": "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(7)),
    "a self-referring alias": "space: &s {x: *s}\nobjective: cli_objectives:bowl\n",
    "nested too deep": "space: " + "[" * 500 + "]" * 500 + "\n",
    "larger than a megabyte": "# " + "x" * 1_100_000 + "\n",
    "an unknown tag": "space: !!python/object:os.system {}\n",
    "a python name tag": "objective: !!python/name:os.system\n",
}


@pytest.mark.parametrize("content", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_config_file_is_one_line(workdir: Path, content: str | bytes) -> None:
    path = Path("bad.yaml")
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    assert_cli_error(*run_cli("run", "bad.yaml", "--storage", "s.db", "--quiet"))


BAD_COMMAND_LINES: dict[str, list[str]] = {
    "config missing": ["run", "missing.yaml"],
    "config a folder": ["run", "."],
    "n-trials negative": ["run", "study.yaml", "--n-trials", "-1"],
    "n-trials zero": ["run", "study.yaml", "--n-trials", "0"],
    "n-trials a word": ["run", "study.yaml", "--n-trials", "many"],
    "timeout negative": ["run", "study.yaml", "--timeout", "-3"],
    "trial timeout negative": ["run", "study.yaml", "--trial-timeout", "-3"],
    "seed negative": ["run", "study.yaml", "--seed", "-1"],
    "name empty": ["run", "study.yaml", "--name", ""],
    "name with a newline": ["run", "study.yaml", "--name", "a\nb"],
    "storage in a missing folder": ["run", "study.yaml", "--storage", "missing/s.db"],
    "storage with an unknown scheme": ["run", "study.yaml", "--storage", "mongodb://localhost/x"],
    "storage a folder": ["run", "study.yaml", "--storage", "."],
    "unknown command": ["optimise", "study.yaml"],
    "unknown flag": ["run", "study.yaml", "--trials", "3"],
    "resume unknown study": ["resume", "nope", "--storage", "s.db"],
    "resume missing storage": ["resume", "nope", "--storage", "missing.db"],
    "resume with both trust flags": ["resume", "s", "--config", "study.yaml", "--trust-stored-objective"],
    "resume n-trials negative": ["resume", "s", "--n-trials", "-4"],
    "show limit negative": ["show", "s", "--storage", "s.db", "--limit", "-1"],
    "export unknown format": ["export", "s", "--format", "xml"],
    "export into a missing folder": ["export", "s", "--storage", "s.db", "-o", "missing/out.csv"],
    "export onto a folder": ["export", "s", "--storage", "s.db", "-o", "."],
    "bench without data": ["bench", "nas"],
    "bench unknown space": ["bench", "nas", "--data", "x.csv", "--space", "nb101"],
    "bench budget 0": ["bench", "nas", "--data", "x.csv", "--budget", "0"],
    "bench seeds 0": ["bench", "nas", "--data", "x.csv", "--seeds", "0"],
    "bench workers 0": ["bench", "nas", "--data", "x.csv", "--workers", "0"],
    "bench first seed negative": ["bench", "nas", "--data", "x.csv", "--first-seed", "-1"],
    "bench json into a missing folder": ["bench", "nas", "--data", "x.csv", "--json", "missing/r.json"],
    "bench plot into a missing folder": ["bench", "nas", "--data", "x.csv", "--plot", "missing/r.png"],
    "bench plot of an unknown type": ["bench", "nas", "--data", "x.csv", "--plot", "r.txt"],
    "bench missing data": ["bench", "nas", "--data", "missing.csv", "--budget", "2", "--seeds", "1"],
    "bench empty strategies": ["bench", "nas", "--data", "x.csv", "--strategies", ","],
    "bench strategy option without value": ["bench", "nas", "--data", "x.csv", "--strategies", "evolution:size"],
}


@pytest.mark.parametrize("argv", BAD_COMMAND_LINES.values(), ids=BAD_COMMAND_LINES.keys())
def test_a_bad_command_line_is_one_line(workdir: Path, argv: list[str]) -> None:
    run_cli("run", "study.yaml", "--storage", "s.db", "--name", "s", "--n-trials", "2", "--quiet")
    assert_cli_error(*run_cli(*argv))
