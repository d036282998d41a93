"""Prune a built network: structured channel pruning or unstructured magnitude pruning, with fine-tuning.

``channel`` removes whole filters (and the matching input channels of the layers that read them, the
batch-norm entries, the residual and concatenated partners) through Torch-Pruning's dependency graph,
so the pruned network is a smaller dense network that runs faster. The channel ratio is the same in
every layer, ranked by the L1 or L2 norm of each filter, and is searched (on copies) as the smallest
that removes ``amount`` of the network's parameters or FLOPs. ``magnitude`` zeroes the weights of
smallest absolute value over all layers at once (``torch.nn.utils.prune.global_unstructured``) and
makes the zeros permanent; the layers keep their size, so its counts are *effective* ones (non-zero
weights, FLOPs of non-zero weights) and the dense latency does not drop. The network's output layer
is never pruned.

:func:`prune_model` prunes once; :func:`prune_and_finetune` prunes in ``steps`` steps, fine-tunes with
the :class:`~hypernas.estimate.train.trainer.Trainer` after each, and measures latency and accuracy
before and after.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import importlib.util
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import torch
from torch import nn
from torch.nn.utils import prune

from hypernas.errors import ConfigError
from hypernas.estimate.models.chain import ChainNet
from hypernas.estimate.models.measure import count_flops, count_params, measure_latency
from hypernas.estimate.train.config import TrainConfig, _plain
from hypernas.estimate.train.splits import Splits
from hypernas.estimate.train.trainer import FitResult, Trainer
from hypernas.validate import check_choice, check_int, check_number

METHODS = ("channel", "magnitude")
TARGETS = {"channel": ("params", "flops"), "magnitude": ("params", "sparsity")}
_LAYERS = (nn.Conv2d, nn.Linear)
_MAX_RATIO = 0.95  # the largest channel ratio tried: every layer keeps at least 5% of its channels
_BISECTIONS = 8
_INSTALL = 'pip install "hypernas[prune]"'


@dataclass(frozen=True)
class PruneConfig:
    """How a network is pruned; every field can be set from a trial parameter of the same name.

    ``method``: ``"channel"`` (structured) or ``"magnitude"`` (unstructured). ``amount``: the fraction
    to remove, in [0, 1), of ``target``: ``"params"`` or ``"flops"`` for channel pruning, ``"params"``
    (zeroed weights over all parameters) or ``"sparsity"`` (zeroed weights over the prunable layers'
    weights) for magnitude pruning. ``norm``: 1 or 2, the filter norm that ranks channels.
    ``steps``: prune to ``amount * k / steps`` at step k, fine-tuning after each (``prune_and_finetune``).
    ``finetune_epochs``: epochs of fine-tuning per step (0: none). ``finetune_lr``: None keeps the
    training config's ``lr``.
    """

    method: str = "channel"
    amount: float = 0.5
    target: str = "params"
    norm: int = 1
    steps: int = 1
    finetune_epochs: int = 1
    finetune_lr: float | None = None

    def __post_init__(self) -> None:
        owner = "pruning"
        check_choice(owner, "method", self.method, METHODS)
        object.__setattr__(self, "amount", check_number(owner, "amount", self.amount, 0.0, 1.0, high_open=True))
        targets = TARGETS[self.method]
        if self.target not in targets:
            raise ConfigError(f"{owner}: target must be one of {', '.join(map(repr, targets))} for {self.method} "
                              f"pruning, got {self.target!r}")
        check_choice(owner, "norm", self.norm, (1, 2))
        check_int(owner, "steps", self.steps, 1)
        check_int(owner, "finetune_epochs", self.finetune_epochs, 0)
        lr = check_number(owner, "finetune_lr", self.finetune_lr, 0.0, low_open=True, optional=True)
        object.__setattr__(self, "finetune_lr", lr)
        if self.method == "channel":
            _torch_pruning()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> PruneConfig:
        """A config from a mapping; unknown keys are an error naming the known ones."""
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = [k for k in options if k not in names]
        if unknown:
            raise ConfigError(f"unknown pruning option {unknown[0]!r}; options: {', '.join(names)}")
        return cls(**{k: _plain(v) for k, v in options.items()})


@dataclass(frozen=True)
class Costs:
    """What a network costs: parameters, FLOPs of one sample, and the fraction of zero prunable weights.

    For magnitude pruning ``params`` and ``flops`` are effective counts: zero weights and their
    multiply-adds are left out.
    """

    params: int
    flops: int
    sparsity: float


@dataclass(frozen=True)
class PruneReport:
    """Costs before and after one pruning (or all steps of one), and the fractions removed.

    ``channel_ratio``: the per-layer fraction of channels removed by the last channel step (None for
    magnitude pruning). ``structural``: True when layers got smaller (channel pruning); False when
    weights were only zeroed, so that ``params``/``flops`` are effective counts and dense latency
    does not drop.
    """

    method: str
    target: str
    amount: float
    before: Costs
    after: Costs
    channel_ratio: float | None = None

    @property
    def structural(self) -> bool:
        return self.method == "channel"

    @property
    def params_removed(self) -> float:
        """Fraction of the parameters removed (zeroed, for magnitude pruning)."""
        return 1.0 - self.after.params / self.before.params if self.before.params else 0.0

    @property
    def flops_removed(self) -> float:
        """Fraction of the FLOPs removed (those of zeroed weights, for magnitude pruning)."""
        return 1.0 - self.after.flops / self.before.flops if self.before.flops else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Flat, JSON-friendly values (e.g. for a trial's user attributes)."""
        return {"prune_method": self.method, "prune_target": self.target, "prune_amount": self.amount,
                "structural": self.structural, "channel_ratio": self.channel_ratio,
                "params_before": self.before.params, "params_after": self.after.params,
                "params_removed": self.params_removed, "flops_before": self.before.flops,
                "flops_after": self.after.flops, "flops_removed": self.flops_removed,
                "sparsity_before": self.before.sparsity, "sparsity_after": self.after.sparsity}


