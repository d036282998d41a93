"""``SPOSObjective``: SPOS as a study — train a single-path supernet once, then every trial scores one subnet.

Usable from a run config as ``oneshot: {type: spos, epochs: 50, dataset: digits, supernet: {channels: 16}}`` with
the study's ``space`` holding the architecture parameter whose genotypes are the subnets (an NB201 cell, a
MobileNet or a ShuffleNet genotype) and any strategy searching it (evolution, as published, or another). The
supernet is built from that parameter and trained by :class:`~hypernas.oneshot.spos.SPOSSearch` on the dataset's
training split when the first trial runs (once per process; with ``checkpoint`` a trained supernet is read back
instead, and an interrupted training continues); each trial is then scored by a
:class:`~hypernas.oneshot.subnet.SupernetObjective` on the validation split (inherited weights, batch-norm
statistics re-estimated on ``calibration_batches`` training batches). Trials run one at a time on the shared
supernet, so one worker is what this needs; worker processes would each train (or read) their own supernet.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

from hypernas.errors import ConfigError, ObjectiveError
from hypernas.estimate.local_lock import LocalLock
from hypernas.estimate.train.datasets import Dataset, DataSource
from hypernas.estimate.train.objective import TrainingObjective
from hypernas.estimate.train.splits import Splits
from hypernas.estimate.train.trainer import resolve_device
from hypernas.oneshot.data import as_tensors
from hypernas.oneshot.registry import split_options
from hypernas.oneshot.single_path import (
    SinglePathSupernet,
    mobilenet_single_path,
    nb201_single_path,
    shufflenet_single_path,
)
from hypernas.oneshot.spos import SPOSSearch
from hypernas.oneshot.subnet import SupernetObjective, genotype_param
from hypernas.registry import signature_options
from hypernas.space import MobileNetSpace, NB201Cell, ShuffleNetSpace, Space
from hypernas.space.params import Param
from hypernas.validate import check_int

OWNER = "objective 'spos'"
BUILDERS: dict[type, tuple[str, Callable[..., SinglePathSupernet]]] = {
    NB201Cell: ("nb201", nb201_single_path),
    ShuffleNetSpace: ("shufflenet", shufflenet_single_path),
    MobileNetSpace: ("mobilenet", mobilenet_single_path),
}
"""The architecture parameters a single-path supernet is built for, with the builder's name and function."""


