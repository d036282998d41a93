"""``hypernas report``: a study's report as one self-contained HTML file, or its plots as image files.

Like the other reading commands it needs only the storage. plotly and matplotlib (the ``viz`` extra)
are imported when the command runs, not to build the parser.
"""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

from hypernas.cli.options import STORAGE_HELP, default_storage, output_file, output_folder
from hypernas.cli.studies import read_study
from hypernas.errors import ConfigError

FORMATS = ("html", "png", "svg", "pdf")


def add_parsers(subparsers: Any) -> None:
    """Add ``report`` to the ``hypernas`` command's subparsers."""
    report = subparsers.add_parser("report", help="write a study's report: one HTML file that opens offline, "
                                                  "or its plots as image files")
    report.add_argument("study")
    report.add_argument("--storage", help=STORAGE_HELP)
    report.add_argument("-o", "--output", required=True,
                        help="the .html file to write; with --format png, svg or pdf the folder for the image files")
    report.add_argument("--format", choices=FORMATS, default="html",
                        help="html (default): summary, best trials and their architectures, every plot, the trial "
                             "table; png, svg, pdf: every plot as an image file (matplotlib), the best "
                             "architectures as SVG files")
    report.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report of ``args.study`` (the output is checked before the study is read)."""
    html = args.format == "html"
    output = output_file("--output", args.output, ("html", "htm")) if html else output_folder("--output", args.output)
    missing = [m for m in ("plotly", "matplotlib") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"hypernas report needs {' and '.join(missing)}: pip install 'hypernas[viz]'")
    study = read_study(args.study, args.storage or default_storage())
    from hypernas.viz import StudyRecord, write_images, write_report

    record = StudyRecord.of(study)
    if html:
        write_report(record, output)
        print(f"wrote the report of study {study.name!r} ({len(record.trials)} trial(s)) to {args.output} "
              f"({output.stat().st_size / 1e6:.1f} MB)")
    else:
        files = write_images(record, output, args.format)
        print(f"wrote {len(files)} file(s) for study {study.name!r} to {args.output}")
    return 0
