"""Outputs that never destroy data: checked, locked, written aside and swapped into place.

Every folder reten writes goes through :func:`output_dir` (or :func:`atomic_dir`, which joins
an enclosing :func:`output_dir`); every single file through :func:`output_file` or
:func:`atomic_write_bytes`. The rules:

- ``-o DIR`` may replace a folder only when reten wrote it, it is of the same kind (a run
  replaces a run) and it holds nothing reten did not write. reten leaves a marker,
  ``.reten-output.json``, recording every path it wrote. ``overwrite=True`` lifts the first
  two conditions (a folder with no marker, or another kind of reten output), never the
  third: every file and folder in it, at every depth, must be recorded in reten's marker
  (for an older marker or none, be one of the names that kind of output writes there:
  :func:`foreign_entries`). A folder holding anything else (a user's
  ``notes.txt``, another reten output saved inside it) is refused with one line naming
  it, even with ``overwrite=True``, and nothing is touched. One exception: a validation
  reten wrote inside a run or comparison folder (``reten validate RUN_DIR`` writes
  ``RUN_DIR/validation`` by default) is replaced with the results it validated.
- A saved network is replaced only by a network build, even with ``overwrite=True``, and
  nothing is written inside the network a command or result read
  (:func:`check_not_an_input`: ``RunResult.write("net/sub")`` as ``-o net/sub``).
- Never: a path that exists and is not a folder (for a folder output); an input, or a
  folder that holds an input; the current folder or one above it; the home folder; ``/``;
  names ``.``, ``..``, with a control character or longer than the file system allows;
  a dangling symbolic link; a place reten cannot write (a read-only file system, a folder
  without write permission), an existing output it could not remove (a folder in it made
  read-only) or a mount point (which cannot be swapped). All of these are checked before
  any work: one line naming the folder and what is wrong.
- An error of the file system while the output is written or swapped in (disk or quota
  full, read-only, permission denied on the output's own paths) ends as one line naming the
  output and its folder (:class:`reten.errors.OutputError`, or ``InputError`` for a folder
  that cannot be written); nothing is changed.
- Work happens in a temporary folder beside the target, ``.NAME.reten-tmp-XXXXXXXX``,
  created with the user's umask. On success it is swapped in: one atomic
  ``renameat2(RENAME_EXCHANGE)`` on Linux when a previous output exists (fallback: two
  renames through ``.NAME.reten-old-XXXXXXXX``), then the previous output is removed. On any
  exception, Ctrl-C or SIGTERM (the CLI turns it into an exception) the temporary folder is
  removed, and folders created for the output are removed again.
- A lock, ``.NAME.reten-lock`` beside the target (``fcntl.flock``, held for the whole
  command), makes a second writer of the same target fail at once with a one-line error.
- After SIGKILL (or a power cut) the temporary folder and lock file stay behind. The next
  reten command that writes into the same parent folder sweeps them: whoever takes a
  target's lock knows every temporary folder of that target is an orphan. A previous output
  parked by the two-rename fallback is put back when the target is missing.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import stat
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from reten.errors import InputError, OutputError

MARKER = ".reten-output.json"
_TMP = ".reten-tmp-"
_OLD = ".reten-old-"
_LOCK = ".reten-lock"
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class _Txn:
    target: Path  # real absolute path of the output
    given: Path  # absolute path as given (symlinks not resolved)
    tmp: Path  # the temporary folder (or, for a file output, the folder holding it)


# The output transactions open in this context (a stack). Library writers call atomic_dir()
# with their own target; when that target lies inside an open transaction they write into
# its temporary folder, so a CLI command (or `reten demo`) is atomic as a whole.
_OPEN: contextvars.ContextVar[tuple[_Txn, ...]] = contextvars.ContextVar(
    "reten_open_outputs", default=()
)


# ---------------------------------------------------------------------------------------------
# umask, names, checks


def umask() -> int:
    """Return the process umask without changing it (Linux: /proc; else set and restore)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    old = os.umask(0o022)
    os.umask(old)
    return old


_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+-]{0,119}")


def _key(name: str) -> str:
    """Return the stem of a target's temporary, parked and lock names.

    A plain name (letters, digits, ``._+-``, at most 120) is its own stem. Any other name gets
    a hash: temporary paths then hold no character a writer may read as syntax (GDAL takes
    ``!`` as an archive separator, for one) and stay short.
    """
    if _PLAIN.fullmatch(name):
        return name
    return "h-" + hashlib.sha1(os.fsencode(name)).hexdigest()[:20]


def article(word: str) -> str:
    """Return the indefinite article for ``word`` ("an optimize", "a run").

    Examples
    --------
    >>> article("optimize"), article("run"), article("export")
    ('an', 'a', 'an')
    """
    return "an" if word[:1].lower() in "aeiou" and word[:1] else "a"


def _check_name(out: Path, flag: str) -> None:
    """Raise InputError for names reten never writes to."""
    text = str(out)
    bad = [c for c in text if ord(c) < 32 or ord(c) == 127]
    if bad:
        raise InputError(
            f"{flag} {text!r}: the name holds a control character ({bad[0]!r}); "
            "give a plain folder name"
        )
    if out.name in ("", ".", ".."):
        raise InputError(
            f"{flag} '{text}': give a new folder name (for example {flag} out/run), "
            "not the current, parent or root folder"
        )
    limit = 255
    with contextlib.suppress(OSError, ValueError):
        anc = _existing_ancestor(Path(os.path.abspath(out)).parent)
        limit = os.pathconf(anc, "PC_NAME_MAX")
    if len(os.fsencode(out.name)) > limit:
        raise InputError(
            f"{flag} '{out.name[:40]}...': the name is {len(os.fsencode(out.name))} bytes "
            f"long; the file system allows {limit}"
        )
    if len(os.fsencode(os.path.abspath(out))) > 4000:
        raise InputError(f"{flag} '{text[:40]}...': the path is too long")


