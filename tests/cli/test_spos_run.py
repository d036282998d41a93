"""``hypernas run`` with ``oneshot: {type: spos}``: the supernet is trained once, then a study scores its subnets;
its checkpoint is read back by a later run; a config that cannot work is one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hypernas import TrialState, load_study
from hypernas.space import NB201Cell
from tests.cli.cli_cases import run_cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spos_digits.yaml"


def _config(folder: Path, **changes: Any) -> Path:
    config = yaml.safe_load(EXAMPLE.read_text())
    config["oneshot"].update({"epochs": 1, "batch_size": 16, "train_size": 96, "val_size": 48, "test_size": 48,
                              "supernet": {"channels": 4, "cells": 1}, "calibration_batches": 2})
    config["n_trials"] = 4
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    path = folder / "spos.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_the_example_trains_the_supernet_then_scores_subnets(workdir: Path) -> None:
    code, _, err = run_cli("run", str(_config(workdir)), "--storage", "s.db")
    assert code == 0, err
    assert "supernet epoch 1/1" in err
    trials = load_study("spos-digits", "s.db").trials
    assert len(trials) == 4 and all(t.state is TrialState.COMPLETE for t in trials)
    assert all(0 <= t.values[0] <= 1 and NB201Cell().validate(t.params["cell"]) for t in trials)  # type: ignore[index]
    assert (workdir / "spos-supernet.pt").is_file()

    again = _config(workdir, name="again")
    code, _, err = run_cli("run", str(again), "--storage", "s.db")
    assert code == 0, err
    assert "supernet epoch 1/1" in err  # the saved epoch is handed over again, nothing is trained
    first = {t.params["cell"]: t.values for t in trials}
    second = {t.params["cell"]: t.values for t in load_study("again", "s.db").trials}
    assert all(second[c] == first[c] for c in second.keys() & first.keys())  # the same supernet scores alike


@pytest.mark.parametrize(("changes", "message"), [
    ({"space": None}, "oneshot type 'spos' searches subnets: give a 'space' with the architecture parameter"),
    ({"n_trials": None}, "oneshot type 'spos' searches subnets: give n_trials"),
    ({"space": {"x": {"type": "float", "low": 0, "high": 1}}},
     "objective 'spos': parameter 'x' is a Float; a single-path supernet is built for an architecture parameter"),
    ({"space": {"cell": {"type": "nb201"}, "lr": {"type": "float", "low": 0, "high": 1}}},
     "the study's space has parameters ['cell', 'lr']; set param to the one holding the genotype"),
])
def test_a_config_that_cannot_work_is_one_line(workdir: Path, changes: dict[str, Any], message: str) -> None:
    code, _, err = run_cli("run", str(_config(workdir, **changes)), "--storage", "s.db")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_bad_spos_options_are_one_line(workdir: Path) -> None:
    config = yaml.safe_load(_config(workdir).read_text())
    config["oneshot"]["supernet"] = {"channels": 4, "layers": 3}
    (workdir / "bad.yaml").write_text(yaml.safe_dump(config))
    code, _, err = run_cli("run", "bad.yaml", "--storage", "s.db")
    assert code == 2 and "supernet option 'layers' is not an option of the nb201 single-path supernet" in err, err
    config["oneshot"] = {"type": "spos", "epochs": 1, "colour": "red"}
    (workdir / "bad.yaml").write_text(yaml.safe_dump(config))
    code, _, err = run_cli("run", "bad.yaml", "--storage", "s.db")
    assert code == 2 and "oneshot 'spos': unknown option 'colour'" in err, err
