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


#: the ``reten network build`` option that reads a file, by its extension
BUILD_OPTIONS = {
    ".csv": "--edges",
    ".tsv": "--edges",
    ".shp": "--lines",
    ".gpkg": "--lines",
    ".geojson": "--lines",
    ".fgb": "--lines",
    ".gdb": "--lines",
    ".kml": "--lines",
    ".gml": "--lines",
    ".pbf": "--osm",
    ".osm": "--osm",
    ".gr": "--dimacs",
}


def fresh_folder(path: str | os.PathLike[str], suffix: str = "net") -> str:
    """Return a folder name in the current folder that does not exist yet: ``STEM-net``
    (``STEM-net-2``, ... when taken; ``suffix`` replaces ``net``) after ``path``'s name,
    for an ``-o`` that touches nothing (and writes nowhere near a shared data folder).

    Examples
    --------
    >>> fresh_folder("/nonexistent/data/edges.csv")
    'edges-net'
    """
    p = os.fspath(path)
    tail = os.path.basename(p.rstrip(os.sep) or p)
    base = f"{tail.split('.')[0] or 'network'}-{suffix}"
    cand, k = base, 2
    while os.path.lexists(cand):
        cand, k = f"{base}-{k}", k + 1
    return cand


def build_command(path: str | os.PathLike[str]) -> str | None:
    """Return ``reten network build OPTION PATH -o FRESH`` for a data file reten builds
    networks from (by its extension: :data:`BUILD_OPTIONS`), else None.

    Examples
    --------
    >>> build_command("/nonexistent/roads.shp")
    'reten network build --lines /nonexistent/roads.shp -o roads-net'
    >>> build_command("notes.txt") is None
    True
    """
    p = os.fspath(path)
    option = BUILD_OPTIONS.get(os.path.splitext(p)[1].lower())
    if option is None:
        return None
    return f"reten network build {option} {p} -o {fresh_folder(p)}"


def no_network_message(path: str | os.PathLike[str]) -> str:
    """Return the one-line message for a network folder that is missing or not a network.

    The command it suggests never writes over what is there: for an existing file or
    folder it names a fresh folder (:func:`fresh_folder`), and for a data file the option
    that reads it (an edge list: ``--edges``; road lines: ``--lines``; OSM: ``--osm``).

    Examples
    --------
    >>> no_network_message("/nonexistent/net")  # doctest: +ELLIPSIS
    '/nonexistent/net does not exist; build a network there with: reten network build ...'
    """
    help_ = "(see reten network build --help)"
    if not os.path.exists(path):
        build = f"reten network build --lines ROADS.shp --ports PORTS.csv -o {path} {help_}"
        return f"{path} does not exist; build a network there with: {build}"
    fresh = fresh_folder(path)
    generic = f"reten network build --lines ROADS.shp --ports PORTS.csv -o {fresh} {help_}"
    if not os.path.isdir(path):
        cmd = build_command(path)
        if cmd is not None:
            return (
                f"{path} is a file, not a saved reten network (a folder); build a network "
                f"from it with: {cmd} {help_}"
            )
        return f"{path} is a file, not a saved reten network (a folder); build one with: {generic}"
    return f"{path} is not a saved reten network (no meta.json); build one with: {generic}"


def wrong_file_hints(
    path: str | os.PathLike[str], option: str, takes: str, vector: str | None = None
) -> dict[str, str]:
    """Return the hints (by file family) for a data file given to a CSV option.

    Used with :func:`reten.tabular.read_text`: ``option`` (``--edges``) takes ``takes``
    (``a CSV edge list source,target,length_m``); a vector file is pointed to ``--lines``
    (or ``vector``, when given), an OpenStreetMap extract to ``--osm``, each with a build
    command into a fresh folder.

    Examples
    --------
    >>> wrong_file_hints("/nonexistent/roads.shp", "--edges", "a CSV edge list")["vector"]
    '--edges takes a CSV edge list; road lines in a vector file are read with --lines: \
reten network build --lines /nonexistent/roads.shp -o roads-net'
    """
    p = os.fspath(path)
    fresh = fresh_folder(p)
    return {
        "vector": f"{option} takes {takes}; "
        + (
            vector
            or f"road lines in a vector file are read with --lines: "
            f"reten network build --lines {p} -o {fresh}"
        ),
        "osm": f"{option} takes {takes}; an OpenStreetMap extract is read with --osm: "
        f"reten network build --osm {p} -o {fresh}",
        "": f"{option} takes {takes}; save it as UTF-8 CSV text",
    }
