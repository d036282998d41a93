"""A progress bar for long searches: trials done, best value so far, elapsed time and ETA."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypernas.record import FrozenTrial, TrialState
from hypernas.study.contracts import RunningStudy

if TYPE_CHECKING:
    from rich.progress import Progress


class ProgressBar:
    """Shown on stderr while a study runs; does nothing when ``enabled`` is false."""

    def __init__(self, study: RunningStudy, n_trials: int | None, timeout: float | None, enabled: bool = True) -> None:
        self.enabled = enabled
        self.study = study
        self.total = n_trials
        self._best: float | None = None
        self._n_front = 0
        self._progress: Progress | None = None
        self._task: Any = None
        if enabled and not study.is_multi_objective:
            done = study.get_trials((TrialState.COMPLETE,))
            if done:
                self._best = study.best_value

    def __enter__(self) -> ProgressBar:
        if self.enabled:
            from rich.console import Console  # only when a bar is shown
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("trials"),
                TextColumn("best {task.fields[best]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False)
            self._progress.start()
            self._task = self._progress.add_task(self.study.name, total=self.total, best=self._best_text())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _best_text(self) -> str:
        if self.study.is_multi_objective:
            return f"{self._n_front} on the Pareto front"
        return "-" if self._best is None else f"{self._best:.6g}"

    def update(self, study: RunningStudy, trial: FrozenTrial) -> None:
        """Callback after each finished trial; a trial lost with its worker gave its slot back and is not counted."""
        if self._progress is None or trial.system_attrs.get("lost"):
            return
        if trial.state is TrialState.COMPLETE and trial.values:
            if study.is_multi_objective:
                self._n_front = len(study.best_trials)
            elif self._best is None or study.directions[0].better(trial.values[0], self._best):
                self._best = trial.values[0]
        self._progress.update(self._task, advance=1, best=self._best_text())