def _existing_ancestor(p: Path) -> Path:
    while not os.path.lexists(p):
        p = p.parent
    return p


def _is_within(a: Path, b: Path) -> bool:
    """Return True when ``a`` is ``b`` or lies inside it."""
    return a == b or b in a.parents


def _real(p: Path) -> Path:
    return Path(os.path.realpath(p))


def _resolve_target(out: str | os.PathLike[str], flag: str) -> tuple[Path, Path]:
    """Return (real target, absolute given path); raise InputError for unusable paths."""
    if not os.fspath(out):
        raise InputError(
            f"{flag} is empty: give a new folder or file name (for example {flag} out/run)"
        )
    given = Path(os.fspath(out))
    _check_name(given, flag)
    abs_given = Path(os.path.abspath(given))
    if os.path.islink(abs_given) and not os.path.exists(abs_given):
        raise InputError(
            f"{flag} '{given}' is a symbolic link to '{os.readlink(abs_given)}', which does "
            "not exist; remove the link or choose another folder"
        )
    target = _real(abs_given)
    _check_name(target, flag)
    anc = _existing_ancestor(target.parent)
    if not anc.is_dir():
        raise InputError(f"{flag} '{given}': '{anc}' is a file, not a folder")
    why = _unwritable(anc)
    if why is not None:
        raise InputError(
            f"{flag} '{given}': cannot write into '{anc}' ({why}); choose a folder you can write to"
        )
    return target, abs_given


def _unwritable(folder: Path) -> str | None:
    """Return why files cannot be created in (or removed from) ``folder``, or None.

    A read-only file system is named as such; otherwise the permission bits decide (root
    passes them, as it does when writing).
    """
    with contextlib.suppress(OSError, AttributeError):
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "read-only file system"
    if not os.access(folder, os.W_OK | os.X_OK):
        return "no write permission"
    return None


def _check_replaceable(target: Path, flag: str, shown: str, *, in_place: bool) -> None:
    """Refuse an existing output ``target`` that reten could not replace (or add to).

    The new output is swapped in beside it and the old one removed, so every folder in it
    must let reten remove what it holds (a folder the user made read-only, ``chmod 555``, or
    one on a read-only file system is refused: reten never bypasses that protection); a
    mount point cannot be swapped at all (``rename(2)`` gives EBUSY).
    """
    if os.path.ismount(target) and not in_place:
        raise InputError(
            f"{flag} '{shown}' is a mount point; reten replaces its output folder as a whole, "
            f"which a mount point cannot be: give a new folder inside it (for example "
            f"{flag} {os.path.join(shown, 'out')})"
        )
    if not target.is_dir() or target.is_symlink():
        return
    seen = 0
    for d, dirs, _files in os.walk(target):
        why = _unwritable(Path(d))
        if why is not None:
            where = "" if Path(d) == target else f": '{d}'"
            raise InputError(
                f"{flag} '{shown}' cannot be replaced{where} ({why}); "
                "make it writable or choose another folder"
            )
        seen += len(dirs)
        if seen > 10_000:  # not an output of reten's: the foreign-name check refuses it
            break


def check_not_an_input(
    out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]], flag: str = "-o"
) -> None:
    """Raise InputError when output ``out`` is an input, holds one or lies inside an input
    network folder: the rule every writer shares (``reten run -o`` and
    ``RunResult.write``, which passes the scenario file and the network it names).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "s.toml").write_text("x")
    >>> check_not_an_input(d / "out", [d / "s.toml"])
    >>> check_not_an_input(d, [d / "s.toml"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reten.errors.InputError: -o '...' holds an input (...s.toml); reten never replaces ...
    """
    target, given = _resolve_target(out, flag)
    _check_inputs(target, given, flag, [Path(os.fspath(i)) for i in inputs], os.fspath(out))


def _check_inputs(target: Path, given: Path, flag: str, inputs: Iterable[Path], shown: str) -> None:
    for inp in inputs:
        try:
            ip = Path(os.path.abspath(inp))
            cands = {ip, _real(ip)}
        except (OSError, ValueError):  # an unusable input path: its reader will say so
            continue
        for cand in cands:
            inside = target != cand and _is_within(target, cand)
            if inside and cand.is_dir() and _is_saved_network(cand):
                raise InputError(
                    f"{flag} '{shown}' is inside the input network {inp}; writing there would "
                    "damage it: choose a path outside it"
                )
            if _is_within(cand, target) or _is_within(cand, given):
                what = "is" if cand in (target, given) else "holds"
                raise InputError(
                    f"{flag} '{shown}' {what} an input ({inp}); reten never replaces its "
                    "inputs: choose another output folder"
                )


