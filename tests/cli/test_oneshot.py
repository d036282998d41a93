"""``hypernas run`` with ``oneshot:``: a one-shot search runs as a study of one trial whose record holds the
architecture weights of every epoch, the derived genotype and the final value; ``hypernas report`` draws them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hypernas import TrialState, load_study
from hypernas.record import ARCH_WEIGHTS_ATTR
from hypernas.space import NB201Cell
from tests.cli.cli_cases import run_cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "oneshot_digits.yaml"


def _tiny(tmp_path: Path, **changes: object) -> Path:
    config = yaml.safe_load(EXAMPLE.read_text())
    config["oneshot"].update({"order": 1, "batch_size": 16, "train_size": 64, "val_size": 64, "test_size": 64,
                              "final_epochs": 1, "hessian_iterations": 2}, **changes)
    path = tmp_path / "oneshot.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_the_example_runs_a_one_shot_study_and_the_report_draws_its_weights(workdir: Path) -> None:
    config = _tiny(workdir)
    code, out, err = run_cli("run", str(config), "--storage", "s.db")
    assert code == 0, err
    assert "search epoch 1/2" in err and "search epoch 2/2" in err  # progress every epoch
    study = load_study("oneshot-digits", "s.db")
    (trial,) = study.trials
    assert trial.state is TrialState.COMPLETE
    weights = trial.system_attrs[ARCH_WEIGHTS_ATTR]
    assert weights["ops"] == list(NB201Cell().ops) and len(weights["edges"]) == 6
    assert len(weights["epochs"]) == 2 and len(weights["epochs"][0]["cell"]) == 6
    assert NB201Cell().validate(trial.user_attrs["genotype"]) == trial.user_attrs["genotype"]
    assert all("hessian_eigenvalue" in c for c in trial.user_attrs["collapse"])
    assert sorted(trial.intermediate) == [1, 2]
    assert trial.value == trial.user_attrs["val_accuracy"] and 0 <= trial.value <= 1
    assert "test_accuracy" in trial.user_attrs and "Best trial #0" in out

    code, _, err = run_cli("report", "oneshot-digits", "--storage", "s.db", "-o", "report.html")
    assert (code, err) == (0, "")
    assert 'id="plot-arch_weights"' in Path("report.html").read_text()


@pytest.mark.parametrize(("changes", "message"), [
    ({"epoch": 3}, "oneshot 'darts': unknown option 'epoch'; allowed: order, epochs"),
    ({"order": 3}, "order must be one of 1, 2, got 3"),
    ({"space": "mobilenet"}, "space must be one of"),
])
def test_bad_oneshot_configs_are_one_line_errors(workdir: Path, changes: dict, message: str) -> None:
    code, _, err = run_cli("run", str(_tiny(workdir, **changes)), "--storage", "s.db")
    assert code == 2 and message in err and err.count("\n") == 1, err


def test_objective_and_oneshot_together_are_refused(workdir: Path) -> None:
    Path("both.yaml").write_text("space: {lr: [1, 2]}\nobjective: cli_objectives:bowl\noneshot: {type: darts}\n")
    code, _, err = run_cli("run", "both.yaml", "--storage", "s.db")
    assert code == 2 and "give either 'objective' or 'oneshot', not both" in err
