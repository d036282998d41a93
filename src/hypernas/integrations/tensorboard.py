"""TensorBoard: every finished trial of a study written as a TensorBoard run.

``study.optimize(objective, space, callbacks=[TensorBoardCallback("runs/my-study")])`` writes one run
folder per trial (``trial-00000``, ...) under ``log_dir``: the intermediate values as the scalar curve
``intermediate``, the final value(s) under the study's metric names, numeric user attributes and the
duration as scalars, and the parameters (an architecture as its space describes it) with the trial's
state in the HParams dashboard, where trials are compared side by side; architectures also as text.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypernas.integrations import param_texts, study_space
from hypernas.record import FrozenTrial, as_finite_float
from hypernas.study import Study

try:
    from torch.utils.tensorboard import SummaryWriter
    from torch.utils.tensorboard.summary import hparams
except ImportError as exc:  # torch's writer needs the tensorboard package
    from hypernas.integrations import missing_extra

    raise missing_extra("tensorboard", "tensorboard") from exc

INTERMEDIATE = "intermediate"
"""The scalar holding a trial's intermediate values, one per reported step."""
DURATION = "duration"
"""The scalar holding a trial's duration in seconds."""


class TensorBoardCallback:
    """A study callback that writes each finished trial as a TensorBoard run in ``log_dir/trial-NNNNN``.

    Open it with ``tensorboard --logdir <log_dir>``. Each trial has its own writer, so the callback is safe
    in the workers of a threaded run.
    """

    def __init__(self, log_dir: str | os.PathLike[str]) -> None:
        self.log_dir = Path(log_dir)

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        texts = param_texts(study_space(study), trial)
        values = dict(zip(study.value_names(), trial.values or []))
        shown: dict[str, bool | int | float | str] = {
            name: value if isinstance(value, (bool, int, float, str)) else texts[name] for name, value in trial.params.items()}
        shown.setdefault("state", trial.state.value)
        with SummaryWriter(log_dir=str(self.log_dir / f"trial-{trial.number:05d}")) as writer:
            for step, value in sorted(trial.intermediate.items()):
                writer.add_scalar(INTERMEDIATE, value, step)
            for summary in hparams(shown, values):
                writer.file_writer.add_summary(summary)
            for name, value in values.items():
                writer.add_scalar(name, value, 0)
            for name, attr in trial.user_attrs.items():
                number = as_finite_float(attr)
                if number is not None:
                    writer.add_scalar(f"user_attrs/{name}", number, 0)
            if trial.duration is not None:
                writer.add_scalar(DURATION, trial.duration, 0)
            for name, value in trial.params.items():
                if isinstance(value, (list, dict)):  # an architecture: readable text, then its exact value
                    writer.add_text(f"architecture/{name}", f"{texts[name]}\n\n    {json.dumps(value)}", 0)
            if trial.error:
                writer.add_text("error", trial.error, 0)
