"""ENAS (Pham et al. 2018): an LSTM controller trained by REINFORCE on the shared weights of a supernet.

Every epoch alternates (a) one pass over the training split that trains the shared weights, each batch
through a single path (an architecture drawn from the controller, given to the supernet as one-hot weights, so
only the chosen operation of every edge is computed): SGD with Nesterov momentum, cosine schedule, gradient
norm clipped at 5; and (b) ``controller_steps`` REINFORCE updates of the controller (see
:class:`~hypernas.oneshot.controller.PolicyGradient`), each on ``controller_samples`` architectures whose
reward is their accuracy on one validation batch. The final architecture, as published, is the best of
``derive_samples`` architectures drawn from the trained controller, each scored on one validation batch.

Defaults follow the paper (controller: 100 LSTM units, Adam 3.5e-4, temperature 5, tanh constant 2.5, entropy
weight 1e-4; the paper gives no baseline decay: 0.95 here, the published code's 0.99 is an option) and its code
for CIFAR-10 (shared weights: lr 0.05 to 0.0005, Nesterov momentum 0.9, weight decay 1e-4, 150 epochs; 30
controller steps of 10 architectures per epoch; the code's warm restarts are a plain cosine here). The accuracy is measured with batch statistics, as in
the published code: running statistics would mix every architecture the shared weights have run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from hypernas.errors import ConfigError
from hypernas.oneshot.controller import EdgeChoice, ENASController, PolicyGradient, Sample
from hypernas.oneshot.data import Batch, Data, batches, check_data
from hypernas.oneshot.model_supernet import ModelSupernet
from hypernas.oneshot.result import SearchResult
from hypernas.oneshot.resume import SearchState
from hypernas.oneshot.supernet import Supernet
from hypernas.oneshot.weights import WeightTraining
from hypernas.registry import Configurable
from hypernas.space.arch.nb201 import NB201Cell
from hypernas.validate import check_int, check_number

OWNER = "enas search"


class ENASSearch(WeightTraining, Configurable):
    """ENAS for ``epochs`` epochs on an NB201 or DARTS supernet (without edge normalisation).

    ``seed`` draws the controller's initial weights, every architecture it samples and the order of tensor
    data, so on CPU the same seed (and the same supernet) gives bitwise the same result.

    Each epoch's record in the result's history holds, per cell type, the probability that each edge carries
    each operation: the controller's sampling distribution averaged over ``probability_samples`` architectures
    drawn at the end of the epoch (for each drawn edge, the distribution its operation was drawn from, so an
    NB201 edge's row sums to 1 and a DARTS edge's row to the estimated probability that its node reads it);
    ``genotype``, the controller's greedy decoding; ``train_loss``; and from the controller's steps the mean
    validation accuracy (``val_acc``), mean reward (with the entropy bonus), the baseline and the mean entropy.
    """

    name = "enas"

    def __init__(self, epochs: int = 150, batch_size: int = 64, *, lr: float = 0.05, lr_min: float = 0.0005,
                 momentum: float = 0.9, weight_decay: float = 1e-4, grad_clip: float = 5.0,
                 controller_hidden: int = 100, controller_lr: float = 3.5e-4, controller_steps: int = 30,
                 controller_samples: int = 10, temperature: float = 5.0, tanh_constant: float = 2.5,
                 baseline_decay: float = 0.95, entropy_weight: float = 1e-4, derive_samples: int = 100,
                 probability_samples: int = 100, seed: int = 0) -> None:
        self._check_weight_training(OWNER, epochs, batch_size, lr, lr_min, momentum, weight_decay, grad_clip, seed)
        self.controller_hidden = check_int(OWNER, "controller_hidden", controller_hidden, 1)
        self.controller_lr = check_number(OWNER, "controller_lr", controller_lr, 0, low_open=True)
        self.controller_steps = check_int(OWNER, "controller_steps", controller_steps, 0)
        self.controller_samples = check_int(OWNER, "controller_samples", controller_samples, 1)
        self.temperature = check_number(OWNER, "temperature", temperature, 0, low_open=True)
        self.tanh_constant = check_number(OWNER, "tanh_constant", tanh_constant, 0, low_open=True)
        self.baseline_decay = check_number(OWNER, "baseline_decay", baseline_decay, 0, 1)
        self.entropy_weight = check_number(OWNER, "entropy_weight", entropy_weight, 0)
        self.derive_samples = check_int(OWNER, "derive_samples", derive_samples, 1)
        self.probability_samples = check_int(OWNER, "probability_samples", probability_samples, 1)

    def search(self, supernet: Supernet, train: Data, val: Data, *,
               callback: Callable[[dict[str, Any]], None] | None = None,
               checkpoint: str | os.PathLike | None = None) -> SearchResult:
        """Train ``supernet``'s weights in place on ``train`` and a controller on ``val``; ``callback`` receives
        each epoch's record as it is made.

        With ``checkpoint``, the search's state (supernet, controller, both optimisers, the schedule, the
        generator, the baseline and the records) is saved there after every epoch, and a search that finds one
        (written with the same settings and supernet) continues after its last epoch, first handing the saved
        records to ``callback`` again; on CPU it ends bitwise as an uninterrupted search would."""
        if not isinstance(supernet, Supernet):
            raise ConfigError(f"{OWNER}: needs a Supernet (nb201_supernet, darts_supernet), got {type(supernet).__name__}")
        if isinstance(supernet, ModelSupernet):
            raise ConfigError(f"{OWNER}: its controller writes NB201 or DARTS cells, so needs nb201_supernet or "
                              f"darts_supernet, got {type(supernet).__name__}; search a model's choices with "
                              "DARTSSearch or GDASSearch (model_supernet) or SPOSSearch (model_single_path)")
        if supernet.edge_normalization:
            raise ConfigError(f"{OWNER}: runs single paths, so needs a supernet without edge normalisation, got "
                              "edge_normalization=True")
        check_data(OWNER, "train", train)
        check_data(OWNER, "val", val)
        generator = torch.Generator().manual_seed(self.seed)
        controller = ENASController(supernet.space, self.controller_hidden, temperature=self.temperature,
                                    tanh_constant=self.tanh_constant)
        controller.reset(generator)
        policy = PolicyGradient(controller, self.controller_lr, self.baseline_decay, self.entropy_weight)
        weights = supernet.weight_parameters()
        w_opt, schedule = self.weight_optimizer(weights, nesterov=self.momentum > 0)
        state = SearchState(nn.ModuleDict({"supernet": supernet, "controller": controller}),
                            {"weights": w_opt, "controller": policy.optimizer}, schedule, generator)
        history, finished = state.resume(checkpoint, self.to_config(), callback)
        if history:
            policy.baseline = history[-1]["baseline"]
        device = weights[0].device
        supernet.train()
        for epoch in range(len(history) + 1, self.epochs + 1 if not finished else 0):
            losses = []
            for x, y in batches(train, self.batch_size, generator, device):
                with torch.no_grad():
                    path = one_hot_weights(supernet, controller.sample(generator).edges)
                loss = F.cross_entropy(supernet(x, path), y)
                self.weight_step(loss, weights, w_opt)
                losses.append(float(loss.detach()))
            if not losses:
                raise ConfigError(f"{OWNER}: epoch {epoch} got no batch from train; it must yield batches every epoch")
            schedule.step()
            stats = self._train_controller(policy, supernet, _endless(val, self.batch_size, generator, device),
                                           generator)
            with torch.no_grad():
                drawn = [controller.sample(generator) for _ in range(self.probability_samples)]
                genotype = controller.greedy().genotype
            probabilities = edge_probabilities(supernet, drawn, controller.ops)
            record = {"epoch": epoch, **probabilities, "genotype": genotype,
                      "collapse": _collapse(supernet, probabilities, genotype),
                      "train_loss": sum(losses) / len(losses), **stats}
            history.append(record)
            if checkpoint is not None:
                state.save(checkpoint, self.to_config(), history, epoch == self.epochs)
            if callback is not None:
                callback(record)
        val_batches = _endless(val, self.batch_size, generator, device)
        with torch.no_grad():
            candidates = [controller.sample(generator) for _ in range(self.derive_samples)]
            scores = [accuracy(supernet, c.edges, next(val_batches)) for c in candidates]
        best = candidates[max(range(len(candidates)), key=lambda k: scores[k])]  # the first of equals
        return SearchResult(best.genotype, history, list(supernet.op_names), supernet.edge_labels)


    def _train_controller(self, policy: PolicyGradient, supernet: Supernet, val_batches: Iterator[Batch],
                          generator: torch.Generator) -> dict[str, float | None]:
        """The controller's steps of one epoch; their mean validation accuracy, reward and entropy, and the baseline."""
        accuracies: list[float] = []

        def reward(sample: Sample) -> float:
            accuracies.append(accuracy(supernet, sample.edges, next(val_batches)))
            return accuracies[-1]

        steps = [policy.step(reward, generator, self.controller_samples) for _ in range(self.controller_steps)]
        return {"val_acc": _mean(accuracies), "reward": _mean([s["reward"] for s in steps]),
                "baseline": policy.baseline, "entropy": _mean([s["entropy"] for s in steps])}


