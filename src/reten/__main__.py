"""``python -m reten`` runs the CLI."""

from reten.cli import main

main()
