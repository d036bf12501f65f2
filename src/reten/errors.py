"""The one exception type for bad user input; the CLI turns it into a one-line message, exit 2."""

from __future__ import annotations

import os


class InputError(ValueError):
    """Bad input from a user: a file, a column, a scenario field.

    The message is one line that names the file, line or field and says what would be valid.
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