@dataclass
class PruneResult:
    """What :func:`prune_and_finetune` did: the overall report, each step's report and fine-tuning, the CPU
    latency (ms, median of one forward pass) and the accuracies before and after (test ones None
    without a test split). ``model`` is the pruned network."""

    model: nn.Module
    report: PruneReport
    latency_ms_before: float
    latency_ms_after: float
    val_accuracy_before: float
    val_accuracy_after: float
    test_accuracy_before: float | None = None
    test_accuracy_after: float | None = None
    steps: list[PruneReport] = field(default_factory=list)
    finetuning: list[FitResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report's values with latencies and accuracies, flat and JSON-friendly."""
        return {**self.report.to_dict(), "latency_ms_before": self.latency_ms_before,
                "latency_ms_after": self.latency_ms_after, "val_accuracy_before": self.val_accuracy_before,
                "val_accuracy_after": self.val_accuracy_after, "test_accuracy_before": self.test_accuracy_before,
                "test_accuracy_after": self.test_accuracy_after}


def _torch_pruning() -> Any:
    """The ``torch_pruning`` module, or a clear error naming the extra that installs it."""
    if importlib.util.find_spec("torch_pruning") is None:
        raise ConfigError(f"pruning: channel pruning needs the torch-pruning package; install it with {_INSTALL}")
    return importlib.import_module("torch_pruning")


# --- measuring ---------------------------------------------------------------------------------

def _example(model: nn.Module, input_shape: Sequence[int], example_input: torch.Tensor | None) -> torch.Tensor:
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    if example_input is not None:
        return example_input.to(device)
    return torch.zeros((1, *input_shape), device=device)


def _tensor(module: nn.Module, name: str = "weight") -> torch.Tensor:
    return cast(torch.Tensor, getattr(module, name))


def _layer_flops(model: nn.Module, example: torch.Tensor) -> tuple[list[nn.Module], dict[nn.Module, int]]:
    """The conv and dense layers in the order the forward pass calls them, and the FLOPs of each on one sample."""
    order: list[nn.Module] = []
    flops: dict[nn.Module, int] = {}

    def hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        order.append(module)
        per_output = _tensor(module)[0].numel()  # multiply-adds per output element
        flops[module] = flops.get(module, 0) + 2 * per_output * output[:1].numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, _LAYERS)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(example[:1])
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return order, flops


def _output_layer(model: nn.Module, example: torch.Tensor) -> nn.Module:
    order, _ = _layer_flops(model, example)
    if not order:
        raise ConfigError("pruning: the network has no convolution or dense layer to prune")
    return order[-1]


