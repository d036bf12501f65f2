"""Readers that fail cleanly: edge/node CSV, DIMACS, points CSV; one line naming the file."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reten.errors import InputError
from reten.network.build import read_points
from reten.network.interchange import read_dimacs, read_edge_csv
from reten.network.model import Network
from reten.tabular import read_table

EDGES = "source,target,length_m\na,b,1000\nb,c,2000\n"
NODES = "id,lon,lat\na,0.0,0.0\nb,0.01,0.0\nc,0.02,0.0\n"


def _fails(fn, *args, match: str, names: str):
    with pytest.raises(InputError) as ei:
        fn(*args)
    msg = str(ei.value)
    assert "\n" not in msg and names in msg and match in msg, msg
    return msg


@pytest.mark.parametrize(
    "edges,match",
    [
        ("source,target,length_m\na,b,-5\n", "line 2, field length_m: '-5' is not a length"),
        ("source,target,length_m\na,b,x\n", "line 2, field length_m"),
        ("source,target,length_m\na,b,nan\n", "line 2, field length_m"),
        ("source,target,length_m\na,b,inf\n", "line 2, field length_m"),
        ("source,target,length_m\na,b,\n", "line 2, field length_m: empty"),
        ("source,target,length_m\na,b,1\n,b,1\n", "line 3, field source: id is empty"),
        ("source,target,length_m\na,NULL,1\n", "line 2, field target: id is 'NULL'"),
        ("source,target\na,b\n", "missing column(s) length_m"),
        ("source,target,length_m\na,b,1,9\n", "line 2: 4 fields but the header has 3"),
        ("source,target,length_m,p_detect\na,b,1,1.0\n", "line 2, field p_detect"),
        ("source,target,length_m,p_detect\na,b,1,-0.1\n", "in [0, 1)"),
        ("source,target,length_m,road_class\na,b,1,highway\n", "valid: motorway, trunk"),
        ("source,target,length_m,road_class\na,b,1,9\n", "is not a road class"),
        ("source,target,length_m,speed_kmh\na,b,1,0\n", "field speed_kmh"),
        ("source,target,length_m,toll\na,b,1,maybe\n", "field toll"),
        ("source,target,length_m,capacity_kg\na,b,1,-1\n", "field capacity_kg"),
        ("source,source,length_m\na,b,1\n", "appears twice in the header"),
        ("", "the file is empty"),
        ("source,target,length_m\n", "no edges"),
        ('source,target,length_m\n"a,b,1\n', "line 2"),
    ],
)
def test_edge_csv_errors_name_file_line_and_field(tmp_path, edges, match):
    p = tmp_path / "edges.csv"
    p.write_text(edges)
    _fails(read_edge_csv, p, match=match, names=str(p))


def test_not_utf8_names_the_line(tmp_path):
    p = tmp_path / "edges.csv"
    p.write_bytes(b"source,target,length_m\na,b,1\nM\xe9xico,b,2\n")
    _fails(read_edge_csv, p, match="line 3: byte 0xe9 is not UTF-8", names=str(p))


@pytest.mark.parametrize(
    "nodes,match",
    [
        ("id,lon,lat\na,0,0\nb,0,0\na,1,1\nc,0,0\n", "line 4, field id: id 'a' repeats line 2"),
        ("id,lon,lat\na,0,0\nb,nan,0\nc,0,0\n", "line 3, field lon: 'nan' is not a longitude"),
        ("id,lon,lat\na,0,0\nb,0,inf\nc,0,0\n", "line 3, field lat"),
        ("id,lon,lat\na,0,0\nb,200,0\nc,0,0\n", "-180 to 180"),
        ("id,lon,lat\na,0,0\nb,0,0\n", "field target: node 'c' is not an id of"),
        ("id,x\na,0\n", "missing column(s) lon, lat"),
    ],
)
def test_node_csv_errors(tmp_path, nodes, match):
    e = tmp_path / "edges.csv"
    e.write_text(EDGES)
    n = tmp_path / "nodes.csv"
    n.write_text(nodes)
    with pytest.raises(InputError) as ei:
        read_edge_csv(e, n)
    msg = str(ei.value)
    assert "\n" not in msg and match in msg and ("nodes.csv" in msg or "edges.csv" in msg), msg


def test_ids_are_compared_in_nfc(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Cañada")
    composed = unicodedata.normalize("NFC", "Cañada")
    assert decomposed != composed
    e = tmp_path / "edges.csv"
    e.write_text(f"source,target,length_m\n{decomposed},b,5\n")
    n = tmp_path / "nodes.csv"
    n.write_text(f"id,lon,lat\n{composed},0,0\nb,0.01,0\n")
    net = read_edge_csv(e, n)
    assert net.n_arcs == 1 and net.node_index()[composed] == 0


@pytest.mark.parametrize(
    "text,match",
    [
        (
            "c neg\np sp 3 3\na 1 2 -5\na 2 3 10\na 1 3 20\n",
            "line 3, field W: weight '-5' is negative",
        ),
        ("p sp 3 2\na 1 2 5\na 2 4 10\n", "line 3, field V: node '4' is not an integer in 1..3"),
        ("p sp 3 1\na 1 x 5\n", "line 2, field V: node 'x'"),
        ("p sp 3 1\na 1 2 five\n", "line 2, field W: weight 'five' is not a finite number"),
        ("p sp 3 1\na 1 2 nan\n", "line 2, field W"),
        ("p sp 3 1\na 1 2\n", "line 2: arc lines are 'a U V W' (4 fields)"),
        ("a 1 2 3\n", "line 1: arc before the problem line"),
        ("c only comments\n", "no problem line 'p sp N M'"),
        ("p sp 3\n", "line 1: the problem line must be 'p sp N M'"),
        ("p sp 3 1\np sp 3 1\n", "line 2: a second problem line"),
        ("p sp 3 2\na 1 2 3\n", "line 1: the problem line declares 2 arcs but the file holds 1"),
        ("p sp 3 1\nx 1 2 3\n", "line 2: unknown line type 'x'"),
        ("p sp 3 1\na 0 2 3\n", "line 2, field U: node '0'"),
    ],
)
def test_dimacs_errors(tmp_path, text, match):
    p = tmp_path / "g.gr"
    p.write_text(text)
    _fails(read_dimacs, p, match=match, names=str(p))


@pytest.mark.parametrize(
    "text,match",
    [
        ("name,lon,lat\nP,nan,0\n", "line 2, field lon"),
        ("name;lon;lat\nP;0;95\n", "line 2, field lat"),
        ("name,lon,lat\n,0,0\n", "line 2, field name: the name is empty"),
        ("nom,lon,lat\nP,0,0\n", "need name, lon and lat columns"),
        ("name,lon,lat\n", "no points"),
    ],
)
def test_points_errors(tmp_path, text, match):
    p = tmp_path / "ports.csv"
    p.write_text(text)
    _fails(read_points, str(p), match=match, names=str(p))


def test_points_read_spreadsheet_dialects(tmp_path):
    p = tmp_path / "ports.csv"
    p.write_bytes("\ufeffname;lon;lat\r\nPuerto Cañada;-99,5;19,25\r\n".encode())
    names, lon, lat, codes = read_points(str(p))
    assert names == ["Puerto Cañada"] and lon.tolist() == [-99.5] and lat.tolist() == [19.25]


def test_table_reads_pipe_and_quoted_fields(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('id|name\n1|"a|b"\n\n2|c\n')
    t = read_table(p)
    assert t.cells["name"] == ["a|b", "c"] and t.lines.tolist() == [2, 4]


# ------------------------------------------------------------------ fuzzing
_VALID = {
    "edges": "source,target,length_m,speed_kmh,p_detect\na,b,1000,60,0.1\nb,a,1000,60,0.1\n"
    "b,c,0,30,0\na,b,1200,90,0.2\n",
    "nodes": NODES,
    "dimacs": "c g\np sp 3 4\na 1 2 7\na 1 2 3\na 2 3 0\na 3 1 2\n",
}
_NOISE = [
    "",
    ",",
    ";",
    "\t",
    "|",
    "-",
    "-1",
    "nan",
    "inf",
    "x",
    "1e999",
    "NULL",
    '"',
    "\r\n",
    "\n",
    "\ufeff",
    "é",
    "e\u0301",
    "\xff",
    "p",
    "a",
    "c",
    "0",
    "99",
    " ",
    "1,5",
    "2.5",
]


@st.composite
def mutated(draw, kind: str):
    text = _VALID[kind]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "dup_line", "drop_line"]))
        i = draw(st.integers(0, len(text)))
        if op == "insert":
            text = text[:i] + draw(st.sampled_from(_NOISE)) + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 5)) :]
        elif op == "replace":
            text = text[:i] + draw(st.sampled_from(_NOISE)) + text[i + 1 :]
        else:
            lines = text.split("\n")
            j = draw(st.integers(0, len(lines) - 1))
            if op == "dup_line":
                lines.insert(j, lines[j])
            else:
                del lines[j]
            text = "\n".join(lines)
    return text


def _check_outcome(fn, path, *args):
    try:
        net = fn(path, *args)
    except InputError as exc:
        msg = str(exc)
        assert "\n" not in msg and str(path.name) in msg, msg
        return
    assert isinstance(net, Network)
    assert np.isfinite(net.length_m).all() and (net.length_m >= 0).all()
    assert (net.arc_id(net.arc_source, net.arc_target) == np.arange(net.n_arcs)).all()


_FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@given(mutated("edges"), st.booleans())
@_FUZZ
def test_fuzz_edge_list(tmp_path, text, raw_bytes):
    p = tmp_path / "edges.csv"
    data = text.encode("utf-8", "surrogatepass")
    if raw_bytes:  # some mutations as Latin-1 bytes: not UTF-8 whenever non-ASCII
        data = text.encode("latin-1", "replace")
    p.write_bytes(data)
    _check_outcome(read_edge_csv, p)


@given(mutated("nodes"))
@_FUZZ
def test_fuzz_node_table(tmp_path, text):
    e = tmp_path / "edges.csv"
    e.write_text(EDGES)
    p = tmp_path / "nodes.csv"
    p.write_bytes(text.encode())
    try:
        read_edge_csv(e, p)
    except InputError as exc:
        assert "\n" not in str(exc) and ("nodes.csv" in str(exc) or "edges.csv" in str(exc))


@given(mutated("dimacs"))
@_FUZZ
def test_fuzz_dimacs(tmp_path, text):
    p = tmp_path / "g.gr"
    p.write_bytes(text.encode())
    _check_outcome(read_dimacs, p)


def test_a_csv_of_one_empty_quoted_field_names_the_missing_header(tmp_path):
    """Breaker finding: a file holding only "" failed an assertion (exit 1)."""
    p = tmp_path / "e.csv"
    p.write_text('""\n')
    with pytest.raises(InputError, match="no header line") as exc:
        read_edge_csv(p)
    assert "\n" not in str(exc.value)


def test_dimacs_node_count_beyond_int32_is_one_line(tmp_path):
    """Breaker finding: 'p sp 999999999999 0' tried to allocate terabytes (exit 1)."""
    p = tmp_path / "huge.gr"
    p.write_text("p sp 999999999999 0\n")
    with pytest.raises(InputError, match="line 1") as exc:
        read_dimacs(p)
    assert "\n" not in str(exc.value)