def _check_not_precious(
    target: Path, given: Path, flag: str, inputs: Iterable[Path], shown: str
) -> None:
    """Refuse inputs, folders holding inputs, the current folder and above, home and root."""
    _check_inputs(target, given, flag, inputs, shown)
    try:
        cwd = _real(Path.cwd())
    except OSError:  # the current folder was removed
        cwd = Path("/nonexistent-cwd")
    try:
        home = _real(Path.home())
    except (RuntimeError, KeyError, OSError):
        home = Path("/nonexistent-home")
    if _is_within(cwd, target):
        raise InputError(f"{flag} '{shown}' is the current folder or holds it; choose a new folder")
    if target == Path(target.anchor) or _is_within(home, target):
        raise InputError(f"{flag} '{shown}' is the home or root folder; choose a new folder")


def read_marker(path: str | os.PathLike[str]) -> dict | None:
    """Return the marker reten left in folder ``path``, or None when there is none.

    The marker is a JSON object: ``written_by`` ("reten"), ``version``, ``kind`` (network,
    run, compare, optimize, validation, demo or output), ``entries`` (the names reten
    wrote at the top of the folder) and ``files`` (every path reten wrote in it, relative,
    with ``/`` between folders, the marker itself left out; missing in older markers).
    """
    p = Path(path) / MARKER
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("written_by") != "reten":
        return None
    if not isinstance(data.get("entries"), list) or not isinstance(data.get("kind"), str):
        return None
    return data


def _legacy_kind(path: Path) -> str | None:
    """Return "network" for a network saved before markers existed (meta.json), else None."""
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    fmt = meta.get("format") if isinstance(meta, dict) else None
    return "network" if isinstance(fmt, str) and fmt.startswith("reten-network/") else None


def _is_saved_network(path: Path) -> bool:
    marker = read_marker(path)
    kind = marker.get("kind") if marker else _legacy_kind(path)
    return kind == "network"


