"""The ``hypernas`` command: run, resume and inspect studies.

User mistakes (a bad config, an unknown study, a wrong option) print one line on stderr and
exit with code 2; Ctrl-C saves everything and says how to resume.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from hypernas.config import RunConfig, directions_of, dump_config, load_config, load_objective, parse_config
from hypernas.errors import ConfigError, DuplicateStudyError, HypernasError, SpaceError
from hypernas.nasbench import add_bench_parser, cmd_bench
from hypernas.record import FrozenTrial, TrialState
from hypernas.space.params import value_text
from hypernas.study import Study, create_study, get_storage, load_study

DEFAULT_STORAGE = "sqlite:///hypernas.db"
_RUN_CONFIG_KEY = "run_config"
_CONFIG_DIR_KEY = "config_dir"
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"hypernas: error: {message} (see '{self.prog} --help')\n")


def _default_storage() -> str:
    return os.environ.get("HYPERNAS_STORAGE", DEFAULT_STORAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hypernas", description="Neural architecture search and hyperparameter optimization.")
    parser.add_argument("--version", action="version", version=f"hypernas {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    storage_help = f"SQLAlchemy URL or SQLite file (default: $HYPERNAS_STORAGE or {DEFAULT_STORAGE})"

    run = sub.add_parser("run", help="run a study from a YAML config")
    run.add_argument("config", help="YAML file: space, strategy, objective, budget, storage, seed")
    run.add_argument("--storage", help=storage_help + "; overrides the config")
    run.add_argument("--name", help="study name (default: the config's name, else the file's stem)")
    run.add_argument("--n-trials", type=int, help="number of trials (overrides the config)")
    run.add_argument("--timeout", type=float, help="seconds to run (overrides the config)")
    run.add_argument("--seed", type=int, help="random seed (overrides the config)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    resume = sub.add_parser("resume", help="continue a study started with 'hypernas run'")
    resume.add_argument("study")
    resume.add_argument("--storage", help=storage_help)
    resume.add_argument("--n-trials", type=int, help="run this many more trials (default: until the config's n_trials)")
    resume.add_argument("--timeout", type=float, help="seconds to run")
    resume.add_argument("--requeue", action="store_true", help="run again the trials that were lost or interrupted")
    resume.add_argument("--quiet", action="store_true", help="no progress bar")

    studies = sub.add_parser("studies", help="list the studies in a storage")
    studies.add_argument("--storage", help=storage_help)

    show = sub.add_parser("show", help="table of a study's trials")
    show.add_argument("study")
    show.add_argument("--storage", help=storage_help)
    show.add_argument("--limit", type=int, help="only the last N trials")
    show.add_argument("--state", choices=[s.value for s in TrialState], type=str.upper, help="only trials in this state")

    best = sub.add_parser("best", help="the best trial (the Pareto front for several objectives)")
    best.add_argument("study")
    best.add_argument("--storage", help=storage_help)
    best.add_argument("--json", action="store_true", help="print JSON")

    export = sub.add_parser("export", help="write all trials as CSV or JSON")
    export.add_argument("study")
    export.add_argument("--storage", help=storage_help)
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")

    delete = sub.add_parser("delete", help="delete a study and all its trials")
    delete.add_argument("study")
    delete.add_argument("--storage", help=storage_help)
    add_bench_parser(sub)
    return parser


def _version() -> str:
    from hypernas import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    handler = {"run": cmd_run, "resume": cmd_resume, "studies": cmd_studies, "show": cmd_show, "best": cmd_best,
               "export": cmd_export, "delete": cmd_delete, "bench": cmd_bench}[args.command]
    try:
        return handler(args)
    except HypernasError as exc:
        print(f"hypernas: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0


# --- run and resume --------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    overrides = {k: v for k, v in {"storage": args.storage, "name": args.name, "n_trials": args.n_trials,
                                   "timeout": args.timeout, "seed": args.seed}.items() if v is not None}
    if overrides:
        config = parse_config({**dump_config(config), **overrides}, args.config)
    name = config.name or Path(args.config).stem
    storage = config.storage or _default_storage()
    config_dir = str(Path(args.config).resolve().parent)
    objective = load_objective(config.objective, config_dir)
    try:
        study = create_study(name, storage, directions=directions_of(config, objective), strategy=config.strategy,
                             pruner=config.pruner, seed=config.seed, space=config.space, metrics=config.metrics)
    except DuplicateStudyError:
        raise ConfigError(f"study {name!r} already exists in {storage}; continue it with "
                          f"'hypernas resume {name} --storage {storage}', or pass --name") from None
    study.set_system_attr(_RUN_CONFIG_KEY, dump_config(config))
    study.set_system_attr(_CONFIG_DIR_KEY, config_dir)
    return _optimize(study, config, objective, storage, config.n_trials, config.timeout, args.quiet, config.requeue_lost)


def cmd_resume(args: argparse.Namespace) -> int:
    storage = args.storage or _default_storage()
    study = load_study(args.study, storage)
    attrs = study.system_attrs
    if _RUN_CONFIG_KEY not in attrs:
        raise ConfigError(f"study {args.study!r} was not started with 'hypernas run'; resume it from Python with "
                          "load_study(...).optimize(objective, ...)")
    config = parse_config(attrs[_RUN_CONFIG_KEY], f"study {args.study!r}")
    objective = load_objective(config.objective, attrs.get(_CONFIG_DIR_KEY))
    requeue = args.requeue or config.requeue_lost
    study.fail_lost_trials(requeue=requeue)
    n_trials = args.n_trials
    if n_trials is None and config.n_trials is not None:
        counted = [t for t in study.trials if t.state.is_finished and not t.system_attrs.get("lost")]
        pending = study.get_trials((TrialState.WAITING,))
        n_trials = max(config.n_trials - len(counted), len(pending) if requeue else 0)
        if n_trials == 0:
            print(f"study {study.name!r} already has its {config.n_trials} trials; pass --n-trials to run more")
            _print_best(study)
            return 0
    timeout = args.timeout if args.timeout is not None else (None if n_trials is not None else config.timeout)
    return _optimize(study, config, objective, storage, n_trials, timeout, args.quiet, requeue)


def _optimize(study: Study, config: RunConfig, objective: Any, storage: str, n_trials: int | None,
              timeout: float | None, quiet: bool, requeue: bool) -> int:
    before = len(study.trials)
    try:
        study.optimize(objective, n_trials=n_trials, timeout=timeout, n_workers=config.n_workers,
                       executor=config.executor, show_progress=not quiet, requeue_lost=requeue)
    except KeyboardInterrupt:
        done = len([t for t in study.trials if t.state.is_finished])
        print(f"\nInterrupted: {done} finished trial(s) of study {study.name!r} are saved in {storage}.\n"
              f"Resume with: hypernas resume {study.name} --storage {storage} --requeue", file=sys.stderr)
        return EXIT_INTERRUPTED
    ran = len(study.trials) - before
    counts = _state_counts(study.trials)
    print(f"Study {study.name!r}: {ran} new trial(s); {counts} (in {storage})")
    _print_best(study)
    return 0


def _state_counts(trials: list[FrozenTrial]) -> str:
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.value.lower()] = counts.get(t.state.value.lower(), 0) + 1
    return ", ".join(f"{n} {s}" for s, n in counts.items()) or "no trials"


def _param_texts(study: Study, params: dict[str, Any]) -> dict[str, str]:
    """Each parameter value as its space describes it (e.g. a chain genotype as a layer sequence)."""
    try:
        space = study.space
    except SpaceError:
        space = None
    return {k: space[k].describe(v) if space is not None and k in space else value_text(v) for k, v in params.items()}


def _fmt_params(study: Study, params: dict[str, Any]) -> tuple[str, list[str]]:
    """Scalar parameters on one line; architecture-like (list, mapping, long) values on lines of their own."""
    inline, own_lines = [], []
    for k, text in _param_texts(study, params).items():
        if isinstance(params[k], (list, dict)) or len(text) > 40:
            own_lines.append(f"  {k}: {text}")
        else:
            inline.append(f"{k}={text}")
    return ", ".join(inline), own_lines


def _print_best(study: Study) -> None:
    front = study.best_trials
    if not front:
        print("No complete trial yet.")
        return
    names = study.value_names()
    for t in front:
        values = ", ".join(f"{n}={value_text(v)}" for n, v in zip(names, t.values or []))
        inline, own_lines = _fmt_params(study, t.params)
        label = "Best trial" if len(front) == 1 and not study.is_multi_objective else "Pareto trial"
        print(f"{label} #{t.number}: {values}")
        for line in own_lines:
            print(line)
        if inline:
            print(f"  params: {inline}")
        extras = {k: v for k, v in t.user_attrs.items() if isinstance(v, (int, float, str))}
        if extras:
            print("  " + ", ".join(f"{k}={value_text(v)}" for k, v in extras.items()))


# --- inspection ------------------------------------------------------------------------------
def _console() -> Any:
    from rich.console import Console

    return Console(width=max(100, int(os.environ.get("COLUMNS", "0") or 0)), soft_wrap=False)


def cmd_studies(args: argparse.Namespace) -> int:
    from rich.table import Table

    storage = get_storage(args.storage or _default_storage())
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
    _console().print(table)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from rich.table import Table

    study = load_study(args.study, args.storage or _default_storage())
    trials = study.trials
    if args.state:
        trials = [t for t in trials if t.state.value == args.state]
    if args.limit is not None:
        if args.limit < 1:
            raise ConfigError(f"--limit must be >= 1, got {args.limit}")
        trials = trials[-args.limit:]
    names = study.value_names()
    table = Table("#", "state", *names, "params", "seconds", "error", title=f"study {study.name!r}")
    for t in trials:
        values = [(value_text(t.values[i]) if t.values and i < len(t.values) else "-") for i in range(len(names))]
        params = ", ".join(f"{k}={text}" for k, text in _param_texts(study, t.params).items())
        seconds = f"{t.duration:.2f}" if t.duration is not None else "-"
        table.add_row(str(t.number), t.state.value, *values, params, seconds, (t.error or "")[:80])
    _console().print(table)
    return 0


def cmd_best(args: argparse.Namespace) -> int:
    study = load_study(args.study, args.storage or _default_storage())
    front = study.best_trials
    if args.json:
        names = study.value_names()
        data = [{"number": t.number, "values": dict(zip(names, t.values or [])), "params": t.params,
                 "user_attrs": t.user_attrs} for t in front]
        print(json.dumps(data if study.is_multi_objective else (data[0] if data else None), indent=2))
        return 0
    _print_best(study)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    study = load_study(args.study, args.storage or _default_storage())
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
    if args.output:
        Path(args.output).write_text(text)
        print(f"wrote {len(records)} trial(s) to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    storage = get_storage(args.storage or _default_storage())
    n = len(load_study(args.study, storage).trials)
    storage.delete_study(args.study)
    print(f"deleted study {args.study!r} and its {n} trial(s) from {storage.url}")
    return 0
