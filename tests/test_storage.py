"""Saved networks: a round trip with split roads, and damaged directories fail in one line."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reten.errors import InputError
from reten.network import storage
from reten.network.model import Network


def _net() -> Network:
    # a-b twice (parallel, one split), b-c zero length, with geometry
    return Network.from_arcs(
        np.array([0, 1, 0, 1, 1, 2]),
        np.array([1, 0, 1, 0, 2, 1]),
        np.array([5.0, 5.0, 8.0, 8.0, 0.0, 0.0]),
        np.array([0.0, 0.1, 0.1]),
        np.array([0.0, 0.0, 0.0]),
        geometry=[
            np.array([[0.0, 0.0], [0.1, 0.0]]),
            np.array([[0.1, 0.0], [0.0, 0.0]]),
            np.array([[0.0, 0.0], [0.05, 0.01], [0.1, 0.0]]),
            np.array([[0.1, 0.0], [0.05, 0.01], [0.0, 0.0]]),
            np.array([[0.1, 0.0], [0.1, 0.0]]),
            np.array([[0.1, 0.0], [0.1, 0.0]]),
        ],
        node_key=np.array(["a", "b", "c"], dtype=object),
    )


def test_round_trip_keeps_split_roads_and_counts(tmp_path):
    net = _net()
    assert net.n_nodes == 4 and net.n_arcs == 8
    storage.save(net, tmp_path / "n")
    back = storage.load(tmp_path / "n", verify=True)
    assert back.content_hash() == net.content_hash()
    assert back.node_key.tolist() == ["a", "b", "c", "split:a:b:1"]
    assert back.meta["changed"] == {"parallel_split": 2, "split_nodes": 1}
    assert back.length_m.tolist() == net.length_m.tolist()


def _rewrite(path, name, fn):
    t = pq.read_table(path / name)
    pq.write_table(fn(t), path / name)


def _set_col(t, col, values):
    return t.set_column(t.column_names.index(col), col, pa.array(values))


DAMAGE = {
    "meta_arcs": (
        lambda p: _edit_meta(p, arcs=99),
        "arcs.parquet: holds 8 rows but",
    ),
    "meta_nodes": (lambda p: _edit_meta(p, nodes=2), "nodes.parquet: holds 4 rows"),
    "meta_not_json": (lambda p: (p / "meta.json").write_text("{"), "meta.json: unreadable"),
    "meta_counts_type": (lambda p: _edit_meta(p, nodes="four"), "must be counts"),
    "missing_rev": (lambda p: (p / "rev.parquet").unlink(), "rev.parquet: missing"),
    "missing_arcs": (lambda p: (p / "arcs.parquet").unlink(), "arcs.parquet: missing"),
    "garbage_nodes": (
        lambda p: (p / "nodes.parquet").write_bytes(b"not parquet at all"),
        "nodes.parquet: cannot read",
    ),
    "target_out_of_range": (
        lambda p: _rewrite(
            p, "arcs.parquet", lambda t: _set_col(t, "arc_target", [1, 4, 0, 2, 3, 1, 0, 1])
        ),
        "not a node in 0..3",
    ),
    "unsorted_arcs": (
        lambda p: _rewrite(
            p,
            "arcs.parquet",
            lambda t: _set_col(t, "arc_source", t.column("arc_source").to_pylist()[::-1]),
        ),
        "not sorted",
    ),
    "reverse_index": (
        lambda p: _rewrite(p, "rev.parquet", lambda t: _set_col(t, "rev_arc", [0] * 8)),
        "rev.parquet: the reverse index",
    ),
    "negative_length": (
        lambda p: _rewrite(
            p, "arcs.parquet", lambda t: _set_col(t, "length_m", [-1.0] + [1.0] * 7)
        ),
        "negative or non-finite",
    ),
    "geometry_offsets": (
        lambda p: _rewrite(
            p, "geometry_offsets.parquet", lambda t: pa.table({"offset": [0, 1, 2]})
        ),
        "offsets do not match 8 arcs",
    ),
    "missing_column": (
        lambda p: _rewrite(p, "arcs.parquet", lambda t: t.drop(["length_m"])),
        "arcs.parquet: lacks column(s) length_m",
    ),
    "region_row": (
        lambda p: _rewrite(
            p, "nodes.parquet", lambda t: _set_col(t, "node_region", [5, -1, -1, -1])
        ),
        "node_region points outside",
    ),
}


def _edit_meta(p, **kw):
    m = json.loads((p / "meta.json").read_text())
    m.update(kw)
    (p / "meta.json").write_text(json.dumps(m))


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_damaged_network_is_one_line_naming_the_file(tmp_path, kind):
    d = tmp_path / "net"
    storage.save(_net(), d)
    damage, match = DAMAGE[kind]
    damage(d)
    with pytest.raises(InputError) as ei:
        storage.load(d)
    msg = str(ei.value)
    assert "\n" not in msg and str(d) in msg and match in msg, msg


def test_missing_directory_says_how_to_build(tmp_path):
    with pytest.raises(InputError, match="no such network directory.*reten network build"):
        storage.load(tmp_path / "nowhere")


def test_changed_content_fails_verify(tmp_path):
    d = tmp_path / "net"
    storage.save(_net(), d)
    _rewrite(d, "arcs.parquet", lambda t: _set_col(t, "length_m", [9.0] * 8))
    storage.load(d)  # structurally valid
    with pytest.raises(InputError, match="content hash mismatch"):
        storage.load(d, verify=True)
