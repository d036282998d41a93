"""``hypernas dashboard``: a live, read-only web view of the studies in a storage, served by uvicorn.

It binds to 127.0.0.1 unless told otherwise. Starlette, uvicorn and plotly (the ``dashboard`` extra)
are imported when the command runs, not to build the parser.
"""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

from hypernas.cli.options import STORAGE_HELP, default_storage
from hypernas.errors import ConfigError

DEFAULT_PORT = 8080


def add_parsers(subparsers: Any) -> None:
    """Add ``dashboard`` to the ``hypernas`` command's subparsers."""
    dashboard = subparsers.add_parser("dashboard", help="serve a live, read-only web dashboard of a storage's studies")
    dashboard.add_argument("--storage", help=STORAGE_HELP)
    dashboard.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0 for every "
                                "interface)")
    dashboard.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default: {DEFAULT_PORT})")
    dashboard.add_argument("--base-path", default="",
                           help="URL path the dashboard is served under, for a reverse proxy that forwards /PATH/... "
                                "unchanged (default: the root)")
    dashboard.set_defaults(handler=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Serve the dashboard of ``args.storage`` until interrupted."""
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be in 0..65535, got {args.port}")
    missing = [m for m in ("starlette", "uvicorn", "plotly") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"hypernas dashboard needs {' and '.join(missing)}: pip install 'hypernas[dashboard]'")
    from hypernas.study import get_storage
    from hypernas.viz.dashboard import create_app
    from hypernas.viz.dashboard.app import check_base_path

    base = check_base_path(args.base_path)
    storage = get_storage(args.storage or default_storage(), must_exist=True)
    app = create_app(storage, base)
    import uvicorn

    print(f"hypernas dashboard of {storage.url} on http://{args.host}:{args.port}{base}/ (Ctrl+C to stop)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
