"""Map labels and keys: placement without overlap (checked box by box), keys true to the map."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from reten.report.maps import _SPOTS, _thin, marker_size


def _box(sx, sy, w, h, k):
    xo, yo = _SPOTS[k][:2]
    bx0 = sx + 4 if xo > 0 else sx - 10 - w
    by0 = sy - 6 - h if yo > 0 else sy + 2
    return (bx0, by0, bx0 + w + 6, by0 + h + 4)


def _hit(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@given(
    st.lists(
        st.tuples(
            st.floats(-0.2, 1.2),
            st.floats(-0.2, 1.2),
            st.text("abcdefgh ", min_size=1, max_size=18),
            st.integers(0, 5),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_labels_never_overlap_and_each_hidden_one_is_blocked(rows):
    """Shown boxes are inside the frame and apart; a hidden label in view has every spot
    outside the frame or on a box of a label with higher priority (greedy, checked here
    independently of the placement loop)."""
    x = np.array([r[0] for r in rows]) * 1000
    y = np.array([r[1] for r in rows]) * 1000
    text = [r[2] for r in rows]
    prio = np.array([r[3] for r in rows], dtype=float)
    fs = np.full(len(rows), 12.0)
    fw, fh = 400, 300
    view = (0.0, 1000.0, 0.0, 750.0)
    spot = _thin(x, y, text, fs, prio, view, (fw, fh))
    sx = x / 1000 * fw
    sy = (750 - y) / 750 * fh
    w = np.array([len(t) * 0.6 * 12 for t in text])
    h = 1.3 * 12
    boxes = {i: _box(sx[i], sy[i], w[i], h, int(spot[i])) for i in np.flatnonzero(spot >= 0)}
    for i, b in boxes.items():
        assert 0 <= b[0] and b[2] <= fw and 0 <= b[1] and b[3] <= fh
        assert not any(_hit(b, c) for j, c in boxes.items() if j != i)
    rank = np.argsort(prio, kind="stable").tolist()
    for i in np.flatnonzero(spot < 0):
        if not (0 <= sx[i] <= fw and 0 <= sy[i] <= fh):
            continue
        before = [j for j in rank[: rank.index(i)] if j in boxes]
        for k in range(len(_SPOTS)):
            b = _box(sx[i], sy[i], w[i], h, k)
            inside = 0 <= b[0] and b[2] <= fw and 0 <= b[1] and b[3] <= fh
            assert not inside or any(_hit(b, boxes[j]) for j in before)


def test_key_sizes_are_the_map_sizes():
    """The key shows the data's largest and smallest values with the marker sizes the map
    gives those values."""
    import reten
    from reten.report.maps import MapBuilder

    net = reten.load_network("default")
    m = MapBuilder(net, "t")
    vals = np.array([900.0, 150.0, 100.0, 0.0])
    lon, lat = net.node_lon[:4], net.node_lat[:4]
    m.add_points(lon, lat, vals, ["a", "b", "c", "d"], layer="Crossings", unit="kg/month",
                 color="#000", max_size=26.0)  # fmt: skip
    scat = [r for r in m.fig.renderers if r.glyph.__class__.__name__ == "Scatter"][-1]
    assert np.allclose(scat.data_source.data["size"], marker_size(vals, 900.0, 26.0))
    group = m.key[-1]
    assert group.title == "Crossings, kg/month"
    for kind, px, _, _, label in group.items:
        v = float(label.replace(",", ""))
        assert kind == "marker" and v <= 900 and np.isclose(px, marker_size(v, 900.0, 26.0))
    assert [it[4] for it in group.items] == ["900", "100"]