def _is_reten_output(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and read_marker(path) is not None


def _owned_problem(target: Path, kind: str) -> str | None:
    """Return why an existing folder (holding no foreign name) may not be replaced without
    overwrite, or None."""
    try:
        names = sorted(os.listdir(target))
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if not [n for n in names if not _is_our_litter(n)]:
        return None
    marker = read_marker(target)
    if marker is None:
        legacy = _legacy_kind(target)
        if legacy is not None and legacy == kind:
            return None
        return f"exists and reten did not write it (no {MARKER})"
    old_kind = marker["kind"]
    generic = "output" in (old_kind, kind) and "network" not in (old_kind, kind)
    if old_kind != kind and not generic:
        return f"holds a reten {old_kind} output, not {article(kind)} {kind} output"
    return None


def foreign_entries(path: str | os.PathLike[str], kind: str = "output") -> list[str]:
    """Return the paths in folder ``path`` that replacing it with a ``kind`` output would
    delete although reten did not write them there: relative, with ``/`` between folders,
    in the order of a sorted depth-first walk (a foreign folder is named, not its contents).

    Every file and folder is checked, at every depth. When the folder's marker records the
    paths reten wrote (``files``), a path is reten's exactly when it is recorded there. A
    folder with an older marker (only ``entries``, its top-level names) or none is checked
    by name: a top-level name is reten's when the marker lists it or a
    ``kind`` output writes it (:data:`OUTPUT_NAMES`); a folder inside is reten's only where
    that kind writes one (a run's ``figures``, a demo's ``baseline``; :data:`NESTED_KINDS`),
    holding no marker of another kind and only the names that nested kind writes.

    reten's own temporary and lock names are never foreign, nor, in a run or comparison
    folder, a validation of it that reten wrote there (a folder whose marker says kind
    "validation" and that holds only what reten wrote).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for n in ("report.html", "sites.csv", "notes.txt"):
    ...     _ = (d / n).write_text("x")
    >>> foreign_entries(d, "optimize")
    ['notes.txt']
    >>> (d / "figures").mkdir()
    >>> _ = (d / "figures" / "routes.png").write_text("x")
    >>> _ = (d / "figures" / "mine.txt").write_text("x")
    >>> foreign_entries(d, "run")
    ['figures/mine.txt', 'notes.txt', 'sites.csv']
    """
    found: list[str] = []
    _foreign_in(Path(path), kind, "", found)
    return found


# what a sweep writes in tasks/: NAME-FINGERPRINT.parquet, or .error.json for a failed task
_TASK_FILE = re.compile(r"[^/]+\.(?:parquet|error\.json)")


def _recorded(marker: dict | None) -> set[str] | None:
    """Return the paths a marker records reten wrote, or None for an older marker."""
    files = marker.get("files") if marker else None
    if isinstance(files, list) and all(isinstance(f, str) for f in files):
        return set(files)
    return None


def _listing(folder: Path) -> list[os.DirEntry[str]] | None:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return None


def _foreign_in(folder: Path, kind: str, rel: str, found: list[str]) -> None:
    """Add to ``found`` the foreign paths in ``folder`` (at ``rel`` in the checked output)."""
    marker = read_marker(folder)
    recorded = _recorded(marker)
    if recorded is not None:
        _foreign_recorded(folder, recorded, marker["kind"] if marker else kind, rel, "", found)
        return
    entries = _listing(folder)
    if entries is None:
        if rel:  # an unreadable folder inside: reten cannot tell what it would delete
            found.append(rel.rstrip("/"))
        return
    listed = {str(e) for e in marker["entries"]} if marker else set()
    nested = NESTED_KINDS.get(kind, {})
    for e in entries:
        name = e.name
        if _is_our_litter(name):
            continue
        here = Path(e.path)
        is_dir = e.is_dir(follow_symlinks=False)
        if kind == "tasks":
            ours = not is_dir and _TASK_FILE.fullmatch(name) is not None
        else:
            ours = name in listed or name in OUTPUT_NAMES.get(kind, frozenset()) or name == MARKER
        if not ours:
            if not _own_validation(here, kind):
                found.append(rel + name)
            continue
        sub_kind = nested.get(name)
        if not is_dir:
            odd = sub_kind is not None or (name == MARKER and not e.is_file(follow_symlinks=False))
            if odd and name not in listed:
                found.append(rel + name)  # reten writes a folder (or its marker) there
            continue
        sub = read_marker(here)
        if sub_kind is None:
            if sub is not None and name in listed:  # a reten output written with this one
                _foreign_in(here, sub["kind"], f"{rel}{name}/", found)
            else:
                found.append(rel + name)  # reten writes no folder there
            continue
        if sub is not None and sub["kind"] != sub_kind:
            found.append(rel + name)  # another reten output saved inside
            continue
        _foreign_in(here, sub_kind, f"{rel}{name}/", found)


def _foreign_recorded(
    folder: Path, recorded: set[str], kind: str, rel: str, inner: str, found: list[str]
) -> None:
    """Walk ``folder`` (at ``inner`` in the marked folder, ``rel`` in the checked one): every
    path must be ``recorded``."""
    entries = _listing(folder)
    if entries is None:
        if inner:
            found.append(rel.rstrip("/"))
        return
    for e in entries:
        if _is_our_litter(e.name) or (not inner and e.name == MARKER):
            continue
        here = Path(e.path)
        if inner + e.name not in recorded:
            if not _own_validation(here, kind):
                found.append(rel + e.name)
            continue
        if e.is_dir(follow_symlinks=False):
            sub = read_marker(here)
            _foreign_recorded(
                here,
                recorded,
                sub["kind"] if sub else kind,
                f"{rel}{e.name}/",
                f"{inner}{e.name}/",
                found,
            )


#: The kinds of output ``reten validate`` reads; its output goes inside them by default.
VALIDATED_KINDS = frozenset({"run", "compare"})


def _own_validation(path: Path, kind: str) -> bool:
    """Return True when ``path`` is a validation reten wrote inside a run or comparison
    folder (``reten validate RUN_DIR`` writes ``RUN_DIR/validation``): its marker says
    kind "validation" and it holds nothing reten did not write. Replacing the run replaces
    the results it validated, so the validation goes with them."""
    if kind not in VALIDATED_KINDS or path.is_symlink() or not path.is_dir():
        return False
    marker = read_marker(path)
    return (
        marker is not None
        and marker["kind"] == "validation"
        and not foreign_entries(path, "validation")
    )


def _foreign_problem(target: Path, kind: str) -> str | None:
    """Return one line on the foreign names in ``target`` (see :func:`foreign_entries`)."""
    extra = foreign_entries(target, kind)
    if not extra:
        return None
    nested = [n for n in extra if _is_reten_output(target / n)]
    shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
    what = "another reten output" if nested and len(nested) == len(extra) else "files"
    return (
        f"holds {what} reten did not write there ({shown}); replacing the folder would "
        "delete them, so reten refuses even with --overwrite and touched nothing: move "
        "them out or choose another folder"
    )


_NETWORK_FILES = (
    "nodes.parquet",
    "arcs.parquet",
    "rev.parquet",
    "regions.parquet",
    "geometry.parquet",
    "geometry_offsets.parquet",
    "meta.json",
    "provenance.json",
)


def _figures() -> frozenset[str]:
    return frozenset(
        f"{n}.{ext}"
        for n in ("routes", "displacement", "crossings")
        for ext in ("png", "svg", "pdf")
    )


_DEMO_KEYS = ("baseline", "sinaloa_surge", "border_surge", "both")  # reten.api.DEMO_STEPS

#: The names each kind of output writes at the top of its folder, optional ones included.
#: With ``overwrite`` a folder is replaced only when every name in it is one of these or
#: listed in reten's marker (tests/test_overwrite_commands.py keeps this in step with the
#: writers).
OUTPUT_NAMES: dict[str, frozenset[str]] = {
    "network": frozenset(_NETWORK_FILES),
    "run": frozenset(
        {
            "report.html",
            "origins.csv",
            "regions.csv",
            "crossings.csv",
            "skim.csv",
            "margins.csv",
            "select.csv",
            "arcs.parquet",
            "regions.parquet",
            "regions.geojson",
            "routes.geojson",
            "origins.parquet",
            "origins.geojson",
            "convergence.csv",
            "production.csv",
            "provenance.json",
            "figures",
        }
    ),
    "compare": frozenset(
        {
            "report.html",
            "regions_delta.csv",
            "crossings_delta.csv",
            "origins_delta.csv",
            "production.csv",
            "totals.json",
            "provenance.json",
            "figures",
        }
    ),
    "optimize": frozenset(
        {
            "report.html",
            "sites.csv",
            "sites.geojson",
            "sites.gpkg",
            "origin_routes.geojson",
            "origin_routes.gpkg",
            "curve.csv",
            "log.csv",
            "regions_delta.csv",
            "crossings_delta.csv",
            "result.json",
            "provenance.json",
        }
    ),
    "validation": frozenset({"validation.html", "validation.json", "matched.csv"}),
    "game": frozenset(
        {
            "report.html",
            "coverage.csv",
            "coverage.geojson",
            "support.csv",
            "schedules.csv",
            "routes.csv",
            "log.csv",
            "result.json",
            "provenance.json",
        }
    ),
    "demo": frozenset({"index.html", *_DEMO_KEYS, *(f"{k}_vs_baseline" for k in _DEMO_KEYS)}),
    "simulation": frozenset({"series.parquet", "provenance.json", "report.html"}),
    "sweep": frozenset({"tasks", "sweep.json", "sweep.parquet", "failures.parquet"}),
    "output": _figures(),
}


#: The folders each kind of output writes inside its folder, and the kind of each (checked
#: by name in a folder whose marker does not record the paths reten wrote).
NESTED_KINDS: dict[str, dict[str, str]] = {
    "run": {"figures": "output"},
    "compare": {"figures": "output"},
    "demo": {
        **{k: "run" for k in _DEMO_KEYS},
        **{f"{k}_vs_baseline": "compare" for k in _DEMO_KEYS},
    },
    "sweep": {"tasks": "tasks"},
}


def _is_our_litter(name: str) -> bool:
    return name.startswith(".") and (_TMP in name or _OLD in name or name.endswith(_LOCK))


def check_output_dir(
    out: str | os.PathLike[str],
    *,
    kind: str = "output",
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
    flag: str = "-o",
    in_place: bool = False,
) -> Path:
    """Return the real path of output folder ``out``; raise InputError when it is unusable.

    See the module docstring for the rules. ``inputs`` are the files and folders the command
    reads: the output may be none of them and may hold none of them. ``in_place`` is for a
    writer that adds to the folder instead of replacing it (a resumed sweep): only the path
    rules apply.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "report.html").write_text("x")
    >>> check_output_dir(d / "new") == (d / "new").resolve()
    True
    >>> check_output_dir(d, kind="run")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reten.errors.InputError: -o '...' exists and reten did not write it (no ...); give ...
    >>> check_output_dir(d, kind="run", overwrite=True) == d.resolve()
    True
    >>> _ = (d / "notes.txt").write_text("mine")
    >>> check_output_dir(d, kind="run", overwrite=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reten.errors.InputError: -o '...' holds files reten did not write there (notes.txt); ...
    """
    target, given = _resolve_target(out, flag)
    _check_not_precious(target, given, flag, [Path(os.fspath(i)) for i in inputs], os.fspath(out))
    if os.path.lexists(target):
        if not target.is_dir():
            raise InputError(
                f"{flag} '{os.fspath(out)}' exists and is not a folder; reten writes a folder "
                "there: choose another name"
            )
        if kind != "network" and _is_saved_network(target):
            # a saved network can take an hour to build: only a network build replaces it
            raise InputError(
                f"{flag} '{os.fspath(out)}' holds a saved reten network; "
                f"{article(kind)} {kind} output never replaces one, even with --overwrite: "
                "choose another folder (or delete the network yourself)"
            )
        if in_place:
            _check_replaceable(target, flag, os.fspath(out), in_place=True)
            return target
        foreign = _foreign_problem(target, kind)
        if foreign is not None:
            raise InputError(f"{flag} '{os.fspath(out)}' {foreign}")
        if not overwrite:
            why = _owned_problem(target, kind)
            if why is not None:
                raise InputError(
                    f"{flag} '{os.fspath(out)}' {why}; give --overwrite to replace it, "
                    "or choose a new folder"
                )
        _check_replaceable(target, flag, os.fspath(out), in_place=False)
    return target


def check_output_file(
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
    flag: str = "-o",
) -> Path:
    """Return the real path of output file ``out``; raise InputError when it is unusable.

    An existing regular file is replaced only with ``overwrite`` (reten cannot tell whether it
    wrote a file); a folder or any other kind of file never.
    """
    target, given = _resolve_target(out, flag)
    _check_not_precious(target, given, flag, [Path(os.fspath(i)) for i in inputs], os.fspath(out))
    if os.path.lexists(target):
        st = os.stat(target)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{flag} '{os.fspath(out)}' is a folder; give a file name")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(
                f"{flag} '{os.fspath(out)}' exists and is not a regular file; choose another name"
            )
        if not overwrite:
            raise InputError(
                f"{flag} '{os.fspath(out)}' exists; give --overwrite to replace it, "
                "or choose a new name"
            )
        if os.path.ismount(target):
            raise InputError(
                f"{flag} '{os.fspath(out)}' is a mount point, which reten cannot replace: "
                "choose another name"
            )
    return target


