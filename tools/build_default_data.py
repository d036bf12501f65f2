"""Regenerate reten's embedded Mexico skeleton (src/reten/data/mx_nodes.csv, mx_arcs.csv).

Inputs are this folder's hand-written lists (default_nodes.txt, default_arcs.txt): names,
coordinates and corridors written by the project from public facts. When ../shared/data is
present, each node's CVEGEO is taken from the INEGI 2020 municipal polygon that contains it
(nearest within 25 km otherwise) and compared with the municipality name written by hand.
Road distances are estimates: WGS84 great-circle distance x the corridor's circuity factor.
Run: .venv/bin/python tools/build_default_data.py
"""

from __future__ import annotations

import csv
import math
import sys
import unicodedata
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
OUT = HERE.parent / "src" / "reten" / "data"
SHARED = HERE.parent.parent / "shared" / "data" / "mexico"


def norm(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in s if ch.isalnum())


def rows(path: Path) -> list[list[str]]:
    return [
        ln.rstrip("\n").split("|" if "|" in ln else None)  # type: ignore[arg-type]
        for ln in path.read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]


def main() -> int:
    from reten.network.geo import great_circle_km
    from reten.network.regions import assign_points, read_regions

    nodes = rows(HERE / "default_nodes.txt")
    ids = [r[0] for r in nodes]
    assert len(set(ids)) == len(ids), "duplicate node ids"
    lat = np.array([float(r[3]) for r in nodes])
    lon = np.array([float(r[4]) for r in nodes])
    cvegeo = [""] * len(nodes)
    if (SHARED / "mx_admin_2020.gpkg").is_file():
        regs, polys = read_regions(SHARED / "mx_admin_2020.gpkg", layer="municipios", code="CVEGEO")
        row, dist = assign_points(lon, lat, polys, nearest_m=25_000)
        bad = 0
        for i, r in enumerate(nodes):
            if row[i] < 0:
                print("no municipality:", r[0])
                bad += 1
                continue
            code, name = str(regs.code[row[i]]), str(regs.name[row[i]])
            if code[:2] != r[5] or norm(name) != norm(r[6]):
                print(
                    f"check {r[0]}: written {r[5]} {r[6]!r}, polygon {code} {name!r} "
                    f"({dist[i]:.0f} m)"
                )
                bad += 1
            cvegeo[i] = code
        print(f"{bad} node(s) to check")
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "mx_nodes.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            [
                "id",
                "name",
                "kind",
                "lon",
                "lat",
                "cve_ent",
                "cvegeo",
                "municipality",
                "us_port_name",
                "cbp_port_code",
            ]
        )
        for i, r in enumerate(nodes):
            w.writerow([r[0], r[1], r[2], r[4], r[3], r[5], cvegeo[i], r[6], r[7], r[8]])
    pos = {r[0]: i for i, r in enumerate(nodes)}
    with open(OUT / "mx_arcs.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["a", "b", "road_class", "road_km", "distance_basis"])
        for a, b, cls, f in (r for r in rows(HERE / "default_arcs.txt")):
            i, j = pos[a], pos[b]
            gc = great_circle_km(lon[i], lat[i], lon[j], lat[j])
            km = math.ceil(gc * float(f) * 10) / 10
            w.writerow([a, b, cls, f"{km:.1f}", f"estimated: great-circle x {f}"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
