"""Map labels and keys: placement without overlap (checked box by box), keys true to the map."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
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


# ------------------------------------------------------------------ numbered, grouped site labels
@settings(deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 200), st.floats(0, 200)), min_size=1, max_size=30),
)
def test_grouped_labels_partition_the_numbers_and_groups_stay_apart(pts):
    """Every number is in exactly one label, in order; points of different labels are at
    least GROUP_PX apart on screen and each label's points are linked by steps shorter
    than that (single linkage, checked by brute force)."""
    from reten.report.maps import GROUP_PX, group_labels

    rows = [(x, y, str(k + 1), 100 + k / 1000, "bold") for k, (x, y) in enumerate(pts)]
    out = group_labels(rows, (0.0, 200.0, 0.0, 200.0), (200, 200))  # 1 unit = 1 px
    groups = [[int(t) for t in r[2].split(", ")] for r in out]
    assert sorted(n for g in groups for n in g) == list(range(1, len(pts) + 1))
    assert all(g == sorted(g) for g in groups)

    def d(a, b):
        return float(np.hypot(pts[a - 1][0] - pts[b - 1][0], pts[a - 1][1] - pts[b - 1][1]))

    for i, g in enumerate(groups):
        assert out[i][:2] == pts[g[0] - 1]  # at its first member
        for h in groups[i + 1 :]:
            assert all(d(a, b) >= GROUP_PX - 1e-9 for a in g for b in h)
        reached, todo = {g[0]}, [g[0]]
        while todo:
            a = todo.pop()
            for b in g:
                if b not in reached and d(a, b) < GROUP_PX:
                    reached.add(b)
                    todo.append(b)
        assert reached == set(g)


def _site_map(group: bool):
    """A national-scale map with four sites a few km apart round Culiacán and three far
    off, numbered as the optimize report numbers them; returns the shown label texts."""
    from reten.network.model import Network
    from reten.report.maps import SITE, MapBuilder

    lon = np.array([-117.0, -86.7, -107.4, -104.4])  # Tijuana .. Cancún, Culiacán, Ojinaga
    lat = np.array([32.5, 21.2, 24.8, 29.6])
    net = Network.from_arcs(np.array([0, 1, 2]), np.array([1, 2, 3]), np.ones(3), lon, lat)
    slon = np.array([-107.44, -107.34, -107.34, -107.39, -106.81, -102.85, -104.40])
    slat = np.array([24.60, 24.59, 24.71, 24.80, 24.03, 28.89, 29.56])
    m = MapBuilder(net, "sites")
    nums = [str(k) for k in range(1, slon.size + 1)]
    m.add_points(slon, slat, np.ones(slon.size), [f"{k}. road" for k in nums], layer="Sites",
                 unit="units", color=SITE, marker="diamond", label_top=slon.size, prio=100,
                 label_text=nums, group_labels=group)  # fmt: skip
    m.set_focus(slon, slat)
    m.figure()
    shown = []
    for r in m.fig.renderers + list(m.fig.center):
        src = getattr(r, "source", None)
        if getattr(r, "name", "") == "labels-bold" and src is not None:
            shown += [t for t, a in zip(src.data["text"], src.data["a"], strict=True) if a > 0]
    return shown


def test_every_site_number_shows_where_sites_crowd():
    shown = _site_map(group=True)
    numbers = [int(n) for t in shown for n in t.split(", ")]
    assert sorted(numbers) == list(range(1, 8)), shown
    # the rule it replaces: one label per site, and the crowd round Culiacán hides some
    assert len(_site_map(group=False)) < 7


def test_optimize_report_numbers_sites_as_its_table_does(tmp_path):
    """The table's ``map`` column numbers the sites 1..k in order; the map's hover names
    carry the same number before each site's name."""
    import json
    import re

    from clikit import call, tiny_project

    tiny_project(tmp_path)
    r = call("optimize", "s.toml", "--budget", "2", "--method", "greedy", "--no-curve",
             "-o", "opt", cwd=tmp_path)  # fmt: skip
    assert r.code == 0, r.err
    html = (tmp_path / "opt" / "report.html").read_text()
    names = [s["name"] for s in json.loads((tmp_path / "opt" / "result.json").read_text())["sites"]]
    assert names and "<th>map</th>" in html
    rows = re.findall(r"<tr><td[^>]*>(\d+)</td><td[^>]*>[^<]*</td><td[^>]*>([^<]*)</td>", html)
    assert [(int(k), nm) for k, nm in rows[: len(names)]] == list(enumerate(names, 1))
    for k, nm in enumerate(names, 1):
        # hover: number and name (in Bokeh's JSON inside a script string: escaped twice)
        assert json.dumps(f"{k}. {nm}")[1:-1].replace("\\", "\\\\") in html
