"""A trained single-path supernet as an objective: a trial's genotype scored as a subnet with inherited weights.

As in SPOS, the batch norms of the subnet get their statistics anew before it is scored: running statistics
reset, then re-estimated (a plain average, not a moving one) over a few training batches run through the subnet.
The supernet comes out as it went in: parameters, running statistics, mode.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

import torch
from torch import nn

from hypernas.errors import ConfigError, ObjectiveError, SpaceError
from hypernas.estimate.local_lock import LocalLock
from hypernas.oneshot.data import Data, batches, check_data
from hypernas.oneshot.single_path import SinglePathSupernet
from hypernas.space import Space
from hypernas.validate import check_int, check_seed

OWNER = "supernet objective"
_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def _batch_norms(module: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in module.modules() if isinstance(m, _BATCH_NORMS) and m.track_running_stats]


def recalibrate_bn(module: nn.Module, forward: Callable[[torch.Tensor], Any], inputs: Iterable[torch.Tensor]) -> int:
    """Reset the running statistics of ``module``'s batch norms and re-estimate them as the plain average over the
    batches of ``inputs`` run through ``forward``; everything else runs in eval mode. Returns the batches used.

    Batch norms that ``forward`` does not reach keep the reset statistics (mean 0, variance 1).
    """
    norms = _batch_norms(module)
    momenta = [m.momentum for m in norms]
    training = module.training
    module.eval()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average
        m.train()
    n = 0
    try:
        with torch.no_grad():
            for x in inputs:
                forward(x)
                n += 1
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        module.train(training)
    return n


@contextmanager
def kept_batch_norm_statistics(module: nn.Module) -> Iterator[None]:
    """Inside the block ``module``'s batch-norm statistics may change; after it they are as before."""
    saved = [(m, {name: b.clone() for name, b in m.named_buffers(recurse=False)}) for m in _batch_norms(module)]
    try:
        yield
    finally:
        with torch.no_grad():
            for m, buffers in saved:
                for name, b in buffers.items():
                    getattr(m, name).copy_(b)


def genotype_param(owner: str, param: str | None, names: list[str], what: str) -> str:
    """The parameter among ``names`` (those of the ``what``: a study's space, a trial) that holds the genotype:
    ``param``, or the only one when ``param`` is None."""
    if param is None and len(names) != 1:
        raise ObjectiveError(f"{owner}: the {what} has parameters {sorted(names)}; set param to the one holding "
                             "the genotype")
    name = param if param is not None else names[0]
    if name not in names:
        raise ObjectiveError(f"{owner}: param {name!r} is not a parameter of the {what}; it has {sorted(names)}")
    return name


class SupernetObjective(LocalLock):
    """An objective (``objective(trial) -> float``): the validation accuracy of the trial's genotype as a subnet of
    a trained :class:`~hypernas.oneshot.single_path.SinglePathSupernet`, with inherited weights and batch-norm
    statistics re-estimated on ``calibration_batches`` training batches of ``batch_size`` (drawn by ``seed``: the
    same batches for every trial).

    ``param`` names the trial parameter that holds the genotype (default: the trial's only parameter). Maximise
    it: ``create_study(direction="maximize")`` (``hypernas run`` reads :attr:`directions`). Trials run one at a
    time on the shared supernet, even under a thread executor.
    """

    directions = ("maximize",)

    def __init__(self, supernet: SinglePathSupernet, train: Data, val: Data, *, param: str | None = None,
                 calibration_batches: int = 20, batch_size: int = 64, seed: int = 0) -> None:
        if not isinstance(supernet, SinglePathSupernet):
            raise ConfigError(f"{OWNER}: needs a SinglePathSupernet (nb201_single_path, mobilenet_single_path, "
                              f"shufflenet_single_path), got {type(supernet).__name__}")
        check_data(OWNER, "train", train)
        check_data(OWNER, "val", val)
        if param is not None and not isinstance(param, str):
            raise ConfigError(f"{OWNER}: param must be the name of the trial parameter holding the genotype, got "
                              f"{param!r}")
        self.supernet = supernet
        self.train = train
        self.val = val
        self.param = param
        self.calibration_batches = check_int(OWNER, "calibration_batches", calibration_batches, 1)
        self.batch_size = check_int(OWNER, "batch_size", batch_size, 1)
        self.seed = check_seed(OWNER, seed, optional=False)
        self._lock = threading.Lock()

    def check_space(self, space: Space) -> None:
        """Refuse, before any trial runs, a study space without the genotype's parameter, or whose parameter is of
        another kind than the supernet's space or has a default genotype outside the supernet."""
        param = space[genotype_param(OWNER, self.param, space.names, "study's space")]
        if type(param) is not type(self.supernet.space):
            raise ObjectiveError(f"{OWNER}: parameter {param.name!r} is a {type(param).__name__}; the supernet's "
                                 f"subnets are {type(self.supernet.space).__name__} genotypes")
        try:
            self.supernet.path(param.default)
        except SpaceError as exc:
            raise ObjectiveError(f"{OWNER}: parameter {param.name!r}: {exc}") from None

    def __call__(self, trial: Any) -> float:
        params = dict(trial.params)
        return self.evaluate(params[genotype_param(OWNER, self.param, list(params), "trial")])

    def evaluate(self, genotype: Any) -> float:
        """The validation accuracy of the subnet ``genotype`` (a genotype outside the supernet's space is refused)."""
        net = self.supernet
        net.path(genotype)  # refuse a foreign genotype before touching anything
        device = next(net.parameters()).device
        with self._lock, kept_batch_norm_statistics(net), net.choose(genotype):
            calibration = batches(self.train, self.batch_size, torch.Generator().manual_seed(self.seed), device)
            if not recalibrate_bn(net, net.network, (x for x, _ in islice(calibration, self.calibration_batches))):
                raise ConfigError(f"{OWNER}: train gave no batch to re-estimate the batch-norm statistics on")
            training = net.training
            net.eval()
            correct = total = 0
            try:
                with torch.no_grad():
                    for x, y in batches(self.val, self.batch_size, torch.Generator().manual_seed(self.seed), device):
                        correct += int((net.network(x).argmax(dim=-1) == y).sum())
                        total += len(y)
            finally:
                net.train(training)
        if total == 0:
            raise ConfigError(f"{OWNER}: val gave no batch to score the subnet on")
        return correct / total
