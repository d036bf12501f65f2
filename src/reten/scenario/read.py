"""The Scenario: read from TOML or a dict, checked against the schema, varied in code."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reten.errors import InputError
from reten.scenario import schema


class _Lines:
    """Map field paths (``origins[2].volume_kg``) to line numbers in the TOML text."""

    def __init__(self, text: str = "") -> None:
        self.lines: dict[str, int] = {}
        table = ""
        counts: dict[str, int] = {}
        for i, raw in enumerate(text.splitlines(), 1):
            ln = raw.strip()
            if ln.startswith("[["):
                name = ln.strip("[] ").split("#")[0].strip()
                counts[name] = counts.get(name, -1) + 1
                table = f"{name}[{counts[name]}]"
                self.lines.setdefault(table, i)
                self.lines.setdefault(name, i)  # the array itself: its first table
            elif ln.startswith("["):
                table = ln.strip("[] ").split("#")[0].strip()
                self.lines.setdefault(table, i)
            elif "=" in ln and not ln.startswith("#"):
                key = ln.split("=", 1)[0].strip().strip('"')
                self.lines.setdefault(f"{table}.{key}" if table else key, i)

    def line(self, path: str) -> int | None:
        """Return the line of ``path`` (or of the nearest table holding it), or None when
        the file does not write it: a message then names the file and the field, never a
        line that is not the field's."""
        p = path
        while p:
            if p in self.lines:
                return self.lines[p]
            if p.endswith("]") and "[" in p and p.rsplit(".", 1)[-1].count("[") > 0:
                p = p[: p.rindex("[")]
            else:
                p = p.rsplit(".", 1)[0] if "." in p else ""
        return None


