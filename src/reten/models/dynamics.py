"""Adaptive trafficking over months: traffickers learn risk from their own losses, the defender
re-targets.

Model
-----
After NarcoLogic (Magliocca et al. 2019, *PNAS* 116(16): 7784-7792, "Modeling cocaine
traffickers and counterdrug interdiction forces as a complex adaptive system"), on a road
network and in monthly steps ``t = 0, 1, ..., M - 1``. Risk lives on *extended arcs*: the
``m`` road arcs plus one arc per crossing (as in :mod:`reten.models.interdiction`).

Each month:

1. **Defender.** The true log-survival of extended arc ``e`` is the scenario's ``w_e`` plus
   what the policy adds: ``static`` adds nothing; ``reactive`` puts ``units`` units (one per
   region of the finest level, ``w_u = -ln(1 - unit_p_detect)`` on every road entering it)
   on the regions with the most seizures last month, then the most flow last month (the
   defender's intelligence), and at month 0 on the regions with the most flow in the static
   route plan; ``optimize`` re-solves :func:`reten.models.interdiction.optimize` (greedy,
   ``interception`` objective, region sites) on the traffickers' current believed state.
2. **Labs** (when a relocation spec is given) choose their site with
   :func:`reten.models.relocation.relocate` on the believed state (a logit rule's shares are
   drawn from).
3. **Routes.** Traffickers route on cost plus believed risk,
   ``c_e + rho * (-ln(1 - b_e))``: one super-sink tree for every lab at once. A lab that
   fragments uses ``r_i`` routes: route ``r`` is its path in the tree whose costs multiply
   by ``(1 + route_penalty)`` per earlier route tree using the arc (the penalty method of
   de la Barra, Perez & Anez 1993). Its ``ceil(volume / shipment_kg)`` shipments are dealt
   round-robin over its routes.
4. **Seizures.** Each shipment is seized on extended arc ``e`` with probability ``p_e = 1 -
   exp(-w_e)`` given it got there (independent Bernoulli trials, drawn as one exponential
   variate per shipment that is spent along the route: exact, by memorylessness).
5. **Learning.** On every extended arc the traffickers used this month, with ``n_e``
   shipments entering and ``s_e`` seized there, the belief moves towards the observed rate:
   ``b_e <- (1 - learning_rate) * b_e + learning_rate * s_e / n_e`` (an exponentially
   time-weighted memory of observed seizure rates: a month ``tau`` months ago weighs
   ``learning_rate * (1 - learning_rate)^tau``). On arcs not used, the belief relaxes to the
   prior: ``b_e <- b0_e + memory * (b_e - b0_e)``. The prior ``b0`` is the scenario's risk
   (what the static model assumes traffickers know). A lab whose month's loss (seized kg /
   shipped kg) exceeds ``loss_tolerance`` adds a route (up to ``max_routes``); one whose loss
   is under half the tolerance drops one.

With no enforcement nothing is seized, beliefs stay at zero and every month is exactly the
least-cost route model (:func:`reten.models.routes.solve_routes`).

Parameters (:data:`PARAMETERS`) are documented with their defaults and sources; the ones
NarcoLogic does not fix are labelled assumptions.

Example
-------
>>> import numpy as np
>>> from reten.network.model import Network
>>> from reten.problem import Problem
>>> net = Network.from_arcs(np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([1.0, 1.0, 3.0]),
...                         np.zeros(3), np.zeros(3))
>>> p = Problem(net.length_m, np.array([0.1, 0.0, 0.0]), np.array([2]), np.zeros(1),
...             np.zeros(1), np.array([0]), np.array([100.0]), risk_weight=10.0)
>>> out = run_dynamics(net, p, months=3, seeds=run_seeds(7, 2))
>>> out["month"].tolist(), out["volume_kg"].tolist()
([0, 1, 2, 0, 1, 2], [100.0, 100.0, 100.0, 100.0, 100.0, 100.0])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numba
import numpy as np

from reten.errors import InputError
from reten.kernels.heap import heap_pop, heap_push
from reten.models.routes import solve_routes
from reten.network.model import Network
from reten.problem import Problem

#: limits of a simulation (``reten simulate``, :func:`reten.simulate`, a sweep's ``[sweep]``),
#: far beyond any real study (a century of months; 1.2 ms a run-month on the embedded
#: network): a larger value is refused, never run until killed
MAX_MONTHS = 1_200
MAX_RUNS = 100_000
#: runs x months of one simulation at most: its series holds one row per run-month (about
#: 1 GB and 3 hours at this limit)
MAX_RUN_MONTHS = 10_000_000
#: worker processes of one simulation at most
MAX_WORKERS = 1_024

POLICIES = ("static", "reactive", "optimize", "game")
"""Defender policies; ``game`` draws each month's roads from the security game's schedule."""

SERIES_COLUMNS = (
    "run",
    "month",
    "volume_kg",
    "seized_kg",
    "delivered_kg",
    "trafficker_cost",
    "active_regions",
    "new_regions",
    "displaced_kg",
    "routes_per_lab",
    "labs_moved",
    "units_deployed",
)
"""Columns of the monthly series, in order (one row per run and month)."""


def displaced_kg(flow: np.ndarray, flow0: np.ndarray, volume_kg: float) -> float:
    """Return the kg of a month's volume whose traffic runs through other regions than at
    month 0: the total-variation distance between the two months' regional traffic shares,
    times the month's volume.

    A shipment enters many regions on its way, so regional traffic (kg entering each
    region, summed) counts it once per region; half the L1 distance of those sums would
    count a rerouted shipment once per region it left and could exceed the volume shipped.
    Shares make it a fraction (0: the same regions in the same proportions, 1: none in
    common), and the volume turns it into kg: 0 <= displaced_kg <= volume_kg.

    Parameters
    ----------
    flow, flow0 : (r,) float
        Traffic entering each region this month and at month 0, kg.
    volume_kg : float
        Volume shipped this month, kg.

    Examples
    --------
    >>> import numpy as np
    >>> displaced_kg(np.array([0.0, 300.0, 300.0]), np.array([100.0, 100.0, 0.0]), 300.0)
    150.0
    """
    tot, tot0 = float(flow.sum()), float(flow0.sum())
    if tot <= 0 or tot0 <= 0:
        return 0.0 if tot == tot0 else float(volume_kg)
    return float(0.5 * np.abs(flow / tot - flow0 / tot0).sum() * volume_kg)


@dataclass(frozen=True)
class Parameter:
    """One dynamics parameter: default, valid range, meaning and where the value comes from."""

    name: str
    default: float
    lo: float
    hi: float
    integer: bool
    doc: str
    source: str


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "learning_rate",
        0.3,
        0.0,
        1.0,
        False,
        "weight of this month's observed seizure rate in the belief about a used arc",
        "assumption (NarcoLogic updates perceived risk with a time-weighted memory of "
        "interdiction events; its weights are not reproduced here)",
    ),
    Parameter(
        "memory",
        0.9,
        0.0,
        1.0,
        False,
        "per-month persistence of the belief about an unused arc (0: forget at once)",
        "assumption (half-life of about 6.6 months)",
    ),
    Parameter(
        "loss_tolerance",
        0.05,
        0.0,
        1.0,
        False,
        "a lab fragments its shipments over one more route when its monthly loss exceeds this",
        "NarcoLogic (Magliocca et al. 2019): route fragmentation past a loss tolerance of about 5%",
    ),
    Parameter(
        "max_routes",
        4,
        1,
        64,
        True,
        "most routes a lab splits its shipments over",
        "assumption",
    ),
    Parameter(
        "route_penalty",
        1.0,
        0.0,
        1e6,
        False,
        "alternative route r multiplies the cost of an arc by (1 + route_penalty) per earlier "
        "route using it",
        "assumption; the penalty method of de la Barra, Perez & Anez (1993)",
    ),
    Parameter(
        "shipment_kg",
        25.0,
        1e-9,
        1e9,
        False,
        "size of one shipment, kg: each lab ships ceil(volume / shipment_kg) a month",
        "assumption",
    ),
    Parameter(
        "units",
        10,
        0,
        1_000_000,
        True,
        "defender units re-targeted each month (reactive, optimize): one unit per region",
        "assumption; NarcoLogic varies interdiction capacity over 11 levels",
    ),
    Parameter(
        "unit_p_detect",
        0.1,
        0.0,
        0.999999,
        False,
        "detection probability one unit adds to every road entering its region",
        "assumption",
    ),
    Parameter(
        "active_threshold_kg",
        1.0,
        0.0,
        1e12,
        False,
        "a region is active (in the footprint) when more than this enters it in a month, kg",
        "assumption",
    ),
)
"""Every dynamics parameter, declared once: validation and docs read this table."""

_PARAM = {p.name: p for p in PARAMETERS}


@dataclass(frozen=True)
class DynamicsParams:
    """Parameters of the dynamics; see :data:`PARAMETERS` for meaning, range and source."""

    learning_rate: float = 0.3
    memory: float = 0.9
    loss_tolerance: float = 0.05
    max_routes: int = 4
    route_penalty: float = 1.0
    shipment_kg: float = 25.0
    units: int = 10
    unit_p_detect: float = 0.1
    active_threshold_kg: float = 1.0

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None, where: str = "dynamics") -> DynamicsParams:
        """Return parameters from ``values`` (missing keys take defaults).

        Raises
        ------
        InputError
            On an unknown key or a value out of range; the message names ``where.key``.
        """
        values = dict(values or {})
        out: dict[str, Any] = {}
        for k, v in values.items():
            if k not in _PARAM:
                raise InputError(f"{where}.{k}: unknown parameter; valid: {', '.join(_PARAM)}")
            p = _PARAM[k]
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise InputError(f"{where}.{k}: expected a finite number, got {v!r}")
            if not p.lo <= v <= p.hi or (p.integer and int(v) != v):
                kind = "a whole number" if p.integer else "a number"
                raise InputError(
                    f"{where}.{k}: {v!r} is not valid; expected {kind} in [{p.lo:g}, {p.hi:g}]"
                )
            out[k] = int(v) if p.integer else float(v)
        return cls(**out)

    def as_dict(self) -> dict[str, Any]:
        """Return the parameters as a plain dict (for provenance)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def run_seeds(seed: int, runs: int | Sequence[int]) -> list[np.random.SeedSequence]:
    """Return the seed sequences of runs ``0..runs-1`` (or of the given run ids).

    Run ``r``'s sequence is ``np.random.SeedSequence(seed).spawn(n)[r]`` for any ``n > r``, so
    a run's random stream does not depend on how runs are split over workers.

    Examples
    --------
    >>> a = run_seeds(3, 4)[2].generate_state(2)
    >>> b = np.random.SeedSequence(3).spawn(4)[2].generate_state(2)
    >>> bool((a == b).all()), bool((run_seeds(3, [2])[0].generate_state(2) == a).all())
    (True, True)
    """
    ids = range(runs) if isinstance(runs, int) else [int(r) for r in runs]
    return [np.random.SeedSequence(int(seed), spawn_key=(r,)) for r in ids]


