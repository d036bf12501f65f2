"""SNARES-style warm start: k-sets drawn from a minimum site cut (Jain, Conitzer & Tambe 2013).

A minimum set of sites that separates every origin from every open crossing is found by
max-flow (each site a gadget ``in -> out`` of capacity 1, every covered arc entering its
``in`` and leaving its ``out``; other arcs uncapacitated). Defending a whole cut catches
every route with at least the cut's smallest ``p``; when the cut has more than ``k`` sites,
it is split into ``ceil(|C| / k)`` k-sets taken in turn, which cover each cut site about
equally often when mixed.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from reten.models.game.instance import GameInstance


def min_site_cut(inst: GameInstance) -> np.ndarray:
    """Return the sites of a minimum cut between the origins and the open crossings
    (empty when no finite cut exists: some route passes no candidate site)."""
    net, p = inst.net, inst.problem
    n = net.n_nodes
    k = p.sink_node.size
    s_cnt = inst.n_sites
    src_node, t_node = n, n + 1
    g_in = n + 2 + np.arange(s_cnt)
    g_out = n + 2 + s_cnt + np.arange(s_cnt)
    big = 10 * (s_cnt + 1)
    tails = np.concatenate([net.arc_source, p.sink_node])
    heads = np.concatenate([net.arc_target, np.full(k, t_node)])
    live = np.isfinite(inst.base)
    site = inst.arc_site
    plain = live & (site < 0)
    cov = live & (site >= 0)
    a_t = [tails[plain], np.full(inst.origin.size, src_node), tails[cov], g_out[site[cov]], g_in]
    a_h = [heads[plain], inst.origin, g_in[site[cov]], heads[cov], g_out]
    caps = [
        np.full(int(plain.sum()), big),
        np.full(inst.origin.size, big),
        np.full(int(cov.sum()), big),
        np.full(int(cov.sum()), big),
        np.ones(s_cnt, dtype=np.int64),
    ]
    size = n + 2 + 2 * s_cnt
    tail = np.concatenate(a_t).astype(np.int64)
    head = np.concatenate(a_h).astype(np.int64)
    cap = np.concatenate(caps).astype(np.int32)
    ok = tail != head
    g = sp.csr_matrix((cap[ok], (tail[ok], head[ok])), shape=(size, size))
    g.sum_duplicates()
    res = maximum_flow(g, src_node, t_node)
    if res.flow_value >= big:
        return np.zeros(0, dtype=np.int64)
    resid = (g - res.flow).tocsr()
    resid.data = np.where(resid.data > 0, 1, 0)
    resid.eliminate_zeros()
    reach = np.zeros(size, bool)
    reach[breadth_first_order(resid, src_node, directed=True, return_predecessors=False)] = True
    cut = np.flatnonzero(reach[g_in] & ~reach[g_out])
    return cut.astype(np.int64)


def cut_ksets(inst: GameInstance) -> list[np.ndarray]:
    """Return k-sets that together cover a minimum site cut (none when no cut exists)."""
    cut = min_site_cut(inst)
    if cut.size == 0:
        return []
    k = inst.k
    if cut.size <= k:
        return [cut]
    groups = int(np.ceil(cut.size / k))
    order = cut[np.argsort(-inst.p[cut], kind="stable")]
    out = []
    for g in range(groups):
        pick = order[[(g * k + i) % cut.size for i in range(k)]]
        out.append(np.unique(pick))
    return out