# ---------------------------------------------------------------------------------------------
# locks, sweeping, swapping


@contextlib.contextmanager
def _blocked_signals() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP back while a swap or a clean-up runs (delivered after)."""
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    except (AttributeError, ValueError, OSError):  # not POSIX or not allowed here
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _try_lock(path: Path) -> int | None:
    """Return an fd holding an exclusive flock on ``path`` (created), or None when held."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder removed the file as we opened it: start again


def _unlock(path: Path, fd: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    os.close(fd)


def _acquire(target: Path, wait_s: float = 1.0) -> tuple[Path, int]:
    lock = target.parent / f".{_key(target.name)}{_LOCK}"
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fd = _try_lock(lock)
        except OSError as exc:  # the folder cannot hold files (/proc, a read-only mount)
            why = "" if exc.errno == errno.ENOENT else f" ({exc.strerror or exc})"
            raise InputError(
                f"-o '{target}': cannot write into its parent folder '{target.parent}'{why}; "
                "choose a folder you can write to"
            ) from None
        if fd is not None:
            # the pid only helps the message of a second writer: a full disk must not keep
            # the lock from being held (and removed on the way out) as usual
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
            return lock, fd
        if time.monotonic() >= deadline:
            pid = ""
            with contextlib.suppress(OSError, ValueError):
                pid = f" (pid {int(lock.read_text().split()[0])})"
            raise InputError(
                f"-o '{target}' is being written by another reten process{pid}; wait for it "
                "to finish or choose another folder"
            )
        time.sleep(0.05)


def _rmtree(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            os.unlink(p)


# what reten leaves beside a target: .KEY.reten-tmp-XXXXXXXX, .KEY.reten-old-XXXXXXXX and
# .KEY.reten-lock (nothing else is ever swept)
_LEFT = re.compile(
    r"\.(?P<key>[A-Za-z0-9_][A-Za-z0-9._+-]{0,119}|h-[0-9a-f]{20})"
    r"\.reten-(?:(?P<tag>tmp|old)-[0-9a-f]{8}|lock)"
)


def _left_behind(names: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """Return {key: [(name, "tmp" | "old" | "lock")]} for the names reten leaves."""
    found: dict[str, list[tuple[str, str]]] = {}
    for n in sorted(names):
        m = _LEFT.fullmatch(n)
        if m:
            found.setdefault(m["key"], []).append((n, m["tag"] or "lock"))
    return found


def _sweep_key(parent: Path, key: str, names: list[tuple[str, str]]) -> None:
    """Remove orphans of ``key`` (its lock is held by us): temp folders, parked outputs."""
    target = parent / key
    for n, tag in names:
        if tag == "tmp":
            _rmtree(parent / n)
    for n, tag in names:
        if tag != "old" or not os.path.lexists(parent / n):
            continue
        if not os.path.lexists(target) and _key(key) == key:
            os.rename(parent / n, target)  # a swap was cut between its two renames: put it back
        elif os.path.lexists(target):
            _rmtree(parent / n)


def sweep(parent: str | os.PathLike[str], *, holding: str | None = None) -> int:
    """Remove what killed reten processes left in folder ``parent``; return how many.

    A target's temporary folders are orphans exactly when nobody holds its lock, so for each
    such name the lock is tried (without waiting) before anything is removed. ``holding`` is
    the key whose lock the caller already holds. Only names of reten's own pattern
    (``.KEY.reten-tmp-XXXXXXXX``, ``.KEY.reten-old-XXXXXXXX``, ``.KEY.reten-lock``) are
    touched.
    """
    parent = Path(parent)
    try:
        left = _left_behind(os.listdir(parent))
    except OSError:
        return 0
    removed = 0
    for key, names in left.items():
        if key == holding:
            _sweep_key(parent, key, names)
            continue
        lock = parent / f".{key}{_LOCK}"
        fd = _try_lock(lock)
        if fd is None:
            continue  # a live process is writing that target
        try:
            _sweep_key(parent, key, names)
        finally:
            _unlock(lock, fd)
        removed += len(names)
    return removed


_libc: ctypes.CDLL | None
try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _renameat2 = _libc.renameat2
    _renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    _renameat2.argtypes.append(ctypes.c_uint)
    _renameat2.restype = ctypes.c_int
except (OSError, AttributeError, TypeError):
    _libc = None
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2


def _rename2(src: Path, dst: Path, flags: int) -> bool:
    """Call renameat2; return False when the system or file system does not offer it."""
    if _libc is None:
        return False
    rc = _renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), os.fspath(dst))


def _swap_in(tmp: Path, target: Path) -> None:
    """Put folder or file ``tmp`` at ``target`` atomically; remove what was there."""
    if os.path.lexists(target):
        if _rename2(tmp, target, _RENAME_EXCHANGE):
            _rmtree(tmp)  # tmp now holds the previous output
            return
        if not target.is_dir():
            os.replace(tmp, target)  # a file over a file: rename(2) is atomic
            return
        old = target.parent / f".{_key(target.name)}{_OLD}{secrets.token_hex(4)}"
        os.rename(target, old)
        os.rename(tmp, target)
        _rmtree(old)
        return
    if not _rename2(tmp, target, _RENAME_NOREPLACE):
        os.rename(tmp, target)


def _fix_modes(root: Path, mask: int) -> None:
    """Give ``root`` and everything in it the modes the user's umask asks for."""
    dmode, fmode = 0o777 & ~mask, 0o666 & ~mask
    if root.is_dir():
        os.chmod(root, dmode)
        for d, dirs, files in os.walk(root):
            for n in dirs:
                os.chmod(os.path.join(d, n), dmode)
            for n in files:
                p = os.path.join(d, n)
                if not os.path.islink(p):
                    os.chmod(p, fmode)
    elif not root.is_symlink():
        os.chmod(root, fmode)


def _make_parents(p: Path) -> list[Path]:
    """Create the missing folders above ``p``; return those created (deepest last)."""
    made: list[Path] = []
    missing = []
    q = p.parent
    while not os.path.lexists(q):
        missing.append(q)
        q = q.parent
    for d in reversed(missing):
        try:
            os.mkdir(d)
        except FileExistsError:
            continue
        except OSError as exc:
            _remove_made(made)
            raise InputError(f"cannot create folder '{d}' ({exc.strerror})") from None
        made.append(d)
    return made


def _remove_made(made: list[Path]) -> None:
    for d in reversed(made):
        with contextlib.suppress(OSError):
            os.rmdir(d)


def _mkdir_tmp(parent: Path, key: str) -> Path:
    while True:
        tmp = parent / f".{key}{_TMP}{secrets.token_hex(4)}"
        try:
            os.mkdir(tmp, 0o777)  # the umask applies (mkdtemp would make it 0700)
            return tmp
        except FileExistsError:
            continue


def _write_marker(tmp: Path, kind: str) -> None:
    from reten import __version__

    if kind == "output" and _legacy_kind(tmp) == "network":
        kind = "network"  # a network saved through the Python API is still a network
    entries = sorted(n for n in os.listdir(tmp) if n != MARKER)
    files = []
    for d, dirs, names in os.walk(tmp):
        dirs.sort()
        rel = Path(d).relative_to(tmp)
        for n in dirs + names:
            if not _is_our_litter(n) and (d != os.fspath(tmp) or n != MARKER):
                files.append((rel / n).as_posix())
    doc = {
        "written_by": "reten",
        "version": __version__,
        "kind": kind,
        "entries": entries,
        "files": sorted(files),
    }
    (tmp / MARKER).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _find_open(path: Path) -> tuple[_Txn, Path] | None:
    """Return the open transaction containing ``path`` and the path's place in its temp."""
    ap = Path(os.path.abspath(path))
    for txn in reversed(_OPEN.get()):
        for root in (txn.given, txn.target):
            if _is_within(ap, root):
                return txn, txn.tmp / ap.relative_to(root)
        rp = _real(ap)
        if _is_within(rp, txn.target):
            return txn, txn.tmp / rp.relative_to(txn.target)
    return None


# ---------------------------------------------------------------------------------------------
# the public context managers


@contextlib.contextmanager
def output_dir(
    out: str | os.PathLike[str],
    *,
    kind: str = "output",
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
    flag: str = "-o",
) -> Iterator[Path]:
    """Write folder ``out`` as one transaction; yield the temporary folder to write into.

    The folder is checked (:func:`check_output_dir`), locked and swept of orphans first, so a
    mistake fails before any work. Writers called inside the block with ``out`` (or a path in
    it) as their target (:func:`atomic_dir`, :func:`atomic_write_bytes`) write into the
    temporary folder. On success the folder, with a marker naming what reten wrote, replaces
    ``out`` in one step; on an exception nothing changes.

    Raises
    ------
    InputError
        When ``out`` may not be written (see the module docstring) or another reten process is
        writing it.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> with output_dir(d / "run", kind="run") as tmp:
    ...     _ = (tmp / "a.csv").write_text("x\\n1\\n")
    >>> sorted(p.name for p in (d / "run").iterdir())
    ['.reten-output.json', 'a.csv']
    >>> sorted(p.name for p in d.iterdir())
    ['run']
    """
    target = check_output_dir(out, kind=kind, overwrite=overwrite, inputs=inputs, flag=flag)
    given = Path(os.path.abspath(out))
    with _transaction(target, given, file_name=None, flag=flag, shown=os.fspath(out)) as tmp:
        yield tmp
        # the folder may have changed while we worked
        check_output_dir(out, kind=kind, overwrite=overwrite, inputs=inputs, flag=flag)
        _write_marker(tmp, kind)


@contextlib.contextmanager
def output_file(
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
    flag: str = "-o",
) -> Iterator[Path]:
    """Write file ``out`` as one transaction; yield the temporary path to write to.

    The temporary path has the same name as ``out`` (so writers that choose a format by
    suffix work), inside a temporary folder beside it. See :func:`check_output_file`.
    """
    target = check_output_file(out, overwrite=overwrite, inputs=inputs, flag=flag)
    given = Path(os.path.abspath(out))
    name = _short_name(target)
    with _transaction(target, given, file_name=name, flag=flag, shown=os.fspath(out)) as tmpdir:
        yield tmpdir / name
        if not (tmpdir / name).is_file():
            raise RuntimeError(f"the writer of {target} wrote nothing")


def _keep_mode(target: Path, new: Path) -> None:
    """Give ``new`` the permissions of the ``target`` it replaces, if any: a folder the user
    made private (``chmod 700``) stays private when reten writes its output there."""
    try:
        st = os.stat(target, follow_symlinks=False)
    except OSError:
        return
    if stat.S_ISDIR(st.st_mode) == new.is_dir():
        with contextlib.suppress(OSError):
            os.chmod(new, stat.S_IMODE(st.st_mode))


def _short_name(target: Path) -> str:
    """Return a short name with ``target``'s suffix, for a file written in a temp folder.

    Writers may add their own temporary suffixes; a 255-byte target name must leave room.
    """
    suffix = target.suffix if len(os.fsencode(target.suffix)) <= 16 else ""
    return "output" + suffix


# errors of the file system an output is written to (never of reading an input)
_STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})
# errors that concern the output only when they name a path of it
_PATH_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EBUSY, errno.EXDEV, errno.EIO})
_HINTS = {
    errno.ENOSPC: "free some space or choose another folder",
    errno.EDQUOT: "free some space or choose another folder",
    errno.EROFS: "choose a folder you can write to",
    errno.EACCES: "choose a folder you can write to",
    errno.EPERM: "choose a folder you can write to",
}