def check_policy(policy: str) -> None:
    """Raise InputError unless ``policy`` is one of :data:`POLICIES`."""
    if policy not in POLICIES:
        raise InputError(f"policy '{policy}' unknown; valid: static, reactive, optimize, game")


def check_policy_network(policy: str, net: Network) -> None:
    """Raise InputError when ``policy`` places units by region and ``net`` has none.

    ``reactive`` and ``optimize`` put one unit per region (without regions they would
    deploy nothing, silently); ``static`` and ``game`` (units on roads) need no regions.
    """
    if policy in ("reactive", "optimize") and not len(net.regions):
        raise InputError(
            f"--policy {policy} places units by region, but the network has no regions; "
            "use a network with regions (the embedded 'default', or one built with "
            "'reten network build ... --regions FILE --regions-code COLUMN') or "
            "--policy static|game (game places units on roads)"
        )


# ----------------------------------------------------------------------------- kernels


@numba.njit(cache=True)
def _walk(
    parents: np.ndarray,
    parent_arcs: np.ndarray,
    roots: np.ndarray,
    ship_node: np.ndarray,
    ship_route: np.ndarray,
    ship_kg: np.ndarray,
    ship_draw: np.ndarray,
    w: np.ndarray,
    gcost: np.ndarray,
    arc_kg: np.ndarray,
    n_enter: np.ndarray,
    n_seized: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Walk every shipment along its route tree; return (seized-at arc, route cost).

    ``w`` and ``gcost`` are per extended arc (road arcs, then one per crossing). A shipment
    carries an Exp(1) draw and is seized on the first arc where the log-survival spent so
    far exceeds it. Seized-at is -1 (delivered) or -2 (no route).
    """
    m = arc_kg.shape[0]
    out = np.full(ship_node.shape[0], -1, dtype=np.int64)
    cost = np.zeros(ship_node.shape[0])
    for i in range(ship_node.shape[0]):
        r = ship_route[i]
        v = ship_node[i]
        if roots[r, v] < 0:
            out[i] = -2
            continue
        left = ship_draw[i]
        alive = True
        c = 0.0
        while parents[r, v] >= 0:
            a = parent_arcs[r, v]
            c += gcost[a]
            if alive:
                arc_kg[a] += ship_kg[i]
                n_enter[a] += 1
                left -= w[a]
                if left < 0:
                    alive = False
                    n_seized[a] += 1
                    out[i] = a
            v = parents[r, v]
        j = m + roots[r, v]
        c += gcost[j]
        if alive:
            n_enter[j] += 1
            left -= w[j]
            if left < 0:
                n_seized[j] += 1
                out[i] = j
        cost[i] = c
    return out, cost


@numba.njit(cache=True)
def _sink_dijkstra(
    rev_indptr: np.ndarray,
    rev_source: np.ndarray,
    rev_arc: np.ndarray,
    cost: np.ndarray,
    sinks: np.ndarray,
    sink_cost: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (dist, parent, parent_arc, root) of the super-sink tree; one Dijkstra.

    The same tree as :func:`reten.kernels.sptree.sink_tree` (up to ties) for arc costs
    ``cost`` (``inf``: closed) and sinks joined to a super-sink at ``sink_cost``: a binary
    heap on the reversed CSR, O((V + E) log V), without SciPy's per-call set-up (which
    dominates on small networks searched every month).
    """
    m = cost.shape[0]
    dist = np.full(n, np.inf)
    parent = np.full(n, -1, dtype=np.int64)
    parent_arc = np.full(n, -1, dtype=np.int64)
    root = np.full(n, -1, dtype=np.int64)
    done = np.zeros(n, dtype=np.bool_)
    cap = m + sinks.shape[0] + 1
    hk = np.empty(cap)
    hv = np.empty(cap, dtype=np.int64)
    size = 0
    for j in range(sinks.shape[0]):
        s = sinks[j]
        c = sink_cost[j]
        if c < dist[s]:
            dist[s] = c
            root[s] = j
            size = heap_push(hk, hv, size, c, s)
    while size > 0:
        key, v, size = heap_pop(hk, hv, size)
        if done[v] or key > dist[v]:
            continue
        done[v] = True
        for idx in range(rev_indptr[v], rev_indptr[v + 1]):
            a = rev_arc[idx]
            u = rev_source[idx]
            nd = key + cost[a]
            if nd < dist[u] and not done[u]:
                dist[u] = nd
                parent[u] = v
                parent_arc[u] = a
                root[u] = root[v]
                size = heap_push(hk, hv, size, nd, u)
    return dist, parent, parent_arc, root


@numba.njit(cache=True)
def _mark_used(
    parent: np.ndarray,
    parent_arc: np.ndarray,
    root: np.ndarray,
    starts: np.ndarray,
    m: int,
    used: np.ndarray,
) -> None:
    """Add one to ``used`` on every extended arc of the routes from ``starts`` (once each)."""
    seen = np.zeros(used.shape[0], dtype=np.bool_)
    for i in range(starts.shape[0]):
        v = starts[i]
        if root[v] < 0:
            continue
        joined = False
        while parent[v] >= 0:
            a = parent_arc[v]
            if seen[a]:
                joined = True  # the rest of the path, crossing included, is marked
                break
            seen[a] = True
            v = parent[v]
        if not joined:
            seen[m + root[v]] = True
    for a in range(seen.shape[0]):
        if seen[a]:
            used[a] += 1.0


# ----------------------------------------------------------------------------- setting


def fine_level(net: Network) -> str | None:
    """Return the finest region level: ``municipality`` when present, else the leaves' level."""
    regs = net.regions
    if not len(regs):
        return None
    levels = list(dict.fromkeys(regs.level.tolist()))
    if "municipality" in levels:
        return "municipality"
    parents = set(regs.parent[regs.parent >= 0].tolist())
    leaf = [str(regs.level[i]) for i in range(len(regs)) if i not in parents]
    return max(sorted(set(leaf)), key=leaf.count)


class _Setting:
    """What every run of one simulation shares: network arrays, regions, policy data."""

    def __init__(
        self,
        net: Network,
        problem: Problem,
        policy: str,
        params: DynamicsParams,
        relocation: Any,
    ) -> None:
        check_policy(policy)
        check_policy_network(policy, net)
        self.net, self.problem, self.policy, self.params = net, problem, policy, params
        self.relocation = relocation
        m, k = net.n_arcs, problem.sink_node.size
        self.m, self.k = m, k
        self.base_w = np.concatenate([problem.arc_logsurv, problem.sink_logsurv]).astype(float)
        self.prior = -np.expm1(-self.base_w)
        self.rho = float(problem.risk_weight)
        self.base_cost = np.concatenate([problem.arc_cost, problem.sink_cost]).astype(float)
        self.rev = (
            np.asarray(net.rev_indptr, dtype=np.int64),
            np.asarray(net.rev_source, dtype=np.int64),
            np.asarray(net.rev_arc, dtype=np.int64),
        )
        self.sink_node = np.asarray(problem.sink_node, dtype=np.int64)
        self._regions()
        self.w_unit = -math.log1p(-params.unit_p_detect)
        self.n_labs = problem.origin_node.size
        # shipments per lab, fixed by volume, dealt round-robin over the lab's routes
        vol = problem.origin_volume_kg.astype(float)
        self.n_ship = np.where(vol > 0, np.ceil(vol / params.shipment_kg), 0).astype(np.int64)
        self.ship_lab = np.repeat(np.arange(self.n_labs), self.n_ship)
        starts = np.concatenate([[0], np.cumsum(self.n_ship)[:-1]]).astype(np.int64)
        self.ship_rank = np.arange(self.ship_lab.size) - np.repeat(starts, self.n_ship)
        self.ship_kg = vol[self.ship_lab] / np.maximum(self.n_ship[self.ship_lab], 1)
        self.initial_units = np.zeros(0, dtype=np.int64)
        self.sites: Any = None
        self.month0_plan: tuple[np.ndarray, int] | None = None
        self.game_extra: list[np.ndarray] = []
        self.game_probability: np.ndarray | None = None
        if policy == "game" and params.units > 0:
            self._solve_game()
        if policy == "reactive" and params.units > 0 and self.fine_rows.size:
            plan = solve_routes(net, problem)
            ok = plan.origin_crossing >= 0
            start = np.bincount(
                problem.origin_node[ok],
                weights=problem.origin_volume_kg[ok],
                minlength=net.n_nodes,
            )
            flow = self.region_flow(plan.arc_flow_kg, start.astype(np.float64))
            self.initial_units = self.top(flow, np.zeros_like(flow), np.zeros(0, np.int64))
        if policy == "optimize" and params.units > 0:
            from reten.models.interdiction import build_sites

            self.sites = build_sites(
                net,
                problem,
                "regions",
                delay=0.0,
                p_detect=params.unit_p_detect,
                region_level=self.level,
            )

    def _regions(self) -> None:
        """Each extended arc's region at the finest level, and how flows enter regions."""
        net, m, k = self.net, self.m, self.k
        regs = net.regions
        self.level = fine_level(net)
        self.fine_rows = np.zeros(0, dtype=np.int64)
        self.ext_region = np.full(m + k, -1, dtype=np.int64)
        self.entry_region = np.full(m + k, -1, dtype=np.int64)
        self.seize_region = self.ext_region
        self.position = np.full(len(regs) + 1, -1, dtype=np.int64)
        if self.level is None:
            return
        self.fine_rows = regs.rows_at_level(self.level)
        self.position[self.fine_rows] = np.arange(self.fine_rows.size)
        anc = regs.ancestor_table(self.level)
        arc_reg = np.where(net.arc_region >= 0, net.arc_region, net.node_region[net.arc_source])
        self.ext_region[:m] = anc[arc_reg]
        self.ext_region[m:] = anc[net.node_region[self.sink_node]]
        # a unit checks the roads entering its region (detection once per entry, whatever
        # the number of arcs inside): arcs whose target's region differs from the source's
        to_r = anc[net.node_region[net.arc_target]]
        from_r = anc[net.node_region[net.arc_source]]
        self.entry_region[:m] = np.where((to_r != from_r) & (to_r >= 0), to_r, -1)
        self.seize_region = np.where(self.entry_region >= 0, self.entry_region, self.ext_region)
        # the entry rule of region_entries (the route model's region flows), at this level
        # only: flow on arc a enters its region when it differs from its source's, and enters
        # the target's region when that differs from the arc's; volume starting at a node
        # enters its own
        rv = anc[net.node_region[net.arc_source]]
        rp = anc[net.node_region[net.arc_target]]
        ra = np.where(self.ext_region[:m] >= 0, self.ext_region[:m], rv)
        e1 = np.flatnonzero((ra != rv) & (ra >= 0))
        e2 = np.flatnonzero((rp != ra) & (rp >= 0))
        self.entry_arc = np.concatenate([e1, e2])
        self.entry_pos = self.position[np.concatenate([ra[e1], rp[e2]])]
        self.node_pos = self.position[anc[net.node_region]]

    def region_flow(self, arc_kg: np.ndarray, node_vol: np.ndarray) -> np.ndarray:
        """Volume entering (or starting in) each region of the finest level, kg."""
        r = self.fine_rows.size
        out = np.bincount(self.entry_pos, weights=arc_kg[self.entry_arc], minlength=r)
        ok = self.node_pos >= 0
        out += np.bincount(self.node_pos[ok], weights=node_vol[ok], minlength=r)
        return out.astype(np.float64, copy=False)

    def top(self, first: np.ndarray, second: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """Positions (into fine_rows) of the ``units`` regions ranked by first, second key.

        Only regions with a positive key are ranked (ties: lower row first); the remaining
        units stay where they were (``previous``), then fill the lowest rows.
        """
        u = min(self.params.units, self.fine_rows.size)
        active = np.flatnonzero((first > 0) | (second > 0))
        order = active[np.lexsort((active, -second[active], -first[active]))]
        pick = order[:u]
        if pick.size < u:
            rest = np.concatenate([previous, np.arange(self.fine_rows.size)])
            rest = rest[~np.isin(rest, pick)]
            _, first_at = np.unique(rest, return_index=True)
            rest = rest[np.sort(first_at)]
            pick = np.concatenate([pick, rest[: u - pick.size]])
        return np.sort(pick.astype(np.int64))

    def extra_from_regions(self, positions: np.ndarray) -> np.ndarray:
        """Log-survival added to each extended arc by one unit in each region position."""
        count = np.zeros(len(self.net.regions) + 1)
        count[self.fine_rows[positions]] += 1.0
        return self.w_unit * count[self.entry_region]  # -1 reads the padding zero

    def tree(self, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(parent, parent_arc, root) of the super-sink tree for extended-arc costs."""
        _, parent, parent_arc, root = _sink_dijkstra(
            *self.rev, cost[: self.m], self.sink_node, cost[self.m :], self.net.n_nodes
        )
        return parent, parent_arc, root

    def optimize_plan(self, wb: np.ndarray, lab_node: np.ndarray) -> tuple[np.ndarray, int]:
        """The ``optimize`` policy's allocation on the believed state: (extra risk, units)."""
        from reten.models.interdiction import optimize

        res = optimize(
            self.net,
            self.believed(wb, lab_node),
            self.sites,
            float(self.params.units),
            objective="interception",
            method="greedy",
            time_limit=30.0,
        )
        extra = np.asarray(self.sites.incidence.T @ (self.sites.logsurv * res.units))
        return extra, int(res.units.sum())

    def _solve_game(self) -> None:
        """The ``game`` policy's schedule: the security game's mixed strategy over k-sets of
        roads (``units`` units, each adding ``unit_p_detect``), solved once on the static
        problem; each month draws one k-set from it (Jain et al. 2011; ``reten game``)."""
        from reten.models.game import solve_game
        from reten.models.interdiction import build_sites

        sites = build_sites(
            self.net, self.problem, "arcs", delay=0.0, p_detect=self.params.unit_p_detect
        )
        k = min(int(self.params.units), int(sites.logsurv.size))
        sol = solve_game(
            self.net,
            self.problem,
            sites,
            k,
            time_limit=60.0,
            pure_time_limit=5.0,
            pure_method="greedy",
        )
        for s in sol.sets:
            on = np.zeros(sites.logsurv.size)
            on[np.asarray(s, dtype=np.int64)] = 1.0
            self.game_extra.append(np.asarray(sites.incidence.T @ (sites.logsurv * on)))
        prob = np.clip(np.asarray(sol.probability, dtype=float), 0.0, None)
        self.game_probability = prob / prob.sum()
        self.game_units = [int(len(s)) for s in sol.sets]

    def game_draw(self, rng: np.random.Generator) -> tuple[np.ndarray, int]:
        """This month's schedule: one k-set drawn from the game's mixed strategy."""
        assert self.game_probability is not None
        j = int(rng.choice(self.game_probability.size, p=self.game_probability))
        return self.game_extra[j], self.game_units[j]

    def believed(self, wb: np.ndarray, lab_node: np.ndarray) -> Problem:
        """The problem as the traffickers believe it: risk = belief, origins = labs now."""
        return replace(
            self.problem,
            arc_logsurv=wb[: self.m],
            sink_logsurv=wb[self.m :],
            origin_node=lab_node,
        )


# ----------------------------------------------------------------------------- one run


def _run(
    setting: _Setting,
    months: int,
    seed: np.random.SeedSequence,
    run_id: int,
    trace: list[np.ndarray] | None = None,
) -> dict:
    """One run; ``trace``, when given, receives the belief held during each month."""
    s, net, p, par = setting, setting.net, setting.problem, setting.params
    m, k = s.m, s.k
    rng = np.random.default_rng(seed)
    b = s.prior.copy()
    wb = s.base_w.copy()
    lab_node = p.origin_node.astype(np.int64).copy()
    routes = np.ones(s.n_labs, dtype=np.int64)
    units = s.initial_units.copy()
    nfine = s.fine_rows.size
    seized_region_last: np.ndarray = np.zeros(nfine)
    flow_region_last: np.ndarray = np.zeros(nfine)
    rows: dict[str, list] = {c: [] for c in SERIES_COLUMNS}
    flow0 = np.zeros(nfine)
    active0 = np.zeros(nfine, bool)
    no_extra = np.zeros(m + k)
    for t in range(months):
        # 1. the defender sets this month's true risk
        extra = no_extra
        n_units = 0
        if s.policy == "reactive" and par.units > 0 and nfine:
            if t > 0:
                units = s.top(seized_region_last, flow_region_last, units)
            extra = s.extra_from_regions(units)
            n_units = int(units.size)
        elif s.policy == "game" and s.game_probability is not None:
            extra, n_units = s.game_draw(rng)
        elif s.policy == "optimize" and s.sites is not None:
            # month 0's state is the same in every run: its plan is solved once
            if t == 0 and s.month0_plan is not None:
                extra, n_units = s.month0_plan
            else:
                extra, n_units = s.optimize_plan(wb, lab_node)
                if t == 0:
                    s.month0_plan = (extra, n_units)
        true_w = s.base_w + extra
        # 2. labs relocate on the believed state
        if s.relocation is not None:
            lab_node = _relocate(s, wb, lab_node, rng)
        # 3. route trees on cost + believed risk; alternatives penalise arcs used before
        need = int(routes.max()) if routes.size else 1
        cost = s.base_cost + s.rho * wb
        used = np.zeros(m + k)
        trees = []
        for r in range(need):
            c = cost if r == 0 else cost * (1.0 + par.route_penalty) ** used
            tr = s.tree(c)
            trees.append(tr)
            if r + 1 < need:
                _mark_used(tr[0], tr[1], tr[2], lab_node[routes > r + 1], m, used)
        parents = np.stack([tr[0] for tr in trees])
        parent_arcs = np.stack([tr[1] for tr in trees])
        roots = np.stack([tr[2] for tr in trees])
        # 4. shipments walk their routes; seizures at the true risk
        ship_route = s.ship_rank % routes[s.ship_lab]
        draw = rng.standard_exponential(s.ship_lab.size)
        arc_kg = np.zeros(m)
        n_enter = np.zeros(m + k, dtype=np.int64)
        n_seized = np.zeros(m + k, dtype=np.int64)
        at, gcost = _walk(
            parents,
            parent_arcs,
            roots,
            lab_node[s.ship_lab],
            ship_route,
            s.ship_kg,
            draw,
            true_w,
            s.base_cost + s.rho * true_w,
            arc_kg,
            n_enter,
            n_seized,
        )
        ok = at != -2
        seized = at >= 0
        kg_ok = np.where(ok, s.ship_kg, 0.0)
        kg_seized = np.where(seized, s.ship_kg, 0.0)
        volume = float(kg_ok.sum())
        seized_kg = float(kg_seized.sum())
        # 5. the footprint
        reg_flow: np.ndarray
        seized_region: np.ndarray
        if nfine:
            node_vol = np.bincount(lab_node[s.ship_lab], weights=kg_ok, minlength=net.n_nodes)
            reg_flow = s.region_flow(arc_kg, node_vol)
            pos = s.position[s.seize_region[np.where(seized, at, 0)]]
            hit = seized & (pos >= 0)
            seized_region = np.bincount(pos[hit], weights=s.ship_kg[hit], minlength=nfine)
        else:
            reg_flow, seized_region = np.zeros(0), np.zeros(0)
        active = reg_flow > par.active_threshold_kg
        if t == 0:
            flow0, active0 = reg_flow, active
        rows["run"].append(run_id)
        rows["month"].append(t)
        rows["volume_kg"].append(volume)
        rows["seized_kg"].append(seized_kg)
        rows["delivered_kg"].append(volume - seized_kg)
        rows["trafficker_cost"].append(float((kg_ok * np.where(ok, gcost, 0.0)).sum()))
        rows["active_regions"].append(int(active.sum()))
        rows["new_regions"].append(int((active & ~active0).sum()))
        rows["displaced_kg"].append(displaced_kg(reg_flow, flow0, volume))
        rows["routes_per_lab"].append(float(routes.mean()) if routes.size else 0.0)
        rows["labs_moved"].append(int((lab_node != p.origin_node).sum()))
        rows["units_deployed"].append(n_units)
        seized_region_last, flow_region_last = seized_region, reg_flow
        # 6. learning from the month's own shipments
        if trace is not None:
            trace.append(b.copy())
        b, wb = update_belief(b, s.prior, s.base_w, n_enter, n_seized, par)
        shipped = np.bincount(s.ship_lab, weights=kg_ok, minlength=s.n_labs)
        lost = np.bincount(s.ship_lab, weights=kg_seized, minlength=s.n_labs)
        loss = np.divide(lost, shipped, out=np.zeros(s.n_labs), where=shipped > 0)
        routes = np.where(
            loss > par.loss_tolerance,
            np.minimum(routes + 1, par.max_routes),
            np.where(loss < par.loss_tolerance / 2, np.maximum(routes - 1, 1), routes),
        )
    return rows


def update_belief(
    belief: np.ndarray,
    prior: np.ndarray,
    prior_logsurv: np.ndarray,
    n_enter: np.ndarray,
    n_seized: np.ndarray,
    params: DynamicsParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the next month's belief and its log-survival ``-ln(1 - belief)``.

    ``belief`` and ``prior`` are detection probabilities per extended arc; ``n_enter`` and
    ``n_seized`` count the month's shipments entering each arc and seized on it. Used arcs
    move towards the observed rate with ``learning_rate``; unused arcs relax to the prior
    with persistence ``memory``. Where the belief equals the prior its log-survival is the
    prior's exactly.

    Examples
    --------
    >>> b, w = update_belief(np.array([0.1, 0.5]), np.array([0.1, 0.1]), np.zeros(2),
    ...                      np.array([4, 0]), np.array([1, 0]), DynamicsParams())
    >>> b.round(6).tolist()   # 0.7 * 0.1 + 0.3 * 1/4 ; 0.1 + 0.9 * (0.5 - 0.1)
    [0.145, 0.46]
    """
    lr, mem = params.learning_rate, params.memory
    b = belief.copy()
    obs = n_enter > 0
    rate = n_seized[obs] / n_enter[obs]
    b[obs] = (1.0 - lr) * b[obs] + lr * rate
    b[~obs] = prior[~obs] + mem * (b[~obs] - prior[~obs])
    np.clip(b, 0.0, 0.999999, out=b)
    return b, np.where(b == prior, prior_logsurv, -np.log1p(-b))


def _relocate(
    s: _Setting, wb: np.ndarray, lab_node: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Return each lab's site this month, chosen on the believed state."""
    from reten.models.relocation import relocate

    res = relocate(s.net, s.believed(wb, lab_node), s.relocation)
    assert res.relocation is not None
    lab = res.relocation.lab
    site = res.problem.origin_node
    share = res.problem.origin_volume_kg / s.problem.origin_volume_kg[lab]
    out = lab_node.copy()
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
    ends = np.r_[starts[1:], lab.size]
    for a, z in zip(starts.tolist(), ends.tolist(), strict=True):
        if z - a == 1:
            out[lab[a]] = site[a]
        else:  # a logit rule: draw the lab's site from its shares
            pr = share[a:z] / share[a:z].sum()
            out[lab[a]] = site[a + int(rng.choice(z - a, p=pr))]
    return out


def run_dynamics(
    net: Network,
    problem: Problem,
    *,
    months: int,
    seeds: Sequence[np.random.SeedSequence],
    run_ids: Sequence[int] | None = None,
    policy: str = "static",
    params: DynamicsParams | None = None,
    relocation: Any = None,
) -> dict[str, np.ndarray]:
    """Simulate ``len(seeds)`` independent runs of ``months`` months; return the series.

    Parameters
    ----------
    net : Network
    problem : Problem
        The scenario resolved on ``net``; its risk is the true risk under the ``static``
        policy and the traffickers' prior belief.
    months : int
        Monthly steps, >= 1.
    seeds : sequence of numpy.random.SeedSequence
        One per run (see :func:`run_seeds`); run ``i`` draws only from ``seeds[i]``.
    run_ids : sequence of int, optional
        The ``run`` column for each seed (default ``0..len(seeds)-1``).
    policy : {'static', 'reactive', 'optimize', 'game'}
        The defender's policy (``'game'``: each month one k-set of roads drawn from the
        security game's mixed strategy, solved once on the static problem).
    params : DynamicsParams, optional
    relocation : RelocationSpec, optional
        Labs choose their site each month (see :mod:`reten.models.relocation`).

    Returns
    -------
    dict of str to ndarray
        One array per column of :data:`SERIES_COLUMNS`, ``len(seeds) * months`` rows in
        (run, month) order. Volumes in kg per month; ``trafficker_cost`` in the problem's
        cost unit times kg (risk term at the true risk included, as
        :attr:`RouteResult.total_cost`); ``active_regions`` counts regions of the finest
        level entered by more than ``active_threshold_kg``; ``new_regions`` those active but
        not active at month 0; ``displaced_kg`` (:func:`displaced_kg`) the month's volume
        times the total-variation distance between its and month 0's regional traffic
        shares (at most the volume).

    Raises
    ------
    InputError
        On an unknown policy or months < 1.

    References
    ----------
    Magliocca, N. R. et al. (2019). Modeling cocaine traffickers and counterdrug interdiction
    forces as a complex adaptive system. *PNAS* 116(16): 7784-7792.
    """
    if months < 1:
        raise InputError(f"months must be a whole number >= 1 (got {months})")
    params = params or DynamicsParams()
    setting = _Setting(net, problem, policy, params, relocation)
    ids = list(range(len(seeds))) if run_ids is None else [int(r) for r in run_ids]
    cols: dict[str, list] = {c: [] for c in SERIES_COLUMNS}
    for sq, rid in zip(seeds, ids, strict=True):
        rows = _run(setting, months, sq, rid)
        for c in SERIES_COLUMNS:
            cols[c].extend(rows[c])
    ints = {"run", "month", "active_regions", "new_regions", "labs_moved", "units_deployed"}
    return {
        c: np.asarray(cols[c], dtype=np.int64 if c in ints else np.float64) for c in SERIES_COLUMNS
    }


def parameters_markdown() -> str:
    """Return the Markdown table of :data:`PARAMETERS` (the one in ``docs/dynamics.md``).

    Examples
    --------
    >>> parameters_markdown().splitlines()[0]
    '| parameter | default | range | meaning | source |'
    """
    lines = ["| parameter | default | range | meaning | source |", "|---|---|---|---|---|"]
    for p in PARAMETERS:
        hi = "inf" if p.hi == math.inf else f"{p.hi:g}"
        lines.append(f"| `{p.name}` | {p.default:g} | [{p.lo:g}, {hi}] | {p.doc} | {p.source} |")
    return "\n".join(lines)
