"""The ``hypernas`` entry point: the argument parser of every command, and what an error does.

A user mistake (a bad config, an unknown study, a wrong option: any :class:`HypernasError` but an
:class:`InternalError`) prints one line on stderr and exits with code 2. Anything else is a bug,
in hypernas or in user code such as a strategy: its traceback is printed and the exit code is 1.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

from hypernas.cli.bench.command import add_parsers as add_bench_parsers
from hypernas.cli.dashboard import add_parsers as add_dashboard_parsers
from hypernas.cli.models import add_parsers as add_model_parsers
from hypernas.cli.optuna import add_parsers as add_optuna_parsers
from hypernas.cli.report import add_parsers as add_report_parsers
from hypernas.cli.run import add_parsers as add_run_parsers
from hypernas.cli.studies import add_parsers as add_study_parsers
from hypernas.errors import HypernasError, InternalError

EXIT_INTERNAL = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"hypernas: error: {message} (see '{self.prog} --help')\n")


class _Version(argparse.Action):
    """``--version``: reads the installed version (importlib.metadata) only when asked, not to build the parser."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the version number and exit", **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> NoReturn:
        from importlib.metadata import version

        print(f"hypernas {version('hypernas')}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The ``hypernas`` parser; each command's parser sets ``handler``, the function that runs it."""
    parser = _Parser(prog="hypernas", description="Neural architecture search and hyperparameter optimization.")
    parser.add_argument("--version", action=_Version)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    add_run_parsers(subparsers)
    add_study_parsers(subparsers)
    add_model_parsers(subparsers)
    add_bench_parsers(subparsers)
    add_report_parsers(subparsers)
    add_dashboard_parsers(subparsers)
    add_optuna_parsers(subparsers)
    return parser


def is_user_mistake(exc: BaseException) -> bool:
    """Whether ``exc`` is something the user can fix (one line, exit 2) rather than a bug (traceback, exit 1)."""
    return isinstance(exc, HypernasError) and not isinstance(exc, InternalError)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hypernas`` command with ``argv`` (default: the process's arguments); returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.handler(args)
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if not is_user_mistake(exc):
            traceback.print_exc()
            return EXIT_INTERNAL
        print(f"hypernas: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USAGE