def _disk_full(folder: Path) -> bool:
    with contextlib.suppress(OSError, AttributeError):
        return os.statvfs(folder).f_bavail == 0
    return False


def _write_failure(
    exc: Exception, target: Path, flag: str, shown: str, *, full: bool
) -> Exception | None:
    """Return the one-line error for ``exc`` raised while an output was written, or None
    when ``exc`` is not about storing the output (a bug, a bad input: passed on as it is).

    An OSError of the file system (disk full, quota, read-only) always is; a permission or
    I/O error when it names a path of the output; any other error of a writer (GDAL's, for
    one) when the output's file system was ``full`` when it was raised.
    """
    if isinstance(exc, (InputError, OutputError)):
        return None
    code: int | None = None
    where = target.parent
    if isinstance(exc, OSError) and exc.errno is not None:
        paths = [Path(os.path.abspath(f)) for f in (exc.filename, exc.filename2) if f]
        ours = [q for q in paths if _is_within(q, target.parent)]
        if exc.errno in _STORAGE_ERRNOS or (exc.errno in _PATH_ERRNOS and ours):
            code = exc.errno
    if code is None and (full or _disk_full(target.parent)):
        code = errno.ENOSPC
    if code is None:
        return None
    reason = os.strerror(code)
    reason = reason[:1].lower() + reason[1:]
    hint = _HINTS.get(code, "choose another folder")
    line = (
        f"{flag} '{shown}': writing the output failed ({reason}, in '{where}'); "
        f"nothing was changed: {hint}"
    )
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return InputError(line)  # the folder the user chose cannot be written: exit 2
    return OutputError(code, line)