def one_hot_weights(supernet: Supernet, edges: dict[str, list[EdgeChoice]]) -> dict[str, torch.Tensor]:
    """The supernet's mixing weights of a single path: 1 for the chosen operation of every chosen edge, else 0."""
    device = next(supernet.parameters()).device
    out = {}
    for key, layout in supernet.layouts.items():
        w = torch.zeros(len(layout), len(supernet.op_names), device=device)
        for e in edges[key]:
            w[layout.index((e.source, e.node)), supernet.op_names.index(e.op)] = 1.0
        out[key] = w
    return out


def edge_probabilities(supernet: Supernet, samples: list[Sample], ops: Sequence[str]) -> dict[str, list[list[float]]]:
    """Per cell type and edge, the probability of each of the supernet's operations, averaged over ``samples``:
    each sample adds to each of its edges the distribution (over ``ops``, the controller's) its operation was
    drawn from."""
    out = {key: torch.zeros(len(layout), len(supernet.op_names)) for key, layout in supernet.layouts.items()}
    columns = [supernet.op_names.index(op) for op in ops]
    for sample in samples:
        for key, chosen in sample.edges.items():
            for e in chosen:
                out[key][supernet.layouts[key].index((e.source, e.node)), columns] += e.probs
    return {key: (w / len(samples)).tolist() for key, w in out.items()}


