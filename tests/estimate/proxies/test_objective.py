import math
import pickle

import pytest

from hypernas.errors import ObjectiveError
from hypernas.estimate.proxies import ZeroCostObjective
from hypernas.estimate.registry import make_objective

from .helpers import CONV, NONE, OTHER

TINY = {"channels": 4, "cells": 1}


class _Trial:
    def __init__(self, params):
        self.params = params
        self.user_attrs = {}

    def set_user_attr(self, key, value):
        self.user_attrs[key] = value


def test_the_objective_scores_the_trials_cell_on_digits_through_make_objective():
    objective = make_objective({"type": "zero_cost", "proxy": "naswot", "model_options": TINY, "batch_size": 16})
    assert isinstance(objective, ZeroCostObjective)
    a, b = objective(_Trial({"cell": CONV})), objective(_Trial({"cell": OTHER}))
    assert math.isfinite(a) and a != b
    assert objective(_Trial({"cell": CONV})) == a
    assert objective.directions == ["maximize"]


def test_several_proxies_give_a_dict_and_their_user_attrs():
    objective = ZeroCostObjective(["synflow", "snip", "params"], model_options=TINY, batch_size=8, seed=3)
    trial = _Trial({"cell": CONV})
    scores = objective(trial)
    assert set(scores) == {"synflow", "snip", "params"} and all(math.isfinite(v) for v in scores.values())
    assert trial.user_attrs == {f"proxy_{k}": v for k, v in scores.items()}
    assert pickle.loads(pickle.dumps(objective))(_Trial({"cell": CONV})) == scores
    assert ZeroCostObjective(["synflow"], model_options=TINY, seed=4)(_Trial({"cell": CONV})) != scores["synflow"]


def test_data_free_proxies_run_on_an_input_shape_alone():
    objective = make_objective({"type": "zero_cost", "proxy": "synflow", "dataset": None, "input_shape": [3, 16, 16],
                                "model_options": TINY})
    assert objective(_Trial({"cell": CONV})) > 0.0


def test_a_degenerate_network_fails_its_trial():
    objective = ZeroCostObjective("naswot", model_options=TINY, batch_size=8)
    with pytest.raises(FloatingPointError, match="proxy 'naswot' is -inf"):
        objective(_Trial({"cell": NONE}))


@pytest.mark.parametrize(("spec", "message"), [
    ({"proxy": "synflw"}, r"^objective 'zero_cost': unknown proxy 'synflw'; allowed: fisher, flops, grad_norm, grasp, "
                          r"jacob_cov, naswot, params, snip, synflow$"),
    ({"proxy": []}, r"^objective 'zero_cost': proxy must name at least one of fisher, "),
    ({"model": "resnet9000"}, r"^objective 'zero_cost': unknown model 'resnet9000'; known models: "),
    ({"model_options": {"width": 3}}, r"^objective 'zero_cost': model 'nb201': unknown option 'width'; allowed: cell, "),
    ({"dataset": "imagenet"}, r"^objective 'zero_cost': unknown dataset 'imagenet'; known datasets: "),
    ({"dataset": None}, r"^objective 'zero_cost': without a dataset give input_shape, e.g. \[3, 32, 32\]$"),
    ({"dataset": None, "input_shape": [3, 8, 8], "proxy": "snip"},
     r"^objective 'zero_cost': proxy 'snip' needs data: give a dataset \(e.g. digits\); without one only synflow"),
    ({"input_shape": [3, 8, 8]}, r"^objective 'zero_cost': give a dataset or an input_shape, not both"),
    ({"batch_size": 1}, r"^objective 'zero_cost': batch_size must be an integer >= 2, got 1$"),
    ({"seed": -1}, r"^objective 'zero_cost': seed must be an integer in \[0, "),
    ({"proxies": "snip"}, r"^objective 'zero_cost': unknown option 'proxies'; allowed: proxy, model, "),
])
def test_bad_options_get_one_line_errors(spec, message):
    with pytest.raises(ObjectiveError, match=message) as info:
        make_objective({"type": "zero_cost", **spec})
    assert "\n" not in str(info.value)


def test_a_parameter_the_network_does_not_read_is_refused():
    from hypernas.space import Float, Space

    objective = ZeroCostObjective("params", model_options=TINY)
    with pytest.raises(ObjectiveError, match=r"^trial parameter 'lr' is not read by the zero_cost objective"):
        objective.check_space(Space({"lr": Float(0.1, 1.0)}))
    with pytest.raises(ObjectiveError, match=r"^trial parameter 'lr' is not an option of model 'nb201'"):
        objective(_Trial({"cell": CONV, "lr": 0.5}))
    assert ZeroCostObjective("params", model_options=TINY, aliases={"arch": "cell"})(_Trial({"arch": CONV})) > 0


def test_a_study_searches_nb201_cells_with_a_proxy():
    import hypernas as hn

    objective = make_objective({"type": "zero_cost", "proxy": "synflow", "dataset": None, "input_shape": [3, 8, 8],
                                "model_options": TINY})
    study = hn.create_study(direction="maximize", strategy="random", seed=0)
    study.optimize(objective, hn.Space({"cell": hn.NB201Cell()}), n_trials=4)
    finished = [t for t in study.trials if t.state is hn.TrialState.COMPLETE]
    assert len(finished) == 4 and study.best_trial.value > 0.0


def test_the_example_config_runs_from_the_command_line(tmp_path, monkeypatch, capsys):
    import pathlib

    import yaml

    from hypernas.cli import main

    config = yaml.safe_load((pathlib.Path(__file__).parents[3] / "examples" / "zero_cost_nb201.yaml").read_text())
    assert config["objective"]["type"] == "zero_cost"
    config.update(n_trials=3)
    config["objective"].update(model_options=TINY, batch_size=8)
    (tmp_path / "zc.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.chdir(tmp_path)
    assert main(["run", "zc.yaml", "--storage", "zc.db", "--quiet"]) == 0
    import hypernas

    study = hypernas.load_study("zero-cost-nb201", "zc.db")
    assert study.directions[0].name.lower() == "maximize" and len(study.trials) == 3