@contextlib.contextmanager
def _transaction(
    target: Path,
    given: Path,
    *,
    file_name: str | None,
    flag: str = "-o",
    shown: str | None = None,
) -> Iterator[Path]:
    """Run the write of ``target`` (see the module docstring); yield the temporary folder.

    An error of the file system while the output is written or swapped in (disk full,
    read-only, permission) ends as one line naming the output (:func:`_write_failure`).
    """
    full = False
    try:
        with _transaction_steps(target, given, file_name=file_name) as tmp:
            try:
                yield tmp
            except Exception:
                full = _disk_full(target.parent)  # before the temporary output is removed
                raise
    except Exception as exc:
        err = _write_failure(exc, target, flag, shown or os.fspath(given), full=full)
        if err is None:
            raise
        raise err from exc


@contextlib.contextmanager
def _transaction_steps(target: Path, given: Path, *, file_name: str | None) -> Iterator[Path]:
    mask = umask()
    made = _make_parents(target)
    held: tuple[Path, int] | None = None
    tmp: Path | None = None
    ok = False
    token = None
    try:
        # signals are held back from creating the lock file (and the temporary folder) until
        # its name is kept for the clean-up below: a Ctrl-C in between once left it behind
        with _blocked_signals():
            held = _acquire(target)
        sweep(target.parent, holding=_key(target.name))
        with _blocked_signals():
            tmp = _mkdir_tmp(target.parent, _key(target.name))
        token = _OPEN.set((*_OPEN.get(), _Txn(target=target, given=given, tmp=tmp)))
        yield tmp
        _OPEN.reset(token)
        token = None
        with _blocked_signals():
            new = tmp if file_name is None else tmp / file_name
            _fix_modes(new, mask)
            _keep_mode(target, new)
            _swap_in(new, target)
            if file_name is not None:
                _rmtree(tmp)
            ok = True
    finally:
        if token is not None:
            _OPEN.reset(token)
        with _blocked_signals():
            if not ok and tmp is not None:
                _rmtree(tmp)
            if held is not None:
                _unlock(*held)
            if not ok:
                _remove_made(made)


