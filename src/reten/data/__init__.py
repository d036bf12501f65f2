"""The embedded default: a skeleton of Mexico's federal highway network, written by reten.

See ``DATA_SOURCES.md`` beside this file for what it holds and where each fact comes from.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

import numpy as np

from reten.network.model import NODE_KINDS, ROAD_CLASSES, Network, Regions

STATES: dict[str, str] = {
    "01": "Aguascalientes",
    "02": "Baja California",
    "03": "Baja California Sur",
    "04": "Campeche",
    "05": "Coahuila",
    "06": "Colima",
    "07": "Chiapas",
    "08": "Chihuahua",
    "09": "Ciudad de México",
    "10": "Durango",
    "11": "Guanajuato",
    "12": "Guerrero",
    "13": "Hidalgo",
    "14": "Jalisco",
    "15": "México",
    "16": "Michoacán",
    "17": "Morelos",
    "18": "Nayarit",
    "19": "Nuevo León",
    "20": "Oaxaca",
    "21": "Puebla",
    "22": "Querétaro",
    "23": "Quintana Roo",
    "24": "San Luis Potosí",
    "25": "Sinaloa",
    "26": "Sonora",
    "27": "Tabasco",
    "28": "Tamaulipas",
    "29": "Tlaxcala",
    "30": "Veracruz",
    "31": "Yucatán",
    "32": "Zacatecas",
}
"""INEGI state codes (CVE_ENT) and short state names."""


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("reten.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def default_network() -> Network:
    """Return the embedded Mexico skeleton network (every corridor two-way).

    Nodes carry ``node_attrs`` ``cve_ent``, ``cvegeo``, ``municipality``, ``us_port_name``
    and ``cbp_port_code``; regions are the municipalities of the nodes and the 32 states.
    Arc lengths are the road distances of ``mx_arcs.csv`` in metres.
    """
    nodes = _read("mx_nodes.csv")
    arcs = _read("mx_arcs.csv")
    pos = {r["id"]: i for i, r in enumerate(nodes)}
    a = np.array([pos[r["a"]] for r in arcs])
    b = np.array([pos[r["b"]] for r in arcs])
    km = np.array([float(r["road_km"]) for r in arcs])
    cls = np.array([ROAD_CLASSES.index(r["road_class"]) for r in arcs])
    net = Network.from_arcs(
        np.concatenate([a, b]),
        np.concatenate([b, a]),
        np.concatenate([km, km]) * 1000.0,
        np.array([float(r["lon"]) for r in nodes]),
        np.array([float(r["lat"]) for r in nodes]),
        road_class=np.concatenate([cls, cls]),
        node_kind=np.array([NODE_KINDS.index(r["kind"]) for r in nodes]),
        node_name=np.array([r["name"] for r in nodes], dtype=object),
        node_key=np.array([r["id"] for r in nodes], dtype=object),
        node_attrs={
            k: np.array([r[k] for r in nodes], dtype=object)
            for k in ("cve_ent", "cvegeo", "municipality", "us_port_name", "cbp_port_code")
        },
        meta={"name": "default", "source": "reten embedded Mexico skeleton (reten/data/mx_*.csv)"},
    )
    # regions: municipalities of the nodes, then the 32 states
    munis: dict[str, str] = {}
    for r in nodes:
        if r["cvegeo"]:
            munis.setdefault(r["cvegeo"], r["municipality"])
    mcodes = sorted(munis)
    scodes = sorted(STATES)
    srow = {c: len(mcodes) + i for i, c in enumerate(scodes)}
    # a region's point: the capital for states, the first place listed for municipalities
    first_node: dict[str, int] = {}
    for i, r in sorted(enumerate(nodes), key=lambda ir: ir[1]["kind"] != "place"):
        first_node.setdefault(r["cvegeo"], i)
    capital = {r["cve_ent"]: i for i, r in reversed(list(enumerate(nodes[:32])))}
    pts = [first_node[c] for c in mcodes] + [capital[c] for c in scodes]
    regions = Regions(
        lon=np.array([float(nodes[i]["lon"]) for i in pts]),
        lat=np.array([float(nodes[i]["lat"]) for i in pts]),
        code=np.array(mcodes + scodes, dtype=object),
        name=np.array([munis[c] for c in mcodes] + [STATES[c] for c in scodes], dtype=object),
        level=np.array(["municipality"] * len(mcodes) + ["state"] * len(scodes), dtype=object),
        parent=np.array([srow[c[:2]] for c in mcodes] + [-1] * len(scodes), dtype=np.int32),
    )
    mrow = {c: i for i, c in enumerate(mcodes)}
    node_region = np.array(
        [mrow.get(r["cvegeo"], srow.get(r["cve_ent"], -1)) for r in nodes], dtype=np.int32
    )
    import dataclasses

    return dataclasses.replace(net, regions=regions, node_region=node_region)
