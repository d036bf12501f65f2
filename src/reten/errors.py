"""reten's exception types: bad user input (:class:`InputError`, exit 2 in the CLI) and an
output the system refused to store (:class:`OutputError`, exit 1); both are one line."""

from __future__ import annotations

import os


class InputError(ValueError):
    """Bad input from a user: a file, a column, a scenario field.

    The message is one line that names the file, line or field and says what would be valid.
    """


class OutputError(OSError):
    """An output could not be stored: the disk or quota is full, or the write failed.

    Raised by :mod:`reten.atomic` while an output is written or swapped into place; nothing
    was changed (the temporary output is removed). The message is one line naming the output
    and the folder; ``errno`` is the system's error number. The CLI prints it, exit 1.
    """


def no_network_message(path: str | os.PathLike[str]) -> str:
    """Return the one-line message for a network folder that is missing or not a network.

    Examples
    --------
    >>> no_network_message("/nonexistent/net")  # doctest: +ELLIPSIS
    '/nonexistent/net does not exist; build a network there with: reten network build ...'
    """
    build = (
        f"reten network build --lines ROADS.shp --ports PORTS.csv -o {path} "
        "(see reten network build --help)"
    )
    if not os.path.exists(path):
        return f"{path} does not exist; build a network there with: {build}"
    return f"{path} is not a saved reten network (no meta.json); build one with: {build}"
