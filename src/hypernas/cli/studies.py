"""The commands that read or delete stored studies: ``studies``, ``show``, ``best``, ``export``, ``delete``.

They need only the storage: the objective and the strategy of a study need not be importable.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

from hypernas.cli.options import STORAGE_HELP, default_storage, output_file
from hypernas.cli.output import console, param_texts, print_best
from hypernas.record import TrialState
from hypernas.space.params import value_text
from hypernas.study import Storage, Study, get_storage, load_study
from hypernas.validate import check_int


def add_parsers(subparsers: Any) -> None:
    """Add ``studies``, ``show``, ``best``, ``export`` and ``delete`` to the ``hypernas`` command's subparsers."""
    studies = subparsers.add_parser("studies", help="list the studies in a storage")
    studies.add_argument("--storage", help=STORAGE_HELP)
    studies.set_defaults(handler=cmd_studies)

    show = subparsers.add_parser("show", help="table of a study's trials")
    show.add_argument("study")
    show.add_argument("--storage", help=STORAGE_HELP)
    show.add_argument("--limit", type=int, help="only the last N trials")
    show.add_argument("--state", choices=[s.value for s in TrialState], type=str.upper, help="only trials in this state")
    show.set_defaults(handler=cmd_show)

    best = subparsers.add_parser("best", help="the best trial (the Pareto front for several objectives)")
    best.add_argument("study")
    best.add_argument("--storage", help=STORAGE_HELP)
    best.add_argument("--json", action="store_true", help="print JSON")
    best.set_defaults(handler=cmd_best)

    export = subparsers.add_parser("export", help="write all trials as CSV or JSON")
    export.add_argument("study")
    export.add_argument("--storage", help=STORAGE_HELP)
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
    export.set_defaults(handler=cmd_export)

    delete = subparsers.add_parser("delete", help="delete a study and all its trials")
    delete.add_argument("study")
    delete.add_argument("--storage", help=STORAGE_HELP)
    delete.set_defaults(handler=cmd_delete)


def read_study(name: str, storage: str | Storage) -> Study:
    """A study opened to read its record (``show``, ``report``, ...): its own strategy and pruner need not be
    available here."""
    return load_study(name, storage, strategy="random", pruner="none")


def cmd_studies(args: argparse.Namespace) -> int:
    """A table of the storage's studies: trial counts per state, best values, creation time."""
    from rich.table import Table

    storage = get_storage(args.storage or default_storage(), must_exist=True)
    summaries = storage.summaries()
    if not summaries:
        print(f"no studies in {storage.url}")
        return 0
    table = Table("name", "directions", "trials", "complete", "pruned", "failed", "running", "best", "created")
    for s in summaries:
        best = ", ".join(value_text(v) for v in s.best_values) if s.best_values else "-"
        table.add_row(s.name, ",".join(s.directions), str(s.n_trials), *(str(s.state_counts.get(k, 0)) for k in
                      ("COMPLETE", "PRUNED", "FAILED", "RUNNING")), best,
                      s.datetime_created.strftime("%Y-%m-%d %H:%M") if s.datetime_created else "-")
    console().print(table)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """A table of a study's trials (the last ``--limit``, those in ``--state``)."""
    from rich.table import Table

    study = read_study(args.study, args.storage or default_storage())
    trials = study.trials
    if args.state:
        trials = [t for t in trials if t.state.value == args.state]
    if args.limit is not None:
        trials = trials[-check_int("show", "--limit", args.limit, 1):]
    names = study.value_names()
    table = Table("#", "state", *names, "params", "seconds", "error", title=f"study {study.name!r}")
    for t in trials:
        values = [(value_text(t.values[i]) if t.values and i < len(t.values) else "-") for i in range(len(names))]
        params = ", ".join(f"{k}={text}" for k, text in param_texts(study, t.params).items())
        seconds = f"{t.duration:.2f}" if t.duration is not None else "-"
        table.add_row(str(t.number), t.state.value, *values, params, seconds, (t.error or "")[:80])
    console().print(table)
    return 0


def cmd_best(args: argparse.Namespace) -> int:
    """The best trial or Pareto front, as text or JSON (``null`` / ``[]`` while no trial has completed)."""
    study = read_study(args.study, args.storage or default_storage())
    front = study.best_trials
    if args.json:
        names = study.value_names()
        data = [{"number": t.number, "values": dict(zip(names, t.values or [])), "params": t.params,
                 "user_attrs": t.user_attrs} for t in front]
        print(json.dumps(data if study.is_multi_objective else (data[0] if data else None), indent=2))
        return 0
    print_best(study)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Every trial as a CSV row or a JSON record, to standard output or ``--output``."""
    output = output_file("--output", args.output) if args.output else None
    study = read_study(args.study, args.storage or default_storage())
    records = study.to_records()
    if args.format == "json":
        text = json.dumps(records, indent=2, default=str) + "\n"
    else:
        columns: list[str] = []
        for r in records:
            columns.extend(k for k in r if k not in columns)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        for r in records:
            writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in r.items()})
        text = buffer.getvalue()
    if output:
        output.write_text(text)
        print(f"wrote {len(records)} trial(s) to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    """Delete a study and its trials from the storage."""
    storage = get_storage(args.storage or default_storage(), must_exist=True)
    n = len(read_study(args.study, storage).trials)
    storage.delete_study(args.study)
    print(f"deleted study {args.study!r} and its {n} trial(s) from {storage.url}")
    return 0
