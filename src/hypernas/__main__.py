"""``python -m hypernas`` runs the command-line tool."""

from hypernas.cli import main

raise SystemExit(main())
