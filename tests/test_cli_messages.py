"""Messages a newcomer meets: usage lines, numeric options, files given to the wrong option."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import reten
from clikit import assert_one_line_error, call


def _commands() -> list[list[str]]:
    from reten.cli import _command

    out: list[list[str]] = []

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
        else:
            out.append(path)

    walk(_command(), [])
    return out


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_usage_names_arguments_in_capitals_without_braces(command):
    r = call(*command, "--help")
    assert r.code == 0, r.err
    usage = next(ln for ln in r.out.splitlines() if "Usage:" in ln)
    assert "{" not in usage and "}" not in usage, usage
    args = usage.split("[OPTIONS]", 1)[1].split()
    for a in args:
        assert re.fullmatch(r"\[?[A-Z_]+\]?", a), usage


def test_missing_argument_usage_line():
    r = call("compare")
    line = assert_one_line_error(
        r, "Missing argument 'BASE'", "reten compare [OPTIONS] BASE SCENARIO"
    )
    assert "{" not in line


def _numeric_options() -> list[tuple[list[str], str, str]]:
    from reten.cli import _command

    out = []
    cmd = _command()
    for command in _commands():
        c = cmd
        for name in command:
            c = c.commands[name]
        for p in c.params:
            if p.param_type_name == "option" and p.type.name in ("integer", "float"):
                out.append((command, p.opts[-1], p.type.name))
    return out


NUMERIC = _numeric_options()


def test_numeric_options_are_found():
    found = {(" ".join(c), o) for c, o, _ in NUMERIC}
    assert {("optimize", "--budget"), ("game", "--checkpoints"), ("network build", "--snap-m")} <= (
        found
    )
    assert ("optimize", "--budget", "integer") in {(" ".join(c), o, k) for c, o, k in NUMERIC}


@pytest.mark.parametrize(("command", "option", "kind"), NUMERIC, ids=lambda x: str(x))
@pytest.mark.parametrize("word", ["two", "1,5", "nan"])
def test_numeric_option_given_a_word_says_what_is_valid(command, option, kind, word):
    r = call(*command, option, word)
    what = "a whole number" if kind == "integer" else "a finite number"
    line = assert_one_line_error(r, f"'{option}'", f"must be {what}", f"(got {word})")
    assert "is not a valid" not in line


@pytest.mark.parametrize(
    ("command", "option", "kind"), [x for x in NUMERIC if x[2] == "integer"], ids=lambda x: str(x)
)
def test_integer_option_refuses_a_fraction(command, option, kind):
    assert_one_line_error(call(*command, option, "2.5"), "must be a whole number", "(got 2.5)")


def test_budget_two_is_a_whole_number_message():
    r = call("optimize", "s.toml", "-o", "x", "--budget", "two")
    assert_one_line_error(r, "'--budget': must be a whole number >= 1 and <= 1000000 (got two)")


# ------------------------------------------- data files where a scenario or network belongs


@pytest.mark.parametrize(
    ("name", "option"),
    [("edges.csv", "--edges"), ("roads.shp", "--lines"), ("mx.osm.pbf", "--osm"), ("g.gr", None)],
)
@pytest.mark.parametrize("command", [["run"], ["optimize", "--budget", "1"], ["simulate"]])
def test_data_file_as_scenario_says_how_to_build_a_network(tmp_path, name, option, command):
    from clikit import EDGES, snapshot

    f = tmp_path / name
    f.write_bytes(EDGES.encode() if name.endswith(".csv") else b"\x00\x00\x27\x0a" + b"\0" * 96)
    before = snapshot(tmp_path)
    r = call(command[0], name, *command[1:], "-o", "out", cwd=tmp_path)
    line = assert_one_line_error(r, "not a scenario TOML file")
    assert "may name this file" not in line
    if option is None:  # a DIMACS file without a known extension is just binary content
        return
    m = re.search(r"`(reten network build [^`]*)`", line)
    assert m, line
    build = m.group(1).split()
    assert build[3:5] == [option, name] and build[5] == "-o", line
    net = build[6]
    assert not (tmp_path / net).exists() and net != name
    assert f'path = "{net}"' in line and "[network]" in line
    assert snapshot(tmp_path) == before
    # the command works as printed for an edge list, and the scenario it suggests runs
    if option == "--edges":
        assert call(*build[1:], cwd=tmp_path).code == 0
        (tmp_path / "s.toml").write_text(
            f'[network]\npath = "{net}"\n[[origins]]\nnode = "a"\nvolume_kg = 1\n'
            '[[destinations]]\nnode = "c"\n[costs]\nmode = "length_km"\n'
        )
        r = call("run", "s.toml", "-o", "run", cwd=tmp_path)
        assert r.code == 0, r.err


@pytest.mark.parametrize(
    ("name", "option"), [("edges.csv", "--edges"), ("roads.shp", "--lines"), ("a.pbf", "--osm")]
)
@pytest.mark.parametrize(
    "command", [["network", "info"], ["network", "export", "--format", "gpkg"]]
)
def test_network_command_on_a_data_file_suggests_a_fresh_folder(tmp_path, name, option, command):
    from clikit import snapshot

    (tmp_path / name).write_text("source,target,length_m\na,b,1\n")
    (tmp_path / f"{name.split('.')[0]}-net").mkdir()  # taken: the suggestion must avoid it
    before = snapshot(tmp_path)
    extra = ["-o", "x.gpkg"] if "export" in command else []
    r = call(*command, name, *extra, cwd=tmp_path)
    line = assert_one_line_error(r, "is a file, not a saved reten network")
    m = re.search(r"reten network build (\S+) (\S+) -o (\S+)", line)
    assert m and m.group(1) == option and m.group(2) == name, line
    assert m.group(3) != name and not (tmp_path / m.group(3)).exists(), line
    assert snapshot(tmp_path) == before


def test_folder_that_is_not_a_network_suggests_a_fresh_folder(tmp_path):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "mine.txt").write_text("x")
    line = assert_one_line_error(call("network", "info", "stuff", cwd=tmp_path), "no meta.json")
    out = re.search(r"-o (\S+)", line)
    assert out and out.group(1) != "stuff" and not (tmp_path / out.group(1)).exists(), line


# ---------------------------------------------- vector and binary files given to CSV options

DATA_FILES = {
    "roads.shp": (b"\x00\x00\x27\x0a" + bytes(96), "a shapefile", "vector"),
    "roads.gpkg": (b"SQLite format 3\x00" + bytes(84) + b"\xe8", "a GeoPackage", "vector"),
    "roads.csv": (b"SQLite format 3\x00" + bytes(84), "a GeoPackage or SQLite", "vector"),
    "roads.geojson": (b'{"type": "FeatureCollection", "features": []}', "GeoJSON", "vector"),
    "roads.fgb": (b"fgb\x03\x00" + bytes(10), "FlatGeobuf", "vector"),
    "mx.osm.pbf": (b"\x00\x00\x00\x0d\x0a\x09OSMHeader\x18" + bytes(20), "OpenStreetMap", "osm"),
    "t.parquet": (b"PAR1" + bytes(20) + b"\xe8PAR1", "a Parquet file", "binary"),
    "t.xlsx": (b"PK\x03\x04" + bytes(20), "Excel", "binary"),
}

# (command before the file, the option, command after it, what the option takes)
CSV_OPTIONS = [
    (["network", "build"], "--edges", [], "edge list"),
    (["network", "build"], "--dimacs", [], "DIMACS"),
    (["network", "build", "--edges", "e.csv"], "--nodes", [], "id,lon,lat"),
    (["network", "build", "--edges", "e.csv", "--nodes", "n.csv"], "--ports", [], "name,lon,lat"),
    (
        ["network", "build", "--edges", "e.csv", "--nodes", "n.csv"],
        "--seaports",
        [],
        "name,lon,lat",
    ),
    (["network", "build", "--edges", "e.csv", "--nodes", "n.csv"], "--places", [], "name,lon,lat"),
    (["validate", "run", "--region-col", "r", "--value-col", "v"], "--observed", [], "CSV table"),
]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    from clikit import EDGES, NODES

    d = tmp_path_factory.mktemp("data")
    (d / "e.csv").write_text(EDGES)
    (d / "n.csv").write_text(NODES)
    for name, (raw, _, _) in DATA_FILES.items():
        (d / name).write_bytes(raw)
    r = call("network", "build", "--edges", "e.csv", "--nodes", "n.csv", "-o", "net", cwd=d)
    assert r.code == 0, r.err
    (d / "s.toml").write_text(
        '[network]\npath = "net"\n[[origins]]\nnode = "a"\nvolume_kg = 1\n'
        '[[destinations]]\nnode = "c"\n[costs]\nmode = "length_km"\n'
    )
    assert call("run", "s.toml", "-o", "run", cwd=d).code == 0
    return d


@pytest.mark.parametrize(("before", "option", "after", "takes"), CSV_OPTIONS, ids=lambda x: str(x))
@pytest.mark.parametrize("name", list(DATA_FILES))
def test_data_file_given_to_a_csv_option(data_dir, before, option, after, takes, name):
    from clikit import snapshot

    _, what, family = DATA_FILES[name]
    snap = snapshot(data_dir)
    out = ["-o", "nb1"] if before[0] == "network" else ["-o", "val"]
    r = call(*before, option, name, *after, *out, cwd=data_dir)
    line = assert_one_line_error(r, name, what, takes)
    assert "UTF-8" not in line or "save it as UTF-8 CSV text" in line, line
    assert "byte 0x" not in line and "Warning" not in line, line
    if option in ("--edges", "--dimacs", "--nodes"):
        assert option in line
        if family == "vector":
            assert f"reten network build --lines {name} -o " in line, line
        if family == "osm":
            assert f"reten network build --osm {name} -o " in line, line
    if option in ("--ports", "--seaports", "--places"):
        assert f"{option} takes" in line
    assert snapshot(data_dir) == snap  # nothing written, nothing touched


# ------------------------------------------------ vector files: layers, tables, no warnings


@pytest.fixture(scope="module")
def layered(tmp_path_factory):
    import geopandas as gpd
    import shapely

    d = tmp_path_factory.mktemp("layers")
    lines = gpd.GeoDataFrame(
        {"name": ["ab", "bc"]},
        geometry=[
            shapely.LineString([(-100, 20), (-100.01, 20)]),
            shapely.LineString([(-100.01, 20), (-100.02, 20)]),
        ],
        crs="EPSG:4326",
    )
    polys = gpd.GeoDataFrame(
        {"CVEGEO": ["01"], "NOMGEO": ["Uno"]},
        geometry=[shapely.box(-100.1, 19.9, -99.9, 20.1)],
        crs="EPSG:4326",
    )
    f = d / "mixed.gpkg"
    polys.to_file(f, layer="estados", driver="GPKG", engine="pyogrio")
    lines.to_file(f, layer="carreteras", driver="GPKG", engine="pyogrio", append=True)
    polys.to_file(f, layer="municipios", driver="GPKG", engine="pyogrio", append=True)
    (d / "edges.csv").write_text("source,target,length_m\na,b,1000\n")
    return d


#: build from the road layer of the three-layer GeoPackage
ROADS_LAYER = ("network", "build", "--lines", "mixed.gpkg", "--layer", "carreteras")


def test_multilayer_file_for_lines_names_the_layers_in_one_line(layered):
    r = call("network", "build", "--lines", "mixed.gpkg", "-o", "nb1", cwd=layered)
    line = assert_one_line_error(
        r, "3 layers", "estados (Polygon)", "carreteras (LineString)", "municipios (Polygon)"
    )
    assert "--layer NAME" in line and "--layer carreteras" in line, line
    assert "Warning" not in r.err and not (layered / "nb1").exists()
    r = call(*ROADS_LAYER, "-o", "nb1", cwd=layered)
    assert r.code == 0 and "Warning" not in r.err, r.err


def test_multilayer_file_for_regions_names_regions_layer(layered):
    regions = ("--regions", "mixed.gpkg", "--regions-code", "CVEGEO")
    r = call(*ROADS_LAYER, *regions, "-o", "nb2", cwd=layered)
    line = assert_one_line_error(r, "3 layers", "--regions-layer NAME")
    assert "--regions-layer estados" in line and "Warning" not in r.err, line


def test_table_without_geometry_given_to_lines(layered):
    r = call("network", "build", "--lines", "edges.csv", "-o", "nb3", cwd=layered)
    line = assert_one_line_error(r, "edges.csv: a table without geometry", "--edges")
    assert "reten network build --edges edges.csv -o " in line
    assert "DataFrame" not in line and "attribute" not in line, line
    regions = ("--regions", "edges.csv", "--regions-code", "CVEGEO")
    r = call(*ROADS_LAYER, *regions, "-o", "nb3", cwd=layered)
    assert_one_line_error(r, "edges.csv: a table without geometry", "--regions takes polygons")


def test_readers_raise_no_library_warning(layered):
    import warnings

    from reten.errors import InputError
    from reten.network.lines import read_vector_file
    from reten.network.regions import read_regions

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for call_ in (
            lambda: read_vector_file(layered / "mixed.gpkg"),
            lambda: read_vector_file(layered / "edges.csv"),
            lambda: read_regions(layered / "mixed.gpkg", layer=None, code="CVEGEO"),
        ):
            with pytest.raises(InputError):
                call_()
        read_vector_file(layered / "mixed.gpkg", "carreteras")
    assert not seen, [str(w.message) for w in seen]


def test_a_warning_that_escapes_is_one_line(monkeypatch, tmp_path):
    import warnings

    import reten.cli

    def noisy(*a, **k):
        warnings.warn("More than one layer found\n in x", UserWarning, stacklevel=1)
        raise reten.cli.InputError("x: stop")

    monkeypatch.setattr("reten.network.build.summary", noisy)
    monkeypatch.setattr("reten.cli._network", lambda *a: None)
    r = call("network", "info", "--default")
    assert r.err_lines == [
        "reten: warning: More than one layer found in x",
        "reten: error: x: stop",
    ]


def test_reported_multilayer_geopackage(tmp_path):
    from conftest import MEXICO, need

    gpkg = str(need(MEXICO / "mx_admin_2020.gpkg"))
    r = call("network", "build", "--lines", gpkg, "-o", "nb1", cwd=tmp_path)
    line = assert_one_line_error(r, "2 layers: estados (MultiPolygon), municipios (MultiPolygon)")
    assert "--layer NAME" in line and "none of them holds lines" in line, line
    assert "UserWarning" not in r.err and not (tmp_path / "nb1").exists()


def test_read_sweep_of_another_folder_suggests_a_fresh_one(tmp_path, monkeypatch):
    from reten.errors import InputError
    from reten.sweep.runner import read_sweep

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    with pytest.raises(InputError) as e:
        read_sweep("mine")
    out = re.search(r"-o (\S+)`", str(e.value)).group(1)
    assert out != "mine" and not (tmp_path / out).exists(), str(e.value)
    with pytest.raises(InputError, match="-o new`"):
        read_sweep("new")  # a folder that does not exist yet is the natural -o


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("seed", -1),
        ("seed", 2.5),
        ("congestion.max_iterations", 0),
        ("congestion.max_iterations", 1.5),
    ],
)
def test_scenario_integer_keys_say_whole_number(where, value):
    from reten.errors import InputError
    from reten.scenario import Scenario

    data: dict = {"origins": [{"node": "a", "volume_kg": 1}]}
    if "." in where:
        sec, key = where.split(".")
        data[sec] = {key: value}
    else:
        data[where] = value
    with pytest.raises(InputError) as e:
        Scenario.from_dict(data)
    assert f"{where}: {value:g} is not valid; expected a whole number in [" in str(e.value), str(
        e.value
    )


@pytest.mark.parametrize(("name", "option"), [("e.csv", "--edges"), ("roads.shp", "--lines")])
def test_data_file_given_to_osm_names_the_option_that_reads_it(data_dir, name, option):
    r = call("network", "build", "--osm", name, "-o", "nb1", cwd=data_dir)
    line = assert_one_line_error(r, "not an OpenStreetMap extract", f"is read with {option}")
    assert f"reten network build {option} {name} -o " in line, line


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_help_shows_no_internal_names(command):
    r = call(*command, "--help")
    assert r.code == 0 and "<_" not in r.out and "{" not in r.out, r.out


def test_a_file_given_to_the_wrong_command_names_the_right_one(tmp_path):
    """Newcomer, stop 21: a sweep grid given to run said 'sweep: unknown key (did you mean
    seed?)', a scenario given to sweep said '[name]: unknown table', and a table reten wrote
    given as a scenario was offered a network build. Each now names what the file is and
    the command (or file) to use, in one line, exit 2, nothing written."""
    from clikit import tiny_project

    tiny_project(tmp_path)
    (tmp_path / "grid.toml").write_text(
        '[sweep]\nscenario = "s.toml"\nmonths = 2\nruns = 1\nseed = 1\n[grid]\n'
        'policy = ["static"]\n'
    )
    for cmd in ("run", "simulate"):
        r = call(cmd, "grid.toml", "-o", "o", cwd=tmp_path)
        assert_one_line_error(r, "grid.toml", "sweep grid", "reten sweep grid.toml")
    r = call("sweep", "s.toml", "-o", "o", cwd=tmp_path)
    assert_one_line_error(r, "s.toml", "is a scenario", "reten run s.toml", "reten simulate")
    assert call("run", "s.toml", "-o", "r", cwd=tmp_path).code == 0
    r = call("run", "r/origins.csv", "-o", "o", cwd=tmp_path)
    line = assert_one_line_error(r, "origins.csv", "reten wrote")
    assert "network build" not in line
    assert not (tmp_path / "o").exists()
    help_text = call("sweep", "--help").out
    assert "[sweep], [params], [grid]" in help_text


def test_compare_table_says_how_many_regions_it_shows(tmp_path):
    """The terminal table shows the largest changes only: it says how many of how many."""
    demo_dir = Path(reten.__file__).parent / "data" / "demo"
    r = call(
        "compare",
        str(demo_dir / "baseline.toml"),
        str(demo_dir / "both.toml"),
        "-o",
        str(tmp_path / "c"),
    )
    assert r.code == 0, r.err
    rows = len(pd.read_csv(tmp_path / "c" / "regions_delta.csv"))
    assert rows > 8
    assert f"the 8 largest changes of {rows:,} regions" in " ".join(r.out.split())
    # written to a file or a pipe, the table keeps whole names on one line (Rich wrapped a
    # redirected table at 80 columns: "Hidalgo del" / "Parral")
    assert "Hidalgo del Parral" in r.out
