"""A region code names one region: files, tables and saved networks that repeat a code are
refused (one line naming the file, the column and the code), never merged silently."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq
import pytest
import shapely

import reten
from conftest import run_cli
from reten.errors import InputError
from reten.network.model import Regions
from reten.network.regions import read_regions


def _edges(tmp_path):
    (tmp_path / "e.csv").write_text("source,target,length_m\nA,B,1000\nB,C,1000\nC,D,1000\n")
    (tmp_path / "n.csv").write_text(
        "id,lon,lat\nA,-100.5,20.5\nB,-99.5,20.5\nC,-98.5,20.5\nD,-97.5,20.5\n"
    )


def _munis(tmp_path, state_codes=("25", "25", "26")):
    """Three municipality polygons side by side, coded by their state (CVE_ENT)."""
    polys = [shapely.box(-101 + i, 20, -100 + i, 21) for i in range(len(state_codes))]
    gdf = gpd.GeoDataFrame(
        {
            "CVEGEO": [f"{c}{i:03d}" for i, c in enumerate(state_codes)],
            "CVE_ENT": list(state_codes),
            "state_name": ["Sinaloa" if c == "25" else "Sonora" for c in state_codes],
        },
        geometry=polys,
        crs=4326,
    )
    p = tmp_path / "munis.gpkg"
    gdf.to_file(p)
    return p


def test_cli_build_refuses_a_code_column_that_repeats(tmp_path):
    _edges(tmp_path)
    regs = _munis(tmp_path)
    out = tmp_path / "net"

    def build(code_column: str):
        return run_cli(
            "network", "build", "--edges", str(tmp_path / "e.csv"), "--nodes",
            str(tmp_path / "n.csv"), "--regions", str(regs), "--regions-code", code_column,
            "-o", str(out),
        )  # fmt: skip

    proc = build("CVE_ENT")
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for needle in ("munis.gpkg", "CVE_ENT", "'25' (2 polygons)", "dissolve"):
        assert needle in lines[0], (needle, lines[0])
    assert "'26'" not in lines[0]
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".net")]
    # the same file with a code per polygon builds
    ok = build("CVEGEO")
    assert ok.returncode == 0, ok.stderr
    net = reten.load_network(out)
    assert sorted(map(str, net.regions.code)) == ["25", "25000", "25001", "26", "26002"]


def test_api_build_network_refuses_a_repeated_code(tmp_path):
    _edges(tmp_path)
    regs = _munis(tmp_path, ("07", "25", "07", "25", "25"))
    with pytest.raises(InputError) as e:
        reten.build_network(
            edges=tmp_path / "e.csv",
            nodes=tmp_path / "n.csv",
            regions=regs,
            regions_code="CVE_ENT",
        )
    msg = str(e.value)
    assert "\n" not in msg and "'07' (2 polygons)" in msg and "'25' (3 polygons)" in msg
    # the oracle: the codes that GeoPandas counts more than once
    counts = gpd.read_file(regs)["CVE_ENT"].value_counts()
    assert sorted(counts[counts > 1].index) == ["07", "25"]


def test_read_regions_refuses_a_parent_code_equal_to_a_region_code(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"ID": ["1", "2"], "PARENT": ["2", "9"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs=4326,
    )
    p = tmp_path / "r.gpkg"
    gdf.to_file(p)
    with pytest.raises(InputError, match="'2'") as e:
        read_regions(p, layer=None, code="ID", parent="PARENT")
    assert "r.gpkg" in str(e.value) and "PARENT" in str(e.value)


def test_regions_constructor_refuses_repeated_codes():
    o = lambda *v: np.array(v, dtype=object)  # noqa: E731
    with pytest.raises(ValueError, match="'25' \\(2 times\\)"):
        Regions(o("25", "25", "26"), o("a", "b", "c"), o("s", "s", "s"), np.array([-1, -1, -1]))


def test_load_refuses_a_saved_network_with_repeated_codes(tmp_path):
    _edges(tmp_path)
    regs = _munis(tmp_path)
    net = reten.build_network(
        edges=tmp_path / "e.csv", nodes=tmp_path / "n.csv", regions=regs, regions_code="CVEGEO"
    )
    out = reten.save_network(net, tmp_path / "net")
    t = pq.read_table(out / "regions.parquet")
    codes = t.column("code").to_pylist()
    codes[1] = codes[0]
    t = t.set_column(t.column_names.index("code"), "code", [codes])
    pq.write_table(t, out / "regions.parquet")
    with pytest.raises(InputError) as e:
        reten.load_network(out)
    assert "regions.parquet" in str(e.value) and f"'{codes[0]}'" in str(e.value)
