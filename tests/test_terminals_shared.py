"""Ports that snap onto one node are reported as sharing it (the build summary says so)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reten.data import default_network
from reten.network.build import TerminalSpec, add_terminals, summary
from reten.network.model import NODE_KINDS

NET = default_network()


@given(picks=st.lists(st.integers(0, NET.n_nodes - 1), min_size=1, max_size=12))
@settings(max_examples=25, deadline=None)
def test_points_on_one_node_are_counted_and_joined(tmp_path_factory, picks):
    f = tmp_path_factory.mktemp("pts") / "ports.csv"
    rows = [
        f"P{k},{float(NET.node_lon[n])!r},{float(NET.node_lat[n])!r}" for k, n in enumerate(picks)
    ]
    f.write_text("name,lon,lat\n" + "\n".join(rows) + "\n")
    net = add_terminals(NET, TerminalSpec(str(f), "border", max_m=1.0))
    s = summary(net)
    shared = len(picks) - len(set(picks))  # the oracle: exact coordinates of nodes
    assert s["changed"].get("border_points_sharing_a_node", 0) == shared
    if shared:
        assert "one crossing" in s["why"]["border_points_sharing_a_node"]
    for n in set(picks):
        assert net.node_kind[n] == NODE_KINDS.index("border")
        mine = [f"P{k}" for k, x in enumerate(picks) if x == n]
        assert net.node_name[n] == " / ".join(mine)
    assert np.array_equal(net.arc_source, NET.arc_source)