@contextlib.contextmanager
def atomic_dir(
    target: str | os.PathLike[str], *, kind: str = "output", overwrite: bool = False
) -> Iterator[Path]:
    """Yield a temporary folder that replaces folder ``target`` when the block succeeds.

    Inside an open :func:`output_dir` whose folder holds ``target``, the temporary folder is
    the matching place in that transaction (the whole command stays one atomic step).
    Otherwise this is :func:`output_dir` with the same rules: a folder reten did not write is
    refused unless ``overwrite``.
    """
    found = _find_open(Path(os.fspath(target)))
    if found is None:
        with output_dir(target, kind=kind, overwrite=overwrite) as tmp:
            yield tmp
        return
    _, place = found
    if place == found[0].tmp:
        yield place
        return
    place.parent.mkdir(parents=True, exist_ok=True)
    part = place.parent / f".{_key(place.name)}{_TMP}{secrets.token_hex(4)}"
    os.mkdir(part)
    try:
        yield part
    except BaseException:
        _rmtree(part)
        raise
    if os.path.lexists(place):
        _rmtree(place)
    _write_marker(part, kind)
    os.rename(part, place)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to file ``path`` through a temporary file and an atomic rename.

    Inside an open :func:`output_dir` holding ``path``, the file goes into its temporary
    folder. Otherwise an existing file at ``path`` is replaced (the caller chose the name),
    under the same lock and sweep as any output.
    """
    found = _find_open(Path(os.fspath(path)))
    if found is None:
        target, given = _resolve_target(path, "path")
        name = _short_name(target)
        with _transaction(
            target, given, file_name=name, flag="path", shown=os.fspath(path)
        ) as tmpdir:
            (tmpdir / name).write_bytes(data)
        return
    dest = found[1]
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.parent / f".{_key(dest.name)}{_TMP}{secrets.token_hex(4)}"
    try:
        part.write_bytes(data)
        os.replace(part, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(part)
        raise