def _canonical_hash(data: Mapping[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


MAX_DEPTH = 16
"""No scenario value nests deeper than this (lists of tables of lists...)."""


def _too_deep(data: Any) -> str | None:
    """Return the field path of the first value nested deeper than MAX_DEPTH, else None."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        v, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return where or "(top)"
        if isinstance(v, Mapping):
            stack += [(x, f"{where}.{k}" if where else str(k), depth + 1) for k, x in v.items()]
        elif isinstance(v, list | tuple):
            # every item (a nesting after item 1,000 counts too); scalars need no visit
            stack += [
                (x, f"{where}[{i}]", depth + 1)
                for i, x in enumerate(v)
                if isinstance(x, Mapping | list | tuple)
            ]
    return None


_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(-?\d+)\]")


def _steps(key_path: str) -> list[str | int]:
    """Split ``"enforcement[0].p_detect"`` into ``["enforcement", 0, "p_detect"]``."""
    out: list[str | int] = []
    for part in key_path.split("."):
        for m in _STEP.finditer(part):
            out.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
    joined = "".join(f".{s}" if isinstance(s, str) else f"[{s}]" for s in out).lstrip(".")
    if not out or joined != key_path:
        raise InputError(f"key path '{key_path}': write keys and indices as 'a[0].b'")
    return out


#: extensions of the data files a scenario names but never is (what they hold)
_DATA_FILES = {
    ".shp": "a shapefile",
    ".shx": "a shapefile index",
    ".dbf": "a shapefile table",
    ".gpkg": "a GeoPackage",
    ".geojson": "a GeoJSON file",
    ".json": "a JSON file",
    ".csv": "a CSV table",
    ".parquet": "a Parquet table",
    ".pbf": "an OpenStreetMap extract",
    ".osm": "an OpenStreetMap extract",
    ".zip": "a zip archive",
    ".gz": "a compressed file",
    ".html": "an HTML page",
}


def _refuse_non_scenario(p: str, raw: bytes) -> None:
    """Raise InputError when ``raw`` (the bytes of file ``p``) cannot be a scenario: a known
    data file by its extension, or binary content (a NUL byte) in a file not named .toml.

    Examples
    --------
    >>> _refuse_non_scenario("roads.shp", b"\\x00\\x00\\x27\\x0a")
    Traceback (most recent call last):
    ...
    reten.errors.InputError: roads.shp: a shapefile, not a scenario TOML file; build a ...
    """
    suffix = Path(p).suffix.lower()
    what = _DATA_FILES.get(suffix)
    if what is None and b"\x00" in raw[:65536]:
        what = "binary content"
    if what is not None:
        from reten.errors import BUILD_OPTIONS, fresh_folder

        marker = Path(p).parent / ".reten-output.json"
        if marker.is_file():  # a file reten wrote: an output, not an input
            raise InputError(
                f"{p}: {what} that reten wrote (an output in '{Path(p).parent}'), not a "
                "scenario TOML file; give the scenario .toml that run was made from (its "
                "provenance.json names it)"
            )
        option = BUILD_OPTIONS.get(suffix)
        if option is None:
            raise InputError(
                f"{p}: {what}, not a scenario TOML file; give a scenario .toml "
                "(see docs/scenarios.md)"
            )
        net = fresh_folder(p)
        raise InputError(
            f"{p}: {what}, not a scenario TOML file; build a network from it with "
            f"`reten network build {option} {p} -o {net}` and name that folder in a "
            f'scenario\'s [network] (path = "{net}", relative to the scenario file; see '
            "docs/scenarios.md), then run the scenario"
        )


@dataclass(frozen=True, eq=False)
class Scenario:
    """A scenario in human terms: checked, immutable, ready to resolve on a network.

    Build one with :meth:`from_toml` or :meth:`from_dict`; derive variants with
    :meth:`replace`, :meth:`add_enforcement` and :meth:`remove_enforcement` (each returns
    a new Scenario, checked again). The keys are documented in ``docs/scenarios.md`` and
    declared once in :mod:`reten.scenario.schema`.

    Attributes
    ----------
    path : str
        The file the scenario came from (``"<dict>"`` for a dict); used in messages and
        to resolve a relative ``network.path``.
    data : dict
        The scenario as written (a deep copy: changing it changes nothing).
    spec : dict
        The checked scenario with every default filled in.
    sha256 : str
        SHA-256 of the TOML file's bytes as stored (what ``sha256sum`` prints; a BOM or
        CRLF line ends included), of the UTF-8 text for :meth:`from_text`, or of the
        canonical JSON of ``data`` for a dict or variant.

    Examples
    --------
    >>> sc = Scenario.from_dict({"origins": [{"municipality": "Culiacán", "volume_kg": 100}]})
    >>> sc.spec["risk_weight"], sc.name
    (0.0, 'scenario')
    >>> sc2 = sc.replace("origins[0].volume_kg", 250)
    >>> sc2.data["origins"][0]["volume_kg"], sc.data["origins"][0]["volume_kg"]
    (250, 100)
    """

    path: str
    data: dict[str, Any]
    spec: dict[str, Any] = field(repr=False)
    sha256: str = field(repr=False)
    lines: _Lines = field(repr=False, default_factory=_Lines)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Scenario:
        """Return the scenario in the TOML file ``path``.

        Parameters
        ----------
        path : str or path-like
            A UTF-8 TOML file (see ``docs/scenarios.md``).

        Returns
        -------
        Scenario

        Raises
        ------
        InputError
            One line ``FILE:LINE: field.path: what is wrong; what is valid``: a missing or
            unreadable file, text that is not UTF-8, invalid TOML, an unknown key, a value
            of the wrong type or out of range.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
        >>> _ = p.write_text('[[origins]]\\nstate = "Sinaloa"\\nvolume_kg = -1\\n')
        >>> Scenario.from_toml(p)
        Traceback (most recent call last):
        ...
        reten.errors.InputError: ...s.toml:3: origins[0].volume_kg: -1 is not valid; ...
        """
        p = str(path)
        try:
            raw = Path(p).read_bytes()
        except FileNotFoundError:
            raise InputError(f"{p}: file not found") from None
        except IsADirectoryError:
            raise InputError(f"{p}: is a directory, not a scenario file") from None
        except OSError as exc:
            raise InputError(f"{p}: cannot read ({exc.strerror})") from None
        _refuse_non_scenario(p, raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError(
                f"{p}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                "save the scenario as UTF-8"
            ) from None
        # the hash is of the file's bytes (BOM and line ends included): the scenario_sha256
        # a result records is what `sha256sum scenario.toml` prints
        return cls._parse(text, p, hashlib.sha256(raw).hexdigest())

    @classmethod
    def from_text(cls, text: str, path: str = "<scenario>") -> Scenario:
        """Return the scenario written in TOML ``text`` (``path`` names it in messages).

        Examples
        --------
        >>> Scenario.from_text('[[origins]]\\nnode = "a"\\nvolume_kg = 1\\n', "s.toml").name
        's'
        """
        return cls._parse(text, path, hashlib.sha256(text.encode()).hexdigest())

    @classmethod
    def _parse(cls, text: str, path: str, digest: str) -> Scenario:
        """Return the scenario in ``text``, recording ``digest`` as its SHA-256."""
        # a byte-order mark (Windows editors write one) is not part of the TOML
        text = text.removeprefix("\ufeff")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"line (\d+)", str(exc))
            msg = str(exc).split(" (at ")[0]
            raise InputError(f"{path}:{m.group(1) if m else 1}: invalid TOML ({msg})") from None
        except RecursionError:
            raise InputError(f"{path}: arrays or tables nested too deeply") from None
        lines = _Lines(text)
        spec = _check(data, path, lines)
        return cls(path, data, spec, digest, lines)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "<dict>") -> Scenario:
        """Return the scenario given as a plain dict with the keys of the TOML format.

        Parameters
        ----------
        data : mapping
            ``{"origins": [{"municipality": "Culiacán", "volume_kg": 100}], ...}``; lists of
            tables are lists of dicts.
        path : str
            Name used in messages and as the base of a relative ``network.path``.

        Raises
        ------
        InputError
            ``PATH: field.path: message`` for the first invalid key.

        Examples
        --------
        >>> Scenario.from_dict({"origins": []})
        Traceback (most recent call last):
        ...
        reten.errors.InputError: <dict>: origins: no origins; add at least one ...
        """
        if not isinstance(data, Mapping):
            raise InputError(f"{path}: a scenario is a dict of keys, got {type(data).__name__}")
        deep = _too_deep(data)
        if deep is not None:
            deep = re.sub(r"(\[\d+\]){3,}", "[0][0]...", deep)
            raise InputError(f"{path}: {deep}: nested more than {MAX_DEPTH} levels deep")
        d = copy.deepcopy(dict(data))
        spec = _check(d, path, _Lines())
        return cls(path, d, spec, _canonical_hash(d), _Lines())

    # ------------------------------------------------------------------ variants
    def replace(self, key_path: str, value: Any) -> Scenario:
        """Return a new scenario with the value at ``key_path`` replaced (or added).

        Parameters
        ----------
        key_path : str
            Keys and list indices, e.g. ``"risk_weight"``, ``"congestion.alpha"`` or
            ``"enforcement[0].p_detect"``. Missing tables on the way are created.
        value : Any
            The new value; ``None`` removes the key.

        Returns
        -------
        Scenario
            Checked again; this scenario is unchanged.

        Raises
        ------
        InputError
            When the path does not exist (an index out of range) or the new scenario is
            invalid.

        Examples
        --------
        >>> sc = Scenario.from_dict({"origins": [{"node": "a", "volume_kg": 1}]})
        >>> sc.replace("congestion.alpha", 5.0).spec["congestion"]["alpha"]
        5.0
        """
        steps = _steps(key_path)
        if _too_deep(value) is not None:
            raise InputError(f"{key_path}: nested more than {MAX_DEPTH} levels deep")
        data = copy.deepcopy(self.data)
        cur: Any = data
        for i, s in enumerate(steps[:-1]):
            nxt = steps[i + 1]
            if isinstance(s, int):
                if not isinstance(cur, list) or not -len(cur) <= s < len(cur):
                    raise InputError(f"key path '{key_path}': no item [{s}]")
                cur = cur[s]
            else:
                if not isinstance(cur, dict):
                    raise InputError(f"key path '{key_path}': '{s}' is not inside a table")
                if s not in cur:
                    cur[s] = [] if isinstance(nxt, int) else {}
                cur = cur[s]
        last = steps[-1]
        if isinstance(last, int):
            if not isinstance(cur, list) or not -len(cur) <= last < len(cur):
                raise InputError(f"key path '{key_path}': no item [{last}]")
            cur[last] = value
        elif not isinstance(cur, dict):
            raise InputError(f"key path '{key_path}': '{last}' is not inside a table")
        elif value is None:
            cur.pop(last, None)
        else:
            cur[last] = copy.deepcopy(value)
        return self._derive(data)

    def add_enforcement(self, measure: Mapping[str, Any]) -> Scenario:
        """Return a new scenario with one more ``[[enforcement]]`` measure (appended).

        Examples
        --------
        >>> sc = Scenario.from_dict({"origins": [{"node": "a", "volume_kg": 1}]})
        >>> sc = sc.add_enforcement({"type": "crackdown", "regions": ["Sinaloa"],
        ...                          "cost_multiplier": 2.0})
        >>> [e["type"] for e in sc.spec["enforcement"]]
        ['crackdown']
        """
        if _too_deep(measure) is not None:
            raise InputError(f"enforcement: the measure nests more than {MAX_DEPTH} levels")
        data = copy.deepcopy(self.data)
        data.setdefault("enforcement", []).append(copy.deepcopy(dict(measure)))
        return self._derive(data)

    def remove_enforcement(self, which: int | str) -> Scenario:
        """Return a new scenario without the measure at index ``which`` or with that label.

        Raises
        ------
        InputError
            When no measure has that index or label.

        Examples
        --------
        >>> sc = Scenario.from_dict({"origins": [{"node": "a", "volume_kg": 1}],
        ...     "enforcement": [{"type": "closure", "port": "Nogales", "label": "n"}]})
        >>> "enforcement" in sc.remove_enforcement("n").spec
        True
        >>> sc.remove_enforcement("n").spec["enforcement"]
        []
        """
        data = copy.deepcopy(self.data)
        measures = data.get("enforcement", [])
        if isinstance(which, int) and not isinstance(which, bool):
            if not -len(measures) <= which < len(measures):
                raise InputError(f"enforcement[{which}]: no such measure ({len(measures)} given)")
            del measures[which]
        else:
            idx = [i for i, e in enumerate(measures) if e.get("label") == which]
            if not idx:
                labels = ", ".join(repr(e.get("label")) for e in measures if e.get("label"))
                raise InputError(f"no enforcement measure labelled {which!r}; labels: {labels}")
            del measures[idx[0]]
        return self._derive(data)

    def _derive(self, data: dict[str, Any]) -> Scenario:
        spec = _check(data, self.path, self.lines)
        return Scenario(self.path, data, spec, _canonical_hash(data), self.lines)

    # ------------------------------------------------------------------ access
    @property
    def name(self) -> str:
        """The scenario's ``name``, else its file name without extension."""
        given = self.spec.get("name")
        if given:
            return str(given)
        return "scenario" if self.path.startswith("<") else Path(self.path).stem

    @property
    def source(self) -> str:
        """Where the scenario came from, as provenance records it beside its hash: the file
        resolved to an absolute path (a relative path would not say which file once the
        output is read elsewhere), or ``<dict>``/``<scenario>`` for one built in Python."""
        return self.path if self.path.startswith("<") else str(Path(self.path).resolve())

    @property
    def base_dir(self) -> Path:
        """The directory a relative ``network.path`` is read from."""
        return Path(self.path).parent if not self.path.startswith("<") else Path(".")

    def err(self, field: str, msg: str) -> InputError:
        """Return an InputError ``FILE:LINE: field: msg`` for this scenario."""
        return _err(self.path, self.lines)(field, msg)

    def to_dict(self) -> dict[str, Any]:
        """Return a deep copy of the scenario as written (a plain dict)."""
        return copy.deepcopy(self.data)

    def _repr_html_(self) -> str:
        from reten.report.notebook import scenario_html

        return scenario_html(self)


def _err(path: str, lines: _Lines) -> schema.Err:
    def make(field: str, msg: str) -> InputError:
        line = lines.line(field) if field else None
        where = f"{path}:{line}" if line is not None else path
        return InputError(f"{where}: {field}: {msg}" if field else f"{where}: {msg}")

    return make


def _check(data: Any, path: str, lines: _Lines) -> dict[str, Any]:
    if isinstance(data, dict) and isinstance(data.get("sweep"), dict) and "origins" not in data:
        raise InputError(
            f"{path}: this is a sweep grid ([sweep], [params], [grid]), not a scenario; run it "
            f"with 'reten sweep {path} -o DIR'"
        )
    try:
        return schema.check(data, _err(path, lines))
    except RecursionError:
        raise InputError(f"{path}: lists or tables nested too deeply") from None


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Return the scenario in the TOML file ``path`` (see :meth:`Scenario.from_toml`)."""
    return Scenario.from_toml(path)


def parse_scenario(text: str, path: str = "<scenario>") -> Scenario:
    """Return the scenario written in TOML ``text`` (see :meth:`Scenario.from_text`)."""
    return Scenario.from_text(text, path)
