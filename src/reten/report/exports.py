"""Write a run's or a comparison's files: CSV, GeoParquet, GeoJSON, HTML, provenance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reten import jsonio
from reten.analysis.displacement import Comparison
from reten.analysis.regions import production_by_region, region_flows
from reten.atomic import atomic_dir
from reten.errors import InputError
from reten.models.routes import RouteResult
from reten.network.model import Network


def _keys(net: Network, nodes: np.ndarray) -> np.ndarray:
    return np.asarray([str(k) for k in net.node_key[nodes]], dtype=object)


def origins_frame(net: Network, r: RouteResult) -> pd.DataFrame:
    """Return the per-origin table (fixed columns first)."""
    p = r.problem
    crossing = np.append(p.sink_label.astype(str), "")[
        np.where(r.origin_crossing >= 0, r.origin_crossing, p.sink_label.size)
    ]
    df = pd.DataFrame(
        {
            "origin": p.origin_label.astype(str),
            "node": _keys(net, p.origin_node),
            "volume_kg": p.origin_volume_kg,
            "cost": r.origin_cost,
            "crossing": crossing,
            "seized_kg": r.origin_seized_kg,
            "money_cost": r.origin_money_cost,
            "length_km": r.origin_length_km,
            "lon": net.node_lon[p.origin_node],
            "lat": net.node_lat[p.origin_node],
            "crossing_node": np.append(_keys(net, p.sink_node), "")[
                np.where(r.origin_crossing >= 0, r.origin_crossing, p.sink_node.size)
            ],
        }
    )
    if r.inbound is not None:
        q = np.append(p.source_label.astype(str), "")
        df["precursor_cost"] = r.inbound.origin_cost
        df["seaport"] = q[
            np.where(r.inbound.origin_seaport >= 0, r.inbound.origin_seaport, q.size - 1)
        ]
        df["precursor_seized_kg"] = r.inbound.origin_seized_kg
        df["chain_cost"] = r.inbound.origin_cost + r.origin_cost
    return df


def regions_frame(net: Network, r: RouteResult) -> pd.DataFrame:
    """Return the per-region flow table, every region, in table order."""
    return pd.DataFrame(
        {
            "region": net.regions.code.astype(str),
            "level": net.regions.level.astype(str),
            "flow_kg": region_flows(net, r),
            "name": net.regions.name.astype(str),
        }
    )


def crossings_frame(net: Network, r: RouteResult) -> pd.DataFrame:
    """Return the per-crossing table."""
    p = r.problem
    tot = r.crossing_flow_kg.sum()
    return pd.DataFrame(
        {
            "crossing": p.sink_label.astype(str),
            "node": _keys(net, p.sink_node),
            "flow_kg": r.crossing_flow_kg,
            "share": r.crossing_flow_kg / tot if tot else 0.0,
            "seized_kg": r.crossing_seized_kg,
        }
    )


def arcs_geoframe(net: Network, r: RouteResult) -> Any:
    """Return a GeoDataFrame of every arc with its cost, detection and flow."""
    from reten.network.interchange import to_geodataframe

    gdf = to_geodataframe(net)
    gdf["cost"] = r.problem.arc_cost
    gdf["p_detect"] = -np.expm1(-r.problem.arc_logsurv)
    gdf["flow_kg"] = r.arc_flow_kg
    if r.inbound is not None:
        gdf["precursor_flow_kg"] = r.inbound.arc_flow_kg
    return gdf


def _geo_points(df: pd.DataFrame) -> Any:
    import geopandas as gpd

    lon, lat = df.lon.to_numpy(float), df.lat.to_numpy(float)
    ok = np.isfinite(lon) & np.isfinite(lat)  # an unknown position has no geometry
    pts = np.full(len(df), None, dtype=object)
    pts[ok] = gpd.points_from_xy(lon[ok], lat[ok])
    return gpd.GeoDataFrame(df, geometry=pts, crs=4326)


STRING_COLUMNS = frozenset(
    {
        "origin",
        "node",
        "crossing",
        "crossing_node",
        "region",
        "level",
        "name",
        "seaport",
        "site",
        "sites",
        "sites_in_route_order",
        "best_crossing",
        "second_crossing",
        "source",
        "target",
        "road_class",
        "crossing_base",
        "crossing_scenario",
        "status",
        "objective_name",
        "method",
    }
)
"""Columns that hold names, ids or codes: always strings, in memory and in files."""


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as CSV with every float in full (shortest round-trip) precision, and
    no ``-0.0`` (a zero reached by subtraction or negation reads as ``0.0``).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_csv(pd.DataFrame({"gap": [-0.0, 0.5]}), Path(d) / "x.csv")
    ...     print((Path(d) / "x.csv").read_text(), end="")
    gap
    0.0
    0.5
    """
    floats = df.select_dtypes("floating").columns
    if len(floats):
        df = df.assign(**{c: df[c] + 0.0 for c in floats})  # -0.0 + 0.0 == +0.0
    df.to_csv(path, index=False, lineterminator="\n")


