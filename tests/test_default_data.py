"""The embedded Mexico skeleton: coverage, connectivity, distance sanity, codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import MEXICO, need
from reten.data import STATES, default_network
from reten.kernels.sptree import source_tree
from reten.network.geo import geodesic_m
from reten.network.model import NODE_KINDS

BORDER_CITIES = [
    "Tijuana",
    "Tecate",
    "Mexicali",
    "San Luis Río Colorado",
    "Sonoyta",
    "Nogales",
    "Naco",
    "Agua Prieta",
    "Puerto Palomas",
    "Ciudad Juárez",
    "Ojinaga",
    "Ciudad Acuña",
    "Piedras Negras",
    "Nuevo Laredo",
    "Colombia",
    "Reynosa",
    "Nuevo Progreso",
    "Matamoros",
]
SEAPORTS = [
    "Manzanillo",
    "Lázaro Cárdenas",
    "Mazatlán",
    "Topolobampo",
    "Guaymas",
    "Ensenada",
    "Veracruz",
    "Altamira",
    "Tampico",
]


def test_size_and_required_places():
    net = default_network()
    assert net.n_nodes >= 150
    names = set(net.node_name.tolist())
    assert set(BORDER_CITIES) <= names
    sea = {
        n.removesuffix(" port")
        for n, k in zip(net.node_name, net.node_kind, strict=True)
        if NODE_KINDS[k] == "seaport"
    }
    assert set(SEAPORTS) <= sea
    # a capital per state and a node in every state
    assert set(net.node_attrs["cve_ent"].tolist()) == set(STATES)
    # Sinaloa: a node in each of its 18 municipalities (2020 frame)
    sin = {c for c in net.node_attrs["cvegeo"].tolist() if c.startswith("25")}
    assert len(sin) == 18


def test_strongly_connected_and_borders_reach_each_other():
    net = default_network()
    assert net.largest_component_mask("strong").all()
    border = np.flatnonzero(net.node_kind == NODE_KINDS.index("border"))
    assert border.size == 28
    for b in border:
        assert np.isfinite(source_tree(net, net.length_m, np.array([b])).dist[border]).all()


def test_road_distance_between_one_and_two_great_circles():
    net = default_network()
    gc = geodesic_m(
        net.node_lon[net.arc_source],
        net.node_lat[net.arc_source],
        net.node_lon[net.arc_target],
        net.node_lat[net.arc_target],
    )
    assert (net.length_m >= gc).all()
    assert (net.length_m <= 2 * gc).all()


def test_border_nodes_carry_cbp_codes_matching_bts():
    net = default_network()
    border = net.node_kind == NODE_KINDS.index("border")
    codes = set(net.node_attrs["cbp_port_code"][border].tolist())
    bts = pd.read_csv(need(MEXICO / "us_mexico_land_ports_bts.csv"), dtype=str)
    assert codes == set(bts.port_code)
    # and each lies within 2 km of the BTS coordinate of its port
    by_code = bts.set_index("port_code")
    for i in np.flatnonzero(border):
        row = by_code.loc[net.node_attrs["cbp_port_code"][i]]
        d = geodesic_m(net.node_lon[i], net.node_lat[i], float(row.lon), float(row.lat))
        assert d < 2000, net.node_name[i]


def test_cvegeo_codes_agree_with_inegi_polygons():
    from reten.network.regions import assign_points, read_regions

    net = default_network()
    regs, polys = read_regions(
        need(MEXICO / "mx_admin_2020.gpkg"), layer="municipios", code="CVEGEO"
    )
    row, _ = assign_points(net.node_lon, net.node_lat, polys, nearest_m=25_000)
    assert (row >= 0).all()
    assert regs.code[row].tolist() == net.node_attrs["cvegeo"].tolist()
