"""The commands that take a trained network out of a study: ``export-model`` and ``prune``.

Both read the network the train objective kept in the study's record (the best trial's by default);
``prune`` fine-tunes on the data of the study's own ``train`` objective, rebuilt from the config stored
with the study (no code is imported from it).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hypernas.cli.options import STORAGE_HELP, default_storage
from hypernas.cli.studies import read_study
from hypernas.errors import ConfigError

_FORMATS_HELP = "comma-separated formats to write: weights (safetensors + manifest.json, always), torchscript, onnx"


def add_parsers(subparsers: Any) -> None:
    """Add ``export-model`` and ``prune`` to the ``hypernas`` command's subparsers."""
    export = subparsers.add_parser("export-model", help="write a trial's trained network (weights, TorchScript, ONNX)")
    export.add_argument("study")
    _common(export, "DIR/model.*, manifest.json (default: ./<study>-model)")
    export.set_defaults(handler=cmd_export_model)

    prune = subparsers.add_parser("prune", help="prune a trial's trained network, fine-tune it and export it")
    prune.add_argument("study")
    _common(prune, "DIR for the pruned network (default: ./<study>-pruned)")
    prune.add_argument("--method", default="channel", help="channel (structured: removes filters) or magnitude "
                                                           "(unstructured: zeroes weights); default channel")
    prune.add_argument("--amount", type=float, default=0.5, help="fraction of --target to remove, in [0, 1); default 0.5")
    prune.add_argument("--target", default="params", help="what --amount measures: params or flops (channel), "
                                                          "params or sparsity (magnitude); default params")
    prune.add_argument("--steps", type=int, default=1, help="prune in this many steps, fine-tuning after each")
    prune.add_argument("--finetune-epochs", type=int, default=1, help="epochs of fine-tuning per step (0: none)")
    prune.add_argument("--finetune-lr", type=float, help="learning rate of fine-tuning (default: the trial's)")
    prune.set_defaults(handler=cmd_prune)


def _common(parser: argparse.ArgumentParser, out_help: str) -> None:
    parser.add_argument("--storage", help=STORAGE_HELP)
    parser.add_argument("--trial", type=int, help="the trial's number (default: the best trial)")
    parser.add_argument("--out", "-o", help=out_help)
    parser.add_argument("--formats", default="weights,torchscript,onnx", help=_FORMATS_HELP)


def _formats(text: str) -> list[str]:
    return [f.strip() for f in text.split(",") if f.strip()]


def cmd_export_model(args: argparse.Namespace) -> int:
    """Export the trained network of the best (or the given) trial."""
    from hypernas.estimate.train.winner import export_trial

    study = read_study(args.study, args.storage or default_storage())
    out = Path(args.out or f"{Path(args.study).name}-model")
    written = export_trial(study, out, args.trial, _formats(args.formats))
    for part, path in written.items():
        print(f"{part:12} {path}")
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    """Prune the trained network of the best (or the given) trial on the study's own data, and export it."""
    from hypernas.cli.run import RUN_CONFIG_KEY
    from hypernas.cli.run_config import objective_of, parse_config
    from hypernas.estimate.train import TrainingObjective
    from hypernas.estimate.train.winner import prune_trial

    study = read_study(args.study, args.storage or default_storage())
    stored = study.system_attrs.get(RUN_CONFIG_KEY)
    config = parse_config(stored, f"study {args.study!r}") if stored is not None else None
    objective = config.objective if config is not None else None
    if config is None or not isinstance(objective, dict) or objective.get("type") != "train":
        what = "was not started with 'hypernas run'" if config is None else f"runs the objective {objective!r}"
        raise ConfigError(f"study {args.study!r} {what}: 'hypernas prune' fine-tunes on the data of a 'train' objective; "
                          "from Python, use hypernas.prune_trial(study, TrainingObjective(...))")
    training = objective_of(config, None)
    assert isinstance(training, TrainingObjective)
    options = {"method": args.method, "amount": args.amount, "target": args.target, "steps": args.steps,
               "finetune_epochs": args.finetune_epochs, "finetune_lr": args.finetune_lr}
    out = Path(args.out or f"{Path(args.study).name}-pruned")
    result = prune_trial(study, training, args.trial, out, _formats(args.formats), **options)
    r = result.report
    print(f"parameters   {r.before.params:,} -> {r.after.params:,} ({r.params_removed:.1%} removed)")
    print(f"FLOPs        {r.before.flops:,} -> {r.after.flops:,} ({r.flops_removed:.1%} removed)")
    print(f"latency      {result.latency_ms_before:.3f} ms -> {result.latency_ms_after:.3f} ms (CPU, one sample)")
    print(f"val accuracy {result.val_accuracy_before:.4f} -> {result.val_accuracy_after:.4f}")
    if result.test_accuracy_before is not None and result.test_accuracy_after is not None:
        print(f"test accuracy {result.test_accuracy_before:.4f} -> {result.test_accuracy_after:.4f}")
    print(f"pruned network written to {out}")
    return 0
