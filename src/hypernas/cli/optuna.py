"""``import-optuna`` and ``export-optuna``: copy a study between an Optuna RDB storage and a hypernas storage."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable
from typing import Any

from hypernas.cli.options import STORAGE_HELP, default_storage
from hypernas.record import TrialState
from hypernas.study.optuna_bridge import IMPORT_ATTR, export_to_optuna, import_optuna_study


def add_parsers(subparsers: Any) -> None:
    """Add ``import-optuna`` and ``export-optuna`` to the ``hypernas`` command's subparsers."""
    imp = subparsers.add_parser("import-optuna", help="copy an Optuna study (its RDB storage) into a hypernas study")
    imp.add_argument("url", help="the Optuna storage: a SQLAlchemy URL such as sqlite:///optuna.db")
    imp.add_argument("--study", required=True, help="the Optuna study's name")
    imp.add_argument("--storage", help=STORAGE_HELP)
    imp.add_argument("--name", help="the new hypernas study's name (default: the Optuna study's)")
    imp.add_argument("--strategy", help="the strategy that continues the study (default: random)")
    imp.set_defaults(handler=cmd_import)

    exp = subparsers.add_parser("export-optuna", help="copy a hypernas study into an Optuna RDB storage "
                                                      "(e.g. to open it in optuna-dashboard)")
    exp.add_argument("study")
    exp.add_argument("--storage", help=STORAGE_HELP)
    exp.add_argument("--to", required=True, help="the Optuna storage: a SQLAlchemy URL such as sqlite:///optuna.db")
    exp.add_argument("--name", help="the Optuna study's name (default: the hypernas study's)")
    exp.set_defaults(handler=cmd_export)


def cmd_import(args: argparse.Namespace) -> int:
    study = import_optuna_study(args.url, args.study, args.storage or default_storage(), args.name,
                                strategy=args.strategy)
    trials = study.trials
    left_out = study.system_attrs.get(IMPORT_ATTR, {}).get("params_left_out") or []
    note = f"; parameters left out of the space: {', '.join(left_out)}" if left_out else ""
    states = sorted((t.state for t in trials), key=list(TrialState).index)  # in the order of hypernas's states
    print(f"imported {len(trials)} trial(s) ({_counts(s.value for s in states)}) from Optuna study {args.study!r} into hypernas "
          f"study {study.name!r} in {study.storage.url}{note}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    ostudy = export_to_optuna(args.study, args.to, args.name, storage=args.storage or default_storage())
    trials = ostudy.get_trials(deepcopy=False)
    print(f"exported {len(trials)} trial(s) ({_counts(t.state.name for t in trials)}) of hypernas study {args.study!r} to Optuna study "
          f"{ostudy.study_name!r} in {args.to}")
    return 0


def _counts(states: Iterable[str]) -> str:
    """``4 COMPLETE, 1 PRUNED``: how many trials are in each state, in the order the states first come."""
    return ", ".join(f"{n} {state}" for state, n in Counter(states).items()) or "none"