def read_table(path: str | Path) -> pd.DataFrame:
    """Return a CSV table written by reten, with its ids and codes as strings.

    Columns in :data:`STRING_COLUMNS` are read as strings (``"01001"`` keeps its leading
    zero, an empty cell stays ``""``); every other empty cell is NaN.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "regions.csv"
    >>> _ = p.write_text("region,level,flow_kg\\n01001,municipality,2.5\\n02,state,\\n")
    >>> df = read_table(p)
    >>> df.region.tolist(), df.flow_kg.isna().tolist()
    (['01001', '02'], [False, True])

    Raises
    ------
    InputError
        When ``path`` is not a file or not a readable CSV table (one line naming it).
    """
    p = Path(path)
    if not p.is_file():
        what = "is a folder, not a CSV file" if p.is_dir() else "does not exist"
        raise InputError(f"{p}: {what}; give a CSV table reten wrote (e.g. out/run/regions.csv)")
    try:
        head = pd.read_csv(p, nrows=0).columns
        text = [c for c in head if c in STRING_COLUMNS]
        return pd.read_csv(
            p,
            dtype=dict.fromkeys(text, str),
            keep_default_na=False,
            na_values={c: [""] for c in head if c not in STRING_COLUMNS},
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{p}: not a readable CSV table ({why})") from None


def _prov_json(prov: dict[str, Any]) -> str:
    return jsonio.dumps(prov, indent=2, sort_keys=True, default=str) + "\n"


def write_run(
    out: str | Path,
    net: Network,
    r: RouteResult,
    report_html: str,
    *,
    extra: dict[str, pd.DataFrame] | None = None,
) -> Path:
    """Write a run's directory atomically: report, CSV, GeoParquet, GeoJSON, provenance.

    Besides the tables, ``skim.csv`` (every origin's cost to every reachable crossing) and
    ``margins.csv`` (best and second-best crossing per origin); ``extra`` maps further file
    names (``select.csv``) to tables.
    """
    from reten.analysis.skim import margins_frame, skim_frame, skim_matrix
    from reten.report.geodata import finite_or_null

    with atomic_dir(out, kind="run") as tmp:
        (tmp / "report.html").write_text(report_html, encoding="utf-8")
        sk = skim_matrix(net, r.problem)
        write_csv(skim_frame(net, r.problem, sk), tmp / "skim.csv")
        write_csv(margins_frame(net, r.problem, sk), tmp / "margins.csv")
        for fname, df in (extra or {}).items():
            write_csv(df, tmp / fname)
        origins = origins_frame(net, r)
        write_csv(origins, tmp / "origins.csv")
        regions = regions_frame(net, r)
        write_csv(regions, tmp / "regions.csv")
        rg = _geo_points(regions.assign(lon=net.regions.lon, lat=net.regions.lat))
        rg = rg[np.isfinite(net.regions.lon)]
        rg.to_parquet(tmp / "regions.parquet")
        finite_or_null(rg).to_file(tmp / "regions.geojson", driver="GeoJSON", engine="pyogrio")
        write_csv(crossings_frame(net, r), tmp / "crossings.csv")
        arcs = arcs_geoframe(net, r)
        arcs.to_parquet(tmp / "arcs.parquet")
        used = arcs[arcs.flow_kg > 0]
        finite_or_null(used).to_file(tmp / "routes.geojson", driver="GeoJSON", engine="pyogrio")
        og = _geo_points(origins)
        og.to_parquet(tmp / "origins.parquet")
        finite_or_null(og).to_file(tmp / "origins.geojson", driver="GeoJSON", engine="pyogrio")
        if r.convergence is not None:
            write_csv(convergence_frame(r), tmp / "convergence.csv")
        if r.relocation is not None:
            write_csv(production_frame(net, r), tmp / "production.csv")
        prov = {k: v for k, v in r.provenance.items() if k != "seconds"}
        (tmp / "provenance.json").write_text(_prov_json(prov), encoding="utf-8")
    return Path(out)


def convergence_frame(r: RouteResult) -> pd.DataFrame:
    """Return the equilibrium's convergence: iteration, relative_gap, seconds."""
    return pd.DataFrame(r.convergence or [], columns=["iteration", "relative_gap", "seconds"])


def production_frame(net: Network, r: RouteResult) -> pd.DataFrame:
    """Return production by region before and after relocation (kg/month)."""
    assert r.relocation is not None
    rows = production_by_region(
        net,
        r.relocation.before_node,
        r.relocation.before_volume_kg,
        r.problem.origin_node,
        r.problem.origin_volume_kg,
    )
    df = pd.DataFrame(
        [(str(net.regions.code[i]), lvl, b, a, str(net.regions.name[i])) for i, lvl, b, a in rows],
        columns=["region", "level", "volume_before_kg", "volume_after_kg", "name"],
    )
    return df.sort_values(["level", "region"], kind="stable").reset_index(drop=True)


def write_compare(
    out: str | Path,
    net: Network,
    base: RouteResult,
    scen: RouteResult,
    cmp: Comparison,
    report_html: str,
) -> Path:
    """Write a comparison's directory atomically: report and ranked CSV tables."""
    with atomic_dir(out, kind="compare") as tmp:
        (tmp / "report.html").write_text(report_html, encoding="utf-8")
        write_csv(cmp.regions, tmp / "regions_delta.csv")
        write_csv(cmp.crossings, tmp / "crossings_delta.csv")
        write_csv(cmp.origins, tmp / "origins_delta.csv")
        if scen.relocation is not None:
            write_csv(production_frame(net, scen), tmp / "production.csv")
        (tmp / "totals.json").write_text(_prov_json(cmp.totals), encoding="utf-8")
        prov = {
            "baseline": {k: v for k, v in base.provenance.items() if k != "seconds"},
            "scenario": {k: v for k, v in scen.provenance.items() if k != "seconds"},
        }
        (tmp / "provenance.json").write_text(_prov_json(prov), encoding="utf-8")
    return Path(out)
