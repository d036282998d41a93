"""``hypernas run`` and ``hypernas resume``: start a study from a YAML config, and continue it.

``run`` keeps the config with the study, so ``resume`` rebuilds the same objective and strategy
from the storage alone. Ctrl-C saves every finished trial and says how to resume.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypernas.cli.options import STORAGE_HELP, default_storage
from hypernas.cli.output import print_best, state_counts
from hypernas.errors import ConfigError, DuplicateStudyError
from hypernas.record import TrialState
from hypernas.space import Space
from hypernas.study import Study, create_study, load_study

if TYPE_CHECKING:
    from hypernas.cli.run_config import RunConfig

RUN_CONFIG_KEY = "run_config"
CONFIG_DIR_KEY = "config_dir"
EXIT_INTERRUPTED = 130
EXIT_ALL_FAILED = 1


def add_parsers(subparsers: Any) -> None:
    """Add ``run`` and ``resume`` to the ``hypernas`` command's subparsers."""
    run = subparsers.add_parser("run", help="run a study from a YAML config")
    run.add_argument("config", help="YAML file: space, strategy, objective, budget, storage, seed")
    run.add_argument("--storage", help=STORAGE_HELP + "; overrides the config")
    run.add_argument("--name", help="study name (default: the config's name, else the file's stem)")
    run.add_argument("--n-trials", type=int, help="number of trials (overrides the config)")
    run.add_argument("--timeout", type=float, help="seconds to run (overrides the config)")
    run.add_argument("--trial-timeout", type=float, help="seconds after which a running trial is stopped and "
                                                         "recorded as FAILED (overrides the config)")
    run.add_argument("--seed", type=int, help="random seed (overrides the config)")
    _add_executor_options(run)
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=cmd_run)

    resume = subparsers.add_parser("resume", help="continue a study started with 'hypernas run'")
    resume.add_argument("study")
    resume.add_argument("--storage", help=STORAGE_HELP)
    resume.add_argument("--n-trials", type=int, help="run this many more trials (default: until the config's n_trials)")
    resume.add_argument("--timeout", type=float, help="seconds to run")
    resume.add_argument("--requeue", action="store_true", help="run again the trials that were lost or interrupted")
    _add_executor_options(resume)
    resume.add_argument("--quiet", action="store_true", help="no progress bar")
    trust = resume.add_mutually_exclusive_group()
    trust.add_argument("--config", help="take the objective from this YAML config of yours (and its folder) "
                                        "instead of the one stored with the study")
    trust.add_argument("--trust-stored-objective", action="store_true",
                       help="import the 'module:function' objective stored with the study from the folder stored "
                            "with it: only for a study file you trust, since that runs its code")
    resume.set_defaults(handler=cmd_resume)


def _add_executor_options(parser: Any) -> None:
    parser.add_argument("--executor", help="where the workers run: thread, process or ray (overrides the config)")
    parser.add_argument("--address", help="the Ray cluster to join with --executor ray: 'auto' or HOST:PORT "
                                          "(default: a local Ray started for the run)")


def _executor(spec: str | Mapping[str, Any], name: str | None, address: str | None) -> str | dict[str, Any]:
    """The config's executor with the command line's ``--executor`` (another type drops the config's options
    for the former one) and ``--address``."""
    options = dict(spec) if isinstance(spec, Mapping) else {"type": spec}
    if name is not None and name != options.get("type"):
        options = {"type": name}
    if address is not None:
        options["address"] = address
    return options if len(options) > 1 else options["type"]


def cmd_run(args: argparse.Namespace) -> int:
    """Create the study a config describes (with the command line's overrides) and run it."""
    from hypernas.cli.run_config import directions_of, dump_config, load_config, objective_of, parse_config, space_of

    config = load_config(args.config)
    overrides = {k: v for k, v in {"storage": args.storage, "name": args.name, "n_trials": args.n_trials,
                                   "timeout": args.timeout, "trial_timeout": args.trial_timeout, "seed": args.seed}.items()
                 if v is not None}
    if args.executor is not None or args.address is not None:
        overrides["executor"] = _executor(config.executor, args.executor, args.address)
    if overrides:
        config = parse_config({**dump_config(config), **overrides}, args.config)
    name = config.name or Path(args.config).stem
    storage = config.storage or default_storage()
    config_dir = str(Path(args.config).resolve().parent)
    objective = objective_of(config, config_dir, progress=not args.quiet)
    check_space = getattr(objective, "check_space", None)
    declared = space_of(config)
    if callable(check_space) and declared is not None:  # before the study is created: a fixed config then runs
        check_space(Space.from_config(declared))
    try:
        study = create_study(name, storage, directions=directions_of(config, objective), strategy=config.strategy,
                             pruner=config.pruner, seed=config.seed, space=declared, metrics=config.metrics)
    except DuplicateStudyError:
        raise ConfigError(f"study {name!r} already exists in {storage}; continue it with "
                          f"'hypernas resume {name} --storage {storage}', or pass --name") from None
    study.set_system_attr(RUN_CONFIG_KEY, dump_config(config))
    study.set_system_attr(CONFIG_DIR_KEY, config_dir)
    trust = f" --config {args.config}" if isinstance(config.objective, str) else ""
    return _optimize(study, config, objective, storage, config.n_trials, config.timeout, args.quiet,
                     config.requeue_lost, trust)