class SPOSObjective(LocalLock):
    """Train a single-path supernet with ``search`` (an :class:`SPOSSearch` or its options) on ``dataset``'s training
    split, then score each trial's genotype (trial parameter ``param``, default: the only one) as its subnet.

    ``supernet``: options of the supernet's builder (``nb201_single_path``: ``channels``, ``cells``;
    ``shufflenet_single_path``: ``widths``, ``stem``, ``head``, ...; ``mobilenet_single_path``: ``width``, ...);
    the number of classes and input channels come from the dataset. ``checkpoint``: a file that keeps the
    supernet's training (see :meth:`SPOSSearch.train`). The dataset options are the training objective's.
    """

    directions = ("maximize",)

    def __init__(self, search: SPOSSearch | Mapping[str, Any] | None = None, *,
                 dataset: str | Dataset | DataSource | Splits = "digits", supernet: Mapping[str, Any] | None = None,
                 param: str | None = None, calibration_batches: int = 20, checkpoint: str | os.PathLike | None = None,
                 data_root: str | os.PathLike | None = None, download: bool = True,
                 dataset_options: Mapping[str, Any] | None = None, val_fraction: float = 0.15,
                 test_fraction: float = 0.15, split_seed: int = 0, train_size: int | float | None = None,
                 val_size: int | float | None = None, test_size: int | float | None = None, device: str = "auto",
                 progress: bool = False) -> None:
        try:
            self.search = search if isinstance(search, SPOSSearch) else SPOSSearch(**dict(search or {}))
        except TypeError as exc:
            raise ObjectiveError(f"{OWNER}: {exc}") from None
        if not isinstance(supernet, (Mapping, type(None))):
            raise ObjectiveError(f"{OWNER}: supernet must be a mapping of the supernet builder's options, got "
                                 f"{supernet!r}")
        if param is not None and not isinstance(param, str):
            raise ObjectiveError(f"{OWNER}: param must name the trial parameter holding the genotype, got {param!r}")
        self.supernet_options = dict(supernet or {})
        self.param = param
        self.calibration_batches = check_int(OWNER, "calibration_batches", calibration_batches, 1,
                                             error=ObjectiveError)
        self.checkpoint = checkpoint
        self.device = device
        self.progress = progress
        self.training = TrainingObjective(
            dataset, "mlp", data_root=data_root, download=download, dataset_options=dataset_options,
            val_fraction=val_fraction, test_fraction=test_fraction, split_seed=split_seed, train_size=train_size,
            val_size=val_size, test_size=test_size, measure_latency=False)
        self._arch: Param | None = None
        self._scorer: SupernetObjective | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, spec: Mapping[str, Any], **overrides: Any) -> SPOSObjective:
        """From ``{type: spos, <SPOSSearch's options>, <this objective's options>}`` (a run config's ``oneshot:``)."""
        options = {k: v for k, v in spec.items() if k != "type"}
        own = [o for o in signature_options(cls.__init__) if o != "search"]
        searched, rest = split_options("spos", options, signature_options(SPOSSearch.__init__), own)
        return cls(SPOSSearch(**searched), **rest, **overrides)

    def check_space(self, space: Space) -> None:
        """Keep the study's architecture parameter, refusing one no single-path supernet is built for, and check
        the supernet's options by building it (untrained)."""
        name = genotype_param(OWNER, self.param, space.names, "study's space")
        arch = space[name]
        if type(arch) not in BUILDERS:
            kinds = ", ".join(kind for kind, _ in BUILDERS.values())
            raise ObjectiveError(f"{OWNER}: parameter {name!r} is a {type(arch).__name__}; a single-path supernet is "
                                 f"built for an architecture parameter of type {kinds}")
        self._arch, self.param = arch, name
        self._build(num_classes=2, in_channels=1)

    def _build(self, num_classes: int, in_channels: int) -> SinglePathSupernet:
        if self._arch is None:
            raise ObjectiveError(f"{OWNER}: the study's space is not known yet; run it through a study "
                                 "(optimize or hypernas run), which shows it the space first")
        kind, build = BUILDERS[type(self._arch)]
        allowed = [o for o in signature_options(build) if o not in ("space", "ops", "nodes", "num_classes",
                                                                    "in_channels", "seed")]
        unknown = sorted(k for k in self.supernet_options if k not in allowed)
        if unknown:
            raise ObjectiveError(f"{OWNER}: supernet option {unknown[0]!r} is not an option of the {kind} single-path "
                                 f"supernet; allowed: {', '.join(allowed)}")
        arch = self._arch
        shape = {"ops": arch.ops, "nodes": arch.nodes} if isinstance(arch, NB201Cell) else {"space": arch}
        try:
            return build(**shape, num_classes=num_classes, in_channels=in_channels, seed=self.search.seed,
                         **self.supernet_options)
        except (ConfigError, TypeError, ValueError) as exc:
            raise ObjectiveError(f"{OWNER}: the {kind} supernet cannot be built: {exc}") from None

    def prepare(self) -> SupernetObjective:
        """The scorer of subnets, training the supernet first if this process has not (once, whatever the threads)."""
        with self._lock:
            if self._scorer is None:
                splits = self.training.splits()
                net = self._build(splits.num_classes, int(splits.input_shape[0]))
                net.to(resolve_device(self.device))
                train, val = as_tensors(splits.train), as_tensors(splits.val)
                self.search.train(net, train, callback=self._report, checkpoint=self.checkpoint)
                self._scorer = SupernetObjective(net, train, val, param=self.param,
                                                 calibration_batches=self.calibration_batches,
                                                 batch_size=self.search.batch_size, seed=self.search.seed)
            return self._scorer

    def _report(self, record: dict[str, Any]) -> None:
        if self.progress:
            print(f"{OWNER}: supernet epoch {record['epoch']}/{self.search.epochs}: train loss "
                  f"{record['train_loss']:.4f}", file=sys.stderr)

    def __call__(self, trial: Any) -> float:
        return self.prepare()(trial)