def accuracy(supernet: Supernet, edges: dict[str, list[EdgeChoice]], batch: Batch) -> float:
    """The accuracy of a single path on ``batch`` (batch statistics, no gradient)."""
    x, y = batch
    with torch.no_grad():
        return float((supernet(x, one_hot_weights(supernet, edges)).argmax(dim=1) == y).float().mean())


def _endless(data: Data, batch_size: int, generator: torch.Generator, device: torch.device) -> Iterator[Batch]:
    """Batches of ``data`` epoch after epoch."""
    while True:
        empty = True
        for batch in batches(data, batch_size, generator, device):
            empty = False
            yield batch
        if empty:
            raise ConfigError(f"{OWNER}: val yields no batch; it must yield batches every epoch")


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _collapse(supernet: Supernet, probabilities: dict[str, list[list[float]]], genotype: Any) -> dict[str, Any]:
    """As DARTS records it: the mean probability of a skip per edge, and the skips in the (greedy) genotype."""
    if "skip_connect" not in supernet.op_names:
        return {"skip_weight": {}, "skips": {}}
    k = supernet.op_names.index("skip_connect")
    weight = {key: sum(row[k] for row in rows) / len(rows) for key, rows in probabilities.items()}
    if isinstance(supernet.space, NB201Cell):
        ops = {"cell": supernet.space.to_ops(genotype)}
    else:
        ops = {key: [op for op, _ in pairs] for key, pairs in genotype.items()}
    return {"skip_weight": weight, "skips": {key: o.count("skip_connect") for key, o in ops.items()}}
