"""`reten network ...` commands: fixed interface, and one-line errors with exit code 2."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from conftest import MEXICO, OSM, need, run_cli


def _assert_clean_failure(proc, out_dir, *needles):
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    assert not out_dir.exists()
    assert not [p for p in out_dir.parent.iterdir() if p.name.startswith(f".{out_dir.name}")]


def _lines_file(tmp_path, name="roads.gpkg", crs="EPSG:4326", **cols):
    gdf = gpd.GeoDataFrame(
        cols or None,
        geometry=[
            shapely.linestrings([[-100, 20], [-100.01, 20]]),
            shapely.linestrings([[-100.01, 20], [-100.01, 20.01]]),
        ],
        crs=crs,
    )
    p = tmp_path / name
    gdf.to_file(p)
    return p


def test_info_default_json():
    proc = run_cli("network", "info", "--default", "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    for key in ("nodes", "arcs", "components", "largest_component_share", "region_coverage"):
        assert key in info
    assert info["nodes"] >= 150 and info["components"] == 1


def test_build_edges_then_info(tmp_path):
    (tmp_path / "e.csv").write_text("source,target,length_m,delay\nA,B,10,1\nB,C,5,2\nC,A,7,3\n")
    (tmp_path / "n.csv").write_text("id,lon,lat\nA,0,0\nB,0.1,0\nC,0.1,0.1\n")
    out = tmp_path / "net"
    proc = run_cli(
        "network",
        "build",
        "--edges",
        str(tmp_path / "e.csv"),
        "--nodes",
        str(tmp_path / "n.csv"),
        "-o",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    info = json.loads(run_cli("network", "info", str(out), "--json").stdout)
    assert info["nodes"] == 3 and info["arcs"] == 3 and info["components"] == 1


def test_build_osm(tmp_path):
    out = tmp_path / "osm"
    proc = run_cli(
        "network", "build", "--osm", str(need(OSM / "pyrosm_test.osm.pbf")), "-o", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "meta.json").is_file()


@pytest.mark.parametrize(
    "fmt,suffix",
    [("geojson", "geojson"), ("gpkg", "gpkg"), ("graphml", "graphml"), ("parquet", "parquet")],
)
def test_export_formats(tmp_path, fmt, suffix):
    out = tmp_path / f"net.{suffix}"
    proc = run_cli("network", "export", "--default", "--format", fmt, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 1000


def test_missing_file(tmp_path):
    out = tmp_path / "o"
    _assert_clean_failure(
        run_cli("network", "build", "--lines", str(tmp_path / "nope.shp"), "-o", str(out)),
        out,
        "nope.shp",
        "not found",
    )


def test_unreadable_file(tmp_path):
    bad = tmp_path / "junk.gpkg"
    bad.write_bytes(b"this is not a geopackage" * 10)
    out = tmp_path / "o"
    _assert_clean_failure(
        run_cli("network", "build", "--lines", str(bad), "-o", str(out)),
        out,
        "junk.gpkg",
        "cannot read",
    )


def test_layer_with_no_lines(tmp_path):
    p = tmp_path / "empty.geojson"
    p.write_text('{"type": "FeatureCollection", "features": []}')
    out = tmp_path / "o"
    _assert_clean_failure(
        run_cli("network", "build", "--lines", str(p), "-o", str(out)),
        out,
        "empty.geojson",
        "no line",
    )


def test_unsupported_geometry(tmp_path):
    p = tmp_path / "pts.geojson"
    gpd.GeoDataFrame(geometry=[shapely.points(0, 0)], crs=4326).to_file(p)
    out = tmp_path / "o"
    _assert_clean_failure(
        run_cli("network", "build", "--lines", str(p), "-o", str(out)),
        out,
        "pts.geojson",
        "Point",
        "LineString",
    )


def test_missing_mapped_column(tmp_path):
    p = _lines_file(tmp_path, kind=["a", "b"])
    out = tmp_path / "o"
    _assert_clean_failure(
        run_cli("network", "build", "--lines", str(p), "--class-col", "TIPO_VIAL", "-o", str(out)),
        out,
        "TIPO_VIAL",
        "kind",
    )


def test_crs_without_linear_units(tmp_path):
    p = _lines_file(tmp_path, name="r.shp", crs="EPSG:4326")
    p.with_suffix(".prj").write_text('LOCAL_CS["arbitrary",UNIT["unknown",1]]')
    out = tmp_path / "o"
    _assert_clean_failure(
        run_cli("network", "build", "--lines", str(p), "-o", str(out)), out, "r.shp", "linear"
    )


def test_points_outside_network(tmp_path):
    p = _lines_file(tmp_path)
    ports = tmp_path / "ports.csv"
    ports.write_text("port_name,lat,lon\nNear,20.0,-100.0\nFar A,30,-90\nFar B,10,-80\n")
    out = tmp_path / "o"
    proc = run_cli("network", "build", "--lines", str(p), "--ports", str(ports), "-o", str(out))
    _assert_clean_failure(proc, out, "ports.csv", "Far A", "Far B")
    assert "Near" not in proc.stderr


def test_corrupted_pbf(tmp_path):
    src = need(OSM / "pyrosm_test.osm.pbf").read_bytes()
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(src[:100] + b"\xff" * 4000)
    out = tmp_path / "o"
    _assert_clean_failure(
        run_cli("network", "build", "--osm", str(bad), "-o", str(out)), out, "bad.osm.pbf"
    )


def test_build_dcw_with_regions(tmp_path):
    out = tmp_path / "dcw"
    proc = run_cli(
        "network",
        "build",
        "--lines",
        str(need(MEXICO / "MEX_roads.shp")),
        "--snap-m",
        "50",
        "--largest-component",
        "--regions",
        str(need(MEXICO / "mx_admin_2020.gpkg")),
        "--regions-layer",
        "municipios",
        "--regions-code",
        "CVEGEO",
        "-o",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    info = json.loads(run_cli("network", "info", str(out), "--json").stdout)
    assert info["components"] == 1 and info["region_coverage"] >= 0.99
    assert info["dropped"]["outside_largest_component_nodes"] > 0


def test_build_writes_provenance_like_every_command(tmp_path):
    """`network build` writes provenance.json: inputs with their SHA-256, the parameters,
    reten's version and the network's hash, as run/optimize/game do."""
    import hashlib

    import reten

    (tmp_path / "e.csv").write_text("source,target,length_m\nA,B,10\nB,C,5\nC,A,7\n")
    (tmp_path / "n.csv").write_text("id,lon,lat\nA,0,0\nB,0.1,0\nC,0.1,0.1\n")
    (tmp_path / "p.csv").write_text("port_name,lon,lat\nPuerto,0.001,0.001\n")
    out = tmp_path / "net"
    proc = run_cli(
        "network",
        "build",
        "--edges",
        str(tmp_path / "e.csv"),
        "--nodes",
        str(tmp_path / "n.csv"),
        "--ports",
        str(tmp_path / "p.csv"),
        "--snap-m",
        "2",
        "--terminal-max-km",
        "5",
        "-o",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    for role, name in (("edges", "e.csv"), ("nodes", "n.csv"), ("border", "p.csv")):
        f = tmp_path / name
        assert prov["inputs"][role] == {
            "path": str(f.resolve()),
            "sha256": hashlib.sha256(f.read_bytes()).hexdigest(),
        }
    assert prov["parameters"]["snap_m"] == 2.0
    assert prov["parameters"]["terminal_max_km"] == 5.0
    assert prov["reten_version"] == reten.__version__
    net = reten.load_network(out)
    assert prov["network_hash"] == net.content_hash()
    assert prov["network_source"] == str((tmp_path / "e.csv").resolve()) == net.source()
    assert (prov["nodes"], prov["arcs"]) == (net.n_nodes, net.n_arcs)
    assert "network_name" not in prov  # only the embedded network has a name
    # a network folder holding provenance.json is still one reten may replace
    again = run_cli(
        "network", "build", "--edges", str(tmp_path / "e.csv"), "-o", str(out), "--overwrite"
    )
    assert again.returncode == 0, again.stderr
    assert "nodes" not in json.loads((out / "provenance.json").read_text())["inputs"]
