"""Export a Network to GeoJSON, GeoPackage, GraphML or GeoParquet, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from reten.errors import InputError
from reten.network.model import Network

FORMATS = ("geojson", "gpkg", "graphml", "parquet")


def export(net: Network, path: str | os.PathLike[str], fmt: str) -> Path:
    """Write ``net`` to ``path`` in format ``fmt`` and return the path.

    ``geojson`` and ``parquet`` (GeoParquet) hold the arcs; ``gpkg`` holds layers ``arcs`` and
    ``nodes``; ``graphml`` holds the directed graph with node and arc attributes.
    """
    from reten.network.interchange import to_geodataframe, to_networkx

    if fmt not in FORMATS:
        raise InputError(f"--format '{fmt}' unknown; valid: {', '.join(FORMATS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".{fmt}", dir=path.parent)
    os.close(fd)
    os.unlink(tmp_name)
    tmp = Path(tmp_name)
    try:
        if fmt == "graphml":
            import networkx as nx

            g = to_networkx(net)
            for _, d in g.nodes(data=True):
                d.update({k: str(v) for k, v in d.items() if not isinstance(v, int | float)})
            nx.write_graphml(g, tmp)
        elif fmt == "parquet":
            to_geodataframe(net).to_parquet(tmp)
        elif fmt == "geojson":
            to_geodataframe(net).to_file(tmp, layer="arcs", driver="GeoJSON", engine="pyogrio")
        else:
            to_geodataframe(net).to_file(tmp, layer="arcs", driver="GPKG", engine="pyogrio")
            to_geodataframe(net, what="nodes").to_file(
                tmp, layer="nodes", driver="GPKG", engine="pyogrio", append=True
            )
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
