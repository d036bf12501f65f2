"""``python -m reten`` runs the CLI."""

from reten.entry import main

main()
