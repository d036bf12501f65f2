"""Israeli & Wood (2002) style grid instances for shortest-path interdiction.

A grid of ``rows x cols`` nodes. Within the grid, arcs run forward along each row
((r, c) -> (r, c + 1)) and in both directions between vertical neighbours. Arc lengths are
integers U[1, 10] and interdiction delays integers U[10, 20], drawn with
``numpy.random.default_rng(seed)`` in the order: lengths of all grid arcs, then delays.
A source ``s`` joins every node of the first column and every node of the last column joins
the sink ``t``, by arcs of (near) zero length that cannot be interdicted. One unit on an
arc adds its delay; the budget counts arcs.
"""

from __future__ import annotations

import numpy as np

from reten.network.model import Network
from reten.problem import Problem

EPS = 1e-9


def grid_instance(rows: int, cols: int, seed: int = 0) -> tuple[Network, Problem]:
    """Return the network and the problem (one origin s, one destination t)."""
    rng = np.random.default_rng(seed)
    nid = np.arange(rows * cols).reshape(rows, cols)
    src, dst = [], []
    for r in range(rows):
        for c in range(cols - 1):
            src.append(nid[r, c])
            dst.append(nid[r, c + 1])
    for r in range(rows - 1):
        for c in range(cols):
            src += [nid[r, c], nid[r + 1, c]]
            dst += [nid[r + 1, c], nid[r, c]]
    m = len(src)
    length = rng.integers(1, 11, m).astype(float)
    delay = rng.integers(10, 21, m).astype(float)
    s, t = rows * cols, rows * cols + 1
    src += [s] * rows + list(nid[:, -1])
    dst += list(nid[:, 0]) + [t] * rows
    length = np.concatenate([length, np.full(2 * rows, EPS)])
    delay = np.concatenate([delay, np.zeros(2 * rows)])
    lon = np.concatenate([np.tile(np.arange(cols), rows) * 0.01, [-0.01, cols * 0.01]])
    lat = np.concatenate([np.repeat(np.arange(rows), cols) * 0.01, [rows * 0.005] * 2])
    net = Network.from_arcs(
        np.array(src),
        np.array(dst),
        length,
        lon,
        lat,
        arc_attrs={"delay": delay, "p_detect": np.zeros(delay.size)},
    )
    p = Problem(
        net.length_m.copy(),
        np.zeros(net.n_arcs),
        np.array([t]),
        np.zeros(1),
        np.zeros(1),
        np.array([s]),
        np.ones(1),
    )
    return net, p


def grid_sites(net: Network, p: Problem):
    """Arc sites with positive delay (the s and t arcs are not candidates)."""
    from reten.models.interdiction import build_sites

    sites = build_sites(net, p, "arcs", delay=0.0, p_detect=0.0)
    return sites.subset(np.flatnonzero(sites.delay > 0))
