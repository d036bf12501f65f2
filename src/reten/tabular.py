"""Reading the CSV tables users bring (edge lists, node tables, ports), failing in one line.

Spreadsheet dialects are read as they come: UTF-8 with or without a byte-order mark, CRLF or
LF line ends, a delimiter among ``,`` ``;`` tab and ``|`` (sniffed from the header line), and
a decimal comma when the delimiter is ``;``. Text is compared in Unicode NFC, so ids typed
on different systems match. Every problem is an :class:`reten.errors.InputError` whose one
line names the file, the line, the field and what would be valid.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from reten.atomic import article
from reten.errors import InputError

DELIMITERS = (",", ";", "\t", "|")
"""Delimiters recognised, in order of preference when the header line has none."""

_DELIM_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_MISSING = {"", "null", "none", "nan", "n/a", "#n/a"}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$|^[+-]?\d+,$")


def nfc(text: str) -> str:
    """Return ``text`` stripped of surrounding space and in Unicode normal form NFC.

    >>> nfc(" Cafe\\u0301 ") == "Caf\\u00e9"
    True
    """
    return unicodedata.normalize("NFC", text.strip())


#: data files that are not text tables, by extension: (what the file is, its family)
DATA_FILES = {
    ".shp": ("a shapefile", "vector"),
    ".shx": ("a shapefile index", "vector"),
    ".dbf": ("a shapefile table (dBASE)", "vector"),
    ".gpkg": ("a GeoPackage", "vector"),
    ".geojson": ("a GeoJSON file", "vector"),
    ".topojson": ("a TopoJSON file", "vector"),
    ".json": ("a JSON file", "text"),
    ".fgb": ("a FlatGeobuf file", "vector"),
    ".gdb": ("a File Geodatabase", "vector"),
    ".kml": ("a KML file", "vector"),
    ".kmz": ("a KMZ file", "vector"),
    ".gml": ("a GML file", "vector"),
    ".parquet": ("a Parquet file", "binary"),
    ".geoparquet": ("a GeoParquet file", "vector"),
    ".pbf": ("an OpenStreetMap extract (PBF)", "osm"),
    ".osm": ("an OpenStreetMap extract (XML)", "osm"),
    ".xlsx": ("an Excel workbook", "binary"),
    ".xls": ("an Excel workbook", "binary"),
    ".ods": ("a spreadsheet (ODS)", "binary"),
    ".zip": ("a zip archive", "binary"),
    ".gz": ("a compressed file", "binary"),
    ".toml": ("a TOML file", "text"),
}

#: (leading bytes, what the file is, its family) of binary data files whatever their name
_MAGIC = (
    (b"\x00\x00\x27\x0a", "a shapefile", "vector"),
    (b"SQLite format 3\x00", "a GeoPackage or SQLite database", "vector"),
    (b"fgb\x03", "a FlatGeobuf file", "vector"),
    (b"PAR1", "a Parquet file", "binary"),
    (b"PK\x03\x04", "a zip archive or Excel workbook", "binary"),
    (b"\x1f\x8b", "a compressed (gzip) file", "binary"),
)


def data_file_kind(path: str | os.PathLike[str], head: bytes) -> tuple[str, str] | None:
    """Return ``(what the file is, family)`` when a file is a data file, not a text table.

    ``head`` is the file's first bytes. The family is ``vector`` (a GIS vector file: road
    lines or points), ``osm`` (an OpenStreetMap extract), ``binary`` (another binary file)
    or ``text`` (a text file of another kind). Known extensions decide first, then leading
    bytes (magic numbers, an OSM PBF header), then a NUL byte (binary content). None for
    anything else (a CSV, TSV or plain text file of any name).

    Examples
    --------
    >>> data_file_kind("roads.shp", b"")
    ('a shapefile', 'vector')
    >>> data_file_kind("roads.csv", b"SQLite format 3\\x00...")
    ('a GeoPackage or SQLite database', 'vector')
    >>> data_file_kind("e.csv", b"source,target,length_m") is None
    True
    """
    name = os.fspath(path).lower()
    ext = os.path.splitext(name)[1]
    if ext in DATA_FILES:
        return DATA_FILES[ext]
    for magic, what, family in _MAGIC:
        if head.startswith(magic):
            return what, family
    if b"OSMHeader" in head[:64]:
        return "an OpenStreetMap extract (PBF)", "osm"
    if head.lstrip()[:5] == b"<?xml" and b"<osm" in head[:1024]:
        return "an OpenStreetMap extract (XML)", "osm"
    if b"\x00" in head:
        return "binary content", "binary"
    return None


def read_text(
    path: str | os.PathLike[str], *, what: str = "file", hints: dict[str, str] | None = None
) -> str:
    """Return the text of a UTF-8 file (a byte-order mark is dropped).

    A data file that is not text (:func:`data_file_kind`: a shapefile, GeoPackage, OSM
    extract, Parquet file, ...) is refused in one line naming what it is, followed by
    ``hints[family]`` (or ``hints[""]``): which option reads such a file.

    Raises
    ------
    InputError
        The file is missing, unreadable, a data file that is not text, or not UTF-8 (the
        message gives the first line that is not).
    """
    p = str(path)
    if not os.path.exists(p):
        raise InputError(f"{p}: {what} not found")
    if not os.path.isfile(p):
        raise InputError(f"{p}: not a file ({article(what)} {what} is expected)")
    try:
        with open(p, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None
    kind = data_file_kind(p, raw[:4096])
    if kind is not None:
        hint = (hints or {}).get(kind[1]) or (hints or {}).get("") or "save it as UTF-8 CSV text"
        raise InputError(f"{p}: {kind[0]}, not {article(what)} {what}; {hint}")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{p}: line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8; "
            "save the file as UTF-8 text"
        ) from None


def sniff_delimiter(header: str) -> str:
    """Return the delimiter of a header line: the most frequent of ``, ; tab |`` (``,``).

    >>> sniff_delimiter("id;lon;lat")
    ';'
    """
    counts = [header.count(d) for d in DELIMITERS]
    best = max(range(len(DELIMITERS)), key=lambda i: (counts[i], -i))
    return DELIMITERS[best] if counts[best] else ","


@dataclass(frozen=True)
class Table:
    """A CSV table read as text: NFC-normalised, stripped cells, and their line numbers.

    Attributes
    ----------
    path : str
        The file, as named in messages.
    columns : list of str
        Header names as written (stripped, NFC).
    cells : dict of str to list of str
        Column -> one cell per data row.
    lines : int64 (rows,)
        The file line each data row starts on (1-based; the header is line 1 or later).
    delimiter : str
        The delimiter found.
    """

    path: str
    columns: list[str]
    cells: dict[str, list[str]]
    lines: np.ndarray
    delimiter: str

    def __len__(self) -> int:
        return int(self.lines.shape[0])

    def find(self, *names: str) -> str | None:
        """Return the first column whose name matches one of ``names`` (any case), or None."""
        low = {c.lower(): c for c in self.columns}
        for nm in names:
            if nm.lower() in low:
                return low[nm.lower()]
        return None

    def require(self, *names: str, example: str = "") -> list[str]:
        """Return the columns ``names`` (matched in any case), or raise naming those missing."""
        found = [self.find(nm) for nm in names]
        missing = [nm for nm, c in zip(names, found, strict=True) if c is None]
        if missing:
            raise InputError(
                f"{self.path}: missing column(s) {', '.join(missing)}; need "
                f"{example or ','.join(names)} (found: {', '.join(self.columns) or 'none'}; "
                f"delimiter read as {_DELIM_NAMES[self.delimiter]})"
            )
        return [c for c in found if c is not None]

    def where(self, row: int, column: str) -> str:
        """Return ``"PATH: line L, field COLUMN"`` for messages."""
        return f"{self.path}: line {int(self.lines[row])}, field {column}"

    def ids(self, column: str, *, unique: bool = False) -> list[str]:
        """Return the ids of ``column``; empty or NULL ids (and repeats if ``unique``) raise."""
        vals = self.cells[column]
        first: dict[str, int] = {}
        for i, v in enumerate(vals):
            if v.lower() in _MISSING:
                raise InputError(
                    f"{self.where(i, column)}: id is {'empty' if not v else repr(v)}; "
                    "every row needs an id"
                )
            if unique:
                j = first.setdefault(v, i)
                if j != i:
                    raise InputError(
                        f"{self.where(i, column)}: id {v!r} repeats line {int(self.lines[j])}; "
                        "ids must be unique"
                    )
        return vals

    def numbers(
        self,
        column: str,
        *,
        lo: float = -math.inf,
        hi: float = math.inf,
        lo_open: bool = False,
        hi_open: bool = False,
        empty: float | None = None,
        valid: str = "",
    ) -> np.ndarray:
        """Return ``column`` as finite float64 numbers in the given range.

        ``empty`` is the value of an empty cell (None: an empty cell is an error). With the
        ``;`` delimiter a decimal comma (``2000,5``) is read as a decimal point.
        """
        out = np.empty(len(self), dtype=np.float64)
        comma = self.delimiter == ";"
        for i, v in enumerate(self.cells[column]):
            if v == "" and empty is not None:
                out[i] = empty
                continue
            x = _number(v, comma)
            ok = x is not None and math.isfinite(x)
            if ok and x is not None:
                ok = (x > lo if lo_open else x >= lo) and (x < hi if hi_open else x <= hi)
            if not ok or x is None:
                rng = valid or _range_text(lo, hi, lo_open, hi_open)
                shown = repr(v) if v else "empty"
                raise InputError(f"{self.where(i, column)}: {shown} is not {rng}")
            out[i] = x
        return out

    def try_numbers(self, column: str) -> np.ndarray | None:
        """Return ``column`` as float64 when every cell is a finite number, else None."""
        comma = self.delimiter == ";"
        vals = [_number(v, comma) for v in self.cells[column]]
        if not vals or any(x is None or not math.isfinite(x) for x in vals):
            return None
        return np.asarray(vals, dtype=np.float64)


def _number(text: str, decimal_comma: bool) -> float | None:
    if decimal_comma and _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    if "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _range_text(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    if math.isinf(lo) and math.isinf(hi):
        return "a finite number"
    if math.isinf(hi):
        return f"a number {'>' if lo_open else '>='} {lo:g}"
    if math.isinf(lo):
        return f"a number {'<' if hi_open else '<='} {hi:g}"
    return f"a number in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"


def read_table(
    path: str | os.PathLike[str], *, what: str = "CSV file", hints: dict[str, str] | None = None
) -> Table:
    """Return the table in CSV file ``path`` (see the module notes for the dialects read).

    Blank lines are skipped. Every row must have as many fields as the header.

    Raises
    ------
    InputError
        Missing file, a data file that is not text (``hints`` as in :func:`read_text`),
        not UTF-8, no header, repeated column names, a row with the wrong number of
        fields, or broken quoting; the message names the file and line.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbfsource;target;length_m\\r\\na;b;2000,5\\r\\n")
    >>> t = read_table(p)
    >>> t.columns, t.numbers("length_m").tolist(), t.lines.tolist()
    (['source', 'target', 'length_m'], [2000.5], [2])
    """
    p = str(path)
    text = read_text(p, what=what, hints=hints)
    lines = text.splitlines()
    head_at = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if head_at is None:
        raise InputError(f"{p}: the file is empty; a header line naming the columns is expected")
    delim = sniff_delimiter(lines[head_at])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    starts: list[int] = []
    last = 0
    try:
        for rec in reader:
            start = last + 1
            last = reader.line_num
            if not rec or all(not c.strip() for c in rec):
                continue
            if header is None:
                header = [nfc(c) for c in rec]
                _check_header(p, header, start)
                continue
            if len(rec) != len(header):
                raise InputError(
                    f"{p}: line {start}: {len(rec)} fields but the header has {len(header)} "
                    f"(delimiter: {_DELIM_NAMES[delim]})"
                )
            rows.append([nfc(c) for c in rec])
            starts.append(start)
    except csv.Error as exc:
        raise InputError(f"{p}: line {reader.line_num}: {exc}; check the quoting") from None
    if header is None or not any(header):
        raise InputError(
            f"{p}: the file has no header line; a first line naming the columns is expected"
        )
    cells = {c: [r[j] for r in rows] for j, c in enumerate(header)}
    return Table(p, header, cells, np.asarray(starts, dtype=np.int64), delim)


def _check_header(path: str, header: Iterable[str], line: int) -> None:
    seen: set[str] = set()
    for c in header:
        if not c:
            raise InputError(f"{path}: line {line}: a column has no name in the header")
        if c.lower() in seen:
            raise InputError(f"{path}: line {line}: column {c!r} appears twice in the header")
        seen.add(c.lower())