def cmd_resume(args: argparse.Namespace) -> int:
    """Continue a study from the config stored with it, up to its ``n_trials`` or as many more as asked."""
    from hypernas.cli.run_config import parse_config

    storage = args.storage or default_storage()
    study = load_study(args.study, storage)
    attrs = study.system_attrs
    if RUN_CONFIG_KEY not in attrs:
        raise ConfigError(f"study {args.study!r} was not started with 'hypernas run'; resume it from Python with "
                          "load_study(...).optimize(objective, ...)")
    config = parse_config(attrs[RUN_CONFIG_KEY], f"study {args.study!r}")
    if args.executor is not None or args.address is not None:
        config = parse_config({**attrs[RUN_CONFIG_KEY], "executor": _executor(config.executor, args.executor, args.address)},
                              "the command line")
    objective = _resume_objective(args, config, attrs.get(CONFIG_DIR_KEY), progress=not args.quiet)
    requeue = args.requeue or config.requeue_lost
    study.fail_lost_trials(requeue=requeue)
    n_trials = args.n_trials
    if n_trials is None and config.n_trials is not None:
        counted = len([t for t in study.trials if t.state.is_finished and not t.system_attrs.get("lost")])
        pending = study.get_trials((TrialState.WAITING,))
        n_trials = max(config.n_trials - counted, len(pending) if requeue else 0)
        if n_trials == 0:
            has = f"its {counted} trials" if counted == config.n_trials else \
                f"{counted} trials (its config asks for {config.n_trials})"
            print(f"study {study.name!r} already has {has}; pass --n-trials to run more")
            print_best(study)
            return 0
    timeout = args.timeout if args.timeout is not None else (None if n_trials is not None else config.timeout)
    trust = f" --config {args.config}" if args.config else (" --trust-stored-objective" if args.trust_stored_objective else "")
    return _optimize(study, config, objective, storage, n_trials, timeout, args.quiet, requeue, trust)


def _resume_objective(args: argparse.Namespace, config: RunConfig, stored_dir: Any, progress: bool) -> Any:
    """The objective to resume with: a built-in one (or one-shot search) from the stored config; user code only
    from the user's own ``--config``, or from the stored folder when the user trusts the study file."""
    from hypernas.cli.run_config import load_config, load_objective, objective_of

    if args.config:
        return objective_of(load_config(args.config), str(Path(args.config).resolve().parent), progress)
    if config.objective is None:
        return objective_of(config, None, progress)
    if isinstance(config.objective, str) and not args.trust_stored_objective:
        raise ConfigError(f"study {args.study!r} runs the objective {config.objective!r} from {stored_dir!r}, as stored "
                          "in its database; resuming imports that code: pass --config FILE (your own config) or, "
                          "for a study file you trust, --trust-stored-objective")
    return load_objective(config.objective, stored_dir if isinstance(stored_dir, str) else None)


def _optimize(study: Study, config: RunConfig, objective: Any, storage: str, n_trials: int | None,
              timeout: float | None, quiet: bool, requeue: bool, trust: str) -> int:
    """Run the study; on Ctrl-C say what is saved and the command that resumes it (with ``trust``'s flags).

    The summary counts the trials this run finished: those that count towards ``n_trials``, and those
    lost with a worker that died (which gave their slot back).
    """
    before = {t.trial_id for t in study.trials if t.state.is_finished}
    try:
        study.optimize(objective, n_trials=n_trials, timeout=timeout, n_workers=config.n_workers,
                       executor=config.executor, show_progress=not quiet, requeue_lost=requeue,
                       trial_timeout=config.trial_timeout)
    except KeyboardInterrupt:
        done = len([t for t in study.trials if t.state.is_finished])
        print(f"\nInterrupted: {done} finished trial(s) of study {study.name!r} are saved in {storage}.\n"
              f"Resume with: hypernas resume {study.name} --storage {storage} --requeue{trust}", file=sys.stderr)
        return EXIT_INTERRUPTED
    new = [t for t in study.trials if t.state.is_finished and t.trial_id not in before]
    lost = [t for t in new if t.system_attrs.get("lost")]
    also = f", and {len(lost)} lost with its worker" if lost else ""
    print(f"Study {study.name!r}: {len(new) - len(lost)} new trial(s){also}; {state_counts(study.trials)} (in {storage})")
    ran = [t for t in new if not t.system_attrs.get("lost")]
    if ran and all(t.state is TrialState.FAILED for t in ran):
        print(f"hypernas: every trial of this run failed; the last: {ran[-1].error}", file=sys.stderr)
        return EXIT_ALL_FAILED
    print_best(study)
    return 0
