"""Build src/reten/data/mx_states.geojson: simplified INEGI 2020 state outlines.

Source: INEGI Marco Geoestadístico 2020 (via the R package mxmaps), layer ``estados`` of
``../shared/data/mexico/mx_admin_2020.gpkg``. Fuente: INEGI.

Usage: python tools/build_state_outlines.py [GPKG] [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import shapely

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT.parent / "shared" / "data" / "mexico" / "mx_admin_2020.gpkg"
OUT = ROOT / "src" / "reten" / "data" / "mx_states.geojson"
TOLERANCE_DEG = 0.02  # about 2 km: enough for a national map, 40x smaller than the source


def main(src: Path = SRC, out: Path = OUT) -> None:
    g = gpd.read_file(src, layer="estados", engine="pyogrio").to_crs(4326)
    # simplify the shared boundaries once, so that neighbouring states still meet
    cov = shapely.coverage_simplify(g.geometry.to_numpy(), TOLERANCE_DEG)
    g = gpd.GeoDataFrame(
        {"cve_ent": g.CVE_ENT.astype(str).str.zfill(2), "name": g.state_name.astype(str)},
        geometry=shapely.set_precision(cov, 1e-4),
        crs=4326,
    ).sort_values("cve_ent")
    out.write_text(g.to_json(drop_id=True), encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB, {len(g)} states)")


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:3]))