def _prunable(model: nn.Module, example: torch.Tensor) -> list[nn.Module]:
    """Every conv and dense layer but the output layer."""
    out = _output_layer(model, example)
    return [m for m in model.modules() if isinstance(m, _LAYERS) and m is not out]


def measure_costs(model: nn.Module, input_shape: Sequence[int], example_input: torch.Tensor | None = None) -> Costs:
    """Parameters and FLOPs of ``model``, leaving out zero weights of the prunable layers and their FLOPs."""
    example = _example(model, input_shape, example_input)
    _, flops = _layer_flops(model, example)
    zeros, total, zero_flops = 0, 0, 0.0
    for layer in _prunable(model, example):
        weight = _tensor(layer)
        n_zero = int(weight.eq(0).sum())
        zeros += n_zero
        total += weight.numel()
        zero_flops += flops.get(layer, 0) * n_zero / weight.numel()
    return Costs(params=count_params(model) - zeros, flops=count_flops(model, input_shape) - round(zero_flops),
                 sparsity=zeros / total if total else 0.0)


# --- pruning -------------------------------------------------------------------------------------

def _removed(costs: Costs, reference: Costs, target: str) -> float:
    now, ref = (costs.flops, reference.flops) if target == "flops" else (costs.params, reference.params)
    return 1.0 - now / ref if ref else 0.0


def _channel_step(model: nn.Module, example: torch.Tensor, ratio: float, norm: int) -> None:
    """Remove ``ratio`` of the channels of every prunable layer (and their dependants), in place."""
    tp = _torch_pruning()
    was_training = model.training
    model.eval()
    try:
        pruner = tp.pruner.MetaPruner(model, example, importance=tp.importance.MagnitudeImportance(p=norm),
                                      pruning_ratio=ratio, ignored_layers=[_output_layer(model, example)])
        pruner.step()
    finally:
        model.train(was_training)
    if isinstance(model, ChainNet):
        model.sync_genotype()


def _prune_channels(model: nn.Module, input_shape: Sequence[int], example: torch.Tensor, config: PruneConfig,
                    goal: float, reference: Costs) -> float:
    """Prune ``model`` with the smallest channel ratio (found on copies) that removes ``goal`` of the reference
    costs; returns the ratio."""

    def removed_at(ratio: float) -> float:
        trial = copy.deepcopy(model)
        _channel_step(trial, example, ratio, config.norm)
        return _removed(measure_costs(trial, input_shape, example), reference, config.target)

    if _removed(measure_costs(model, input_shape, example), reference, config.target) >= goal:
        return 0.0
    low, high = 0.0, min(1.0 - math.sqrt(1.0 - goal), _MAX_RATIO)  # a dense layer loses ~1-(1-r)^2 of its weights
    best = removed_at(high)
    while best < goal:
        if high >= _MAX_RATIO:
            raise ConfigError(f"pruning: channel pruning cannot remove {goal:.1%} of this network's {config.target}; "
                              f"at most {best:.1%} at a channel ratio of {_MAX_RATIO}")
        low, high = high, min(high + 0.1, _MAX_RATIO)
        best = removed_at(high)
    for _ in range(_BISECTIONS):
        mid = (low + high) / 2
        if removed_at(mid) >= goal:
            high = mid
        else:
            low = mid
    _channel_step(model, example, high, config.norm)
    return high


def _prune_magnitude(model: nn.Module, example: torch.Tensor, config: PruneConfig, goal: float,
                     reference: Costs) -> None:
    """Mask the smallest weights of all prunable layers at once until ``goal`` of the target is zero."""
    layers = _prunable(model, example)
    weights = sum(_tensor(m).numel() for m in layers)
    base = weights if config.target == "sparsity" else reference.params
    wanted = math.ceil(goal * base - 1e-9)
    if wanted > weights:
        raise ConfigError(f"pruning: magnitude pruning cannot zero {goal:.1%} of this network's params; its prunable "
                          f"weights (all but the output layer's) are {weights / base:.1%} of them")
    masked = sum(int(_tensor(m, "weight_mask").eq(0).sum()) for m in layers if hasattr(m, "weight_mask"))
    if wanted > masked:
        prune.global_unstructured([(m, "weight") for m in layers], pruning_method=prune.L1Unstructured,
                                  amount=wanted - masked)


