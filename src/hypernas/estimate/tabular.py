"""Tabular benchmarks: score an architecture by looking it up instead of training it.

:class:`NB201Benchmark` reads a NAS-Bench-201 / NATS-Bench table (CSV, optionally gzipped) with an
``arch`` column of cell strings and, per dataset ``D``, the columns ``D_valid_12`` (12-epoch
validation accuracy: the search signal) and ``D_test_200`` (200-epoch test accuracy: the reported
quality of the returned architecture), following the NATS-Bench protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from hypernas.errors import ObjectiveError


@lru_cache(maxsize=4)
def _read_table(path: str, mtime: float) -> Any:
    import pandas as pd  # only when a table is read: naming the objective stays cheap

    try:
        return pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ObjectiveError(f"nb201: cannot read the table {path!r}: {exc}") from None


class NB201Benchmark:
    """A NAS-Bench-201 lookup objective: returns ``D_valid_12`` and records ``D_test_200`` as a user attr.

    ``data`` is the table's path; ``dataset`` the prefix ``D`` of its columns; ``param`` the name of
    the parameter holding the cell string (by default the only parameter of the trial, else ``cell``).
    """

    def __init__(self, data: str | Path, dataset: str = "cifar10", param: str | None = None,
                 signal: str = "valid_12", test: str = "test_200") -> None:
        path = Path(data).expanduser()
        if not path.is_file():
            raise ObjectiveError(f"nb201: benchmark table {str(path)!r} does not exist; give the path of a CSV "
                                 "such as ../shared/benchmarks/nb201.csv.gz")
        table = _read_table(str(path.resolve()), path.stat().st_mtime)
        self.path = path
        self.dataset = str(dataset)
        self.param = param
        self.signal_column = f"{self.dataset}_{signal}"
        self.test_column = f"{self.dataset}_{test}"
        if "arch" not in table.columns:
            raise ObjectiveError(f"nb201: table {str(path)!r} has no 'arch' column; columns: {', '.join(table.columns)}")
        missing = [c for c in (self.signal_column, self.test_column) if c not in table.columns]
        if missing:
            known = sorted({c.rsplit("_", 2)[0] for c in table.columns if c.endswith(f"_{signal}")})
            raise ObjectiveError(f"nb201: dataset {self.dataset!r} needs column {missing[0]!r}, which {str(path)!r} lacks; "
                                 f"datasets in this table: {', '.join(known) or 'none'}")
        self._rows: dict[str, tuple[float, float]] = dict(zip(
            table["arch"], zip(table[self.signal_column].astype(float), table[self.test_column].astype(float))))

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def archs(self) -> list[str]:
        """Every architecture of the table."""
        return list(self._rows)

    def lookup(self, arch: str) -> tuple[float, float]:
        """``(signal, test)`` of a cell string."""
        try:
            return self._rows[arch]
        except (KeyError, TypeError):
            raise ObjectiveError(f"nb201: architecture {arch!r} is not in {str(self.path)!r} "
                                 f"({len(self._rows)} cells of the form |op~0|+|op~0|op~1|+|op~0|op~1|op~2|)") from None

    def best_test(self) -> float:
        """The best ``D_test_200`` in the table (the optimum a search can reach)."""
        return max(t for _, t in self._rows.values())

    def arch_of(self, params: Mapping[str, Any]) -> str:
        """The cell string among a trial's parameters."""
        if self.param is not None:
            if self.param not in params:
                raise ObjectiveError(f"nb201: the trial has no parameter {self.param!r}; it has: {', '.join(params)}")
            return params[self.param]
        if len(params) == 1:
            return next(iter(params.values()))
        if "cell" in params:
            return params["cell"]
        raise ObjectiveError(f"nb201: cannot tell which parameter holds the cell among {', '.join(params)}; set param=")

    def __call__(self, trial: Any) -> float:
        signal, test = self.lookup(self.arch_of(trial.params))
        trial.set_user_attr(self.test_column, test)
        return signal
