"""The TensorBoard callback, read back from its event files with TensorBoard's own EventAccumulator."""

from __future__ import annotations

import pytest

from tests.integrations.conftest import need

need("tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData  # noqa: E402

import hypernas as hn  # noqa: E402
from hypernas.integrations.tensorboard import TensorBoardCallback  # noqa: E402

SPACE = {"lr": hn.Float(1e-4, 1e-1, log=True), "opt": hn.Categorical(["sgd", "adam"]), "arch": hn.ChainSpace(max_layers=3)}


def objective(trial: hn.Trial) -> float:
    for epoch in (1, 2, 3):
        trial.report(epoch, 1.0 / epoch)
        if trial.number == 1 and epoch == 2:
            raise hn.TrialPruned()
    trial.set_user_attr("accuracy", 0.75)
    return trial.params["lr"]


def read(folder) -> EventAccumulator:
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
    events.Reload()
    return events


def session_hparams(events: EventAccumulator) -> dict[str, object]:
    content = events.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    values = HParamsPluginData.FromString(content).session_start_info.hparams
    return {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind")) for k, v in values.items()}


def test_each_trial_is_a_run_with_its_curve_values_and_params(tmp_path):
    study = hn.create_study("tb", seed=0)
    study.optimize(objective, SPACE, n_trials=2, callbacks=[TensorBoardCallback(tmp_path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trial-00000", "trial-00001"]
    record = study.trials[0]

    complete = read(tmp_path / "trial-00000")
    assert [(s.step, s.value) for s in complete.Scalars("intermediate")] == [(1, 1.0), (2, 0.5), (3, pytest.approx(1 / 3))]
    assert complete.Scalars("value")[0].value == pytest.approx(record.value)
    assert complete.Scalars("user_attrs/accuracy")[0].value == 0.75
    assert complete.Scalars("duration")[0].value == pytest.approx(record.duration, abs=1e-3)
    shown = session_hparams(complete)
    assert shown["lr"] == pytest.approx(record.params["lr"]) and shown["opt"] == record.params["opt"]
    assert shown["arch"] == SPACE["arch"].describe(record.params["arch"]) and shown["state"] == "COMPLETE"
    text = complete.Tensors("architecture/arch/text_summary")[0].tensor_proto.string_val[0].decode()
    assert text.startswith(shown["arch"]) and '"type": "conv"' in text

    pruned = read(tmp_path / "trial-00001")
    assert [s.step for s in pruned.Scalars("intermediate")] == [1, 2]
    assert session_hparams(pruned)["state"] == "PRUNED"
    assert pruned.Scalars("value")[0].value == 0.5  # a pruned trial keeps its last intermediate value


def test_a_failed_trial_keeps_its_error(tmp_path):
    def failing(trial: hn.Trial) -> float:
        raise RuntimeError("diverged at step 7")

    hn.create_study("tb-failed", seed=0).optimize(failing, SPACE, n_trials=1, callbacks=[TensorBoardCallback(tmp_path)])
    events = read(tmp_path / "trial-00000")
    assert "diverged at step 7" in events.Tensors("error/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "value" not in events.Tags()["scalars"]