def remove_masks(model: nn.Module) -> None:
    """Make magnitude pruning permanent: fold every ``weight_mask`` into its weight (``prune.remove``)."""
    for module in model.modules():
        if isinstance(module, _LAYERS) and hasattr(module, "weight_mask"):
            prune.remove(module, "weight")


def _prune(model: nn.Module, input_shape: Sequence[int], config: PruneConfig, goal: float, reference: Costs,
           example: torch.Tensor) -> PruneReport:
    before = measure_costs(model, input_shape, example)
    ratio = None
    if config.method == "channel":
        ratio = _prune_channels(model, input_shape, example, config, goal, reference)
    else:
        _prune_magnitude(model, example, config, goal, reference)
    return PruneReport(config.method, config.target, goal, before, measure_costs(model, input_shape, example), ratio)


def prune_model(model: nn.Module, input_shape: Sequence[int], config: PruneConfig,
                example_input: torch.Tensor | None = None, *, permanent: bool = True) -> PruneReport:
    """Prune ``model`` in place to ``config.amount`` of its ``config.target`` in one go (no fine-tuning).

    ``example_input``: a batch the network takes (default: zeros of ``(1, *input_shape)``).
    ``permanent`` (magnitude pruning): fold the masks into the weights; False keeps them, so that
    fine-tuning cannot regrow the zeroed weights (then call :func:`remove_masks`).
    """
    example = _example(model, input_shape, example_input)
    report = _prune(model, input_shape, config, config.amount, measure_costs(model, input_shape, example), example)
    if permanent:
        remove_masks(model)
    return report


# --- pruning with fine-tuning ------------------------------------------------------------------

def finetune_config(train_config: TrainConfig, prune_config: PruneConfig) -> TrainConfig:
    """The training config of fine-tuning: ``finetune_epochs`` epochs at ``finetune_lr`` (or the training lr),
    without warm-up."""
    return dataclasses.replace(train_config, epochs=max(prune_config.finetune_epochs, 1), warmup_epochs=0.0,
                               lr=prune_config.finetune_lr or train_config.lr)


def prune_and_finetune(model: nn.Module, splits: Splits, train_config: TrainConfig, prune_config: PruneConfig, *,
                       augment: Any = None, example_input: torch.Tensor | None = None,
                       latency_repeats: int = 10) -> PruneResult:
    """Prune a trained ``model`` in place in ``prune_config.steps`` steps, fine-tuning on ``splits.train``
    (selecting on ``splits.val``) after each; measure CPU latency and accuracy before and after.

    Step k prunes to ``amount * k / steps`` of the costs before the first step. Magnitude masks stay
    through the fine-tuning (zeroed weights stay zero) and are made permanent at the end.
    """
    input_shape = splits.input_shape
    trainer = Trainer(model, finetune_config(train_config, prune_config), augment=augment)
    example = _example(model, input_shape, example_input)
    reference = measure_costs(model, input_shape, example)
    latency_before = measure_latency(model, input_shape, repeats=latency_repeats)
    val_before = trainer.evaluate(splits.val)["accuracy"]
    test_before = trainer.evaluate(splits.test)["accuracy"] if len(splits.test) else None
    steps: list[PruneReport] = []
    fits: list[FitResult] = []
    for k in range(1, prune_config.steps + 1):
        steps.append(_prune(model, input_shape, prune_config, prune_config.amount * k / prune_config.steps,
                            reference, example))
        if prune_config.finetune_epochs:
            trainer = Trainer(model, finetune_config(train_config, prune_config), augment=augment)
            fits.append(trainer.fit(splits.train, splits.val))
    remove_masks(model)
    last = steps[-1]
    report = PruneReport(prune_config.method, prune_config.target, prune_config.amount, reference,
                         measure_costs(model, input_shape, example), last.channel_ratio)
    trainer = Trainer(model, finetune_config(train_config, prune_config), augment=augment)
    return PruneResult(
        model=model, report=report, latency_ms_before=latency_before,
        latency_ms_after=measure_latency(model, input_shape, repeats=latency_repeats),
        val_accuracy_before=val_before, val_accuracy_after=trainer.evaluate(splits.val)["accuracy"],
        test_accuracy_before=test_before,
        test_accuracy_after=trainer.evaluate(splits.test)["accuracy"] if len(splits.test) else None,
        steps=steps, finetuning=fits)
