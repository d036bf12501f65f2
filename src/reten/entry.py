"""The ``reten`` command's entry point: Ctrl-C while the CLI is still loading is one line.

Importing the CLI takes a few tenths of a second (NumPy, Typer, Rich); a Ctrl-C in that
window used to end in a Python traceback of whatever module was loading. Here the import
itself is guarded, and :func:`reten.cli.main` handles every signal after it.
"""

from __future__ import annotations

import sys

INTERRUPTED = "reten: interrupted (each output is either complete or untouched)"


def main() -> None:
    """Load the CLI and run it; exit 130 with one line when interrupted while loading."""
    import os

    # started with standard output or error closed (``reten ... >&-``): Python sets them to
    # None and every print failed as "'NoneType' object has no attribute 'flush'"
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    try:
        from reten.cli import main as cli_main
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        raise SystemExit(130) from None
    cli_main()
