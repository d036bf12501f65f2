"""Resolution: a Scenario against a Network gives the Problem and the model settings.

Names are resolved here once; models receive arrays (:class:`reten.problem.Problem`) and
typed settings (:class:`ModelSettings`), never the Scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from reten import __version__
from reten.analysis.regions import region_arcs_and_nodes, region_nodes
from reten.errors import InputError
from reten.models.equilibrium import Congestion
from reten.models.relocation import RelocationSpec
from reten.network.model import NODE_KINDS, ROAD_CLASSES, Network
from reten.problem import Problem
from reten.scenario.enforcement import Ends, apply_measure
from reten.scenario.names import Names
from reten.scenario.read import Scenario


@dataclass(frozen=True, kw_only=True)
class EquilibriumOptions:
    """Solver options of the congestion equilibrium (see ``solve_equilibrium``)."""

    method: str
    target_gap: float
    max_iterations: int
    time_limit_s: float

    def as_kwargs(self) -> dict[str, Any]:
        """Return the options as keyword arguments of ``solve_equilibrium``."""
        return {
            "method": self.method,
            "target_gap": self.target_gap,
            "max_iterations": self.max_iterations,
            "time_limit_s": self.time_limit_s,
        }


@dataclass(frozen=True, kw_only=True)
class ModelSettings:
    """The typed settings of the models a scenario asks for (None: not asked for).

    Attributes
    ----------
    congestion : Congestion or None
        Capacities and cost-curve parameters of ``[congestion]``.
    equilibrium : EquilibriumOptions or None
        Its solver options.
    relocation : RelocationSpec or None
        Candidate sites and cost terms of ``[relocation]``.
    seed : int
        Seed of every random draw.
    """

    congestion: Congestion | None = None
    equilibrium: EquilibriumOptions | None = None
    relocation: RelocationSpec | None = None
    seed: int = 0

    @property
    def model(self) -> str:
        """The model these settings run: ``routes``, ``equilibrium`` or ``relocation``."""
        if self.relocation is not None:
            return "relocation"
        if self.congestion is not None:
            return "equilibrium"
        return "routes"


@dataclass(frozen=True, kw_only=True)
class Resolution:
    """A scenario resolved on a network: the Problem (arrays) and the model settings."""

    problem: Problem
    settings: ModelSettings


def base_costs(net: Network, costs: dict[str, Any]) -> tuple[np.ndarray, str]:
    """Return (per-arc base cost, unit) from the checked ``[costs]`` table.

    ``generalized``: ``(time_h * value_of_time_per_h + km * per_km + toll * km * toll_per_km)
    * class_factor[class]``; ``length_km``: km; ``time_h``: hours.

    Parameters
    ----------
    net : Network
    costs : dict
        ``Scenario.spec["costs"]`` (defaults filled in).

    Returns
    -------
    cost : (m,) float64
        Cost of each arc in ``unit``.
    unit : str

    Examples
    --------
    >>> from reten.data import default_network
    >>> net = default_network()
    >>> c, unit = base_costs(net, {"mode": "length_km"})
    >>> unit, bool((c * 1000 == net.length_m).all())
    ('km', True)
    """
    mode = costs.get("mode", "generalized")
    km = net.length_m / 1000.0
    if mode == "length_km":
        return km.copy(), "km"
    if mode == "time_h":
        return net.time_h.copy(), "h"
    factor = np.ones(len(ROAD_CLASSES))
    for k, v in costs.get("class_factor", {}).items():
        factor[ROAD_CLASSES.index(k)] = float(v)
    with np.errstate(over="ignore", invalid="ignore"):
        c = (
            net.time_h * costs["value_of_time_per_h"]
            + km * costs["per_km"]
            + net.toll * km * costs["toll_per_km"]
        ) * factor[net.road_class]
        # a route sums up to every arc's cost: the total must stay finite too
        total = float(np.sum(c))
    if not (np.isfinite(c).all() and np.isfinite(total)):
        raise InputError(
            "costs: value_of_time_per_h, per_km, toll_per_km and class_factor make road "
            f"costs overflow (value_of_time_per_h = {costs['value_of_time_per_h']:g}, "
            f"per_km = {costs['per_km']:g}, toll_per_km = {costs['toll_per_km']:g}); "
            "use realistic magnitudes (below about 1e200)"
        )
    return c, str(costs["unit"])


def resolve(sc: Scenario, net: Network, *, network_hash: str | None = None) -> Problem:
    """Return the Problem of scenario ``sc`` on ``net``: every name resolved to indices.

    Parameters
    ----------
    sc : Scenario
    net : Network
    network_hash : str, optional
        The network's content hash when already known (recorded in provenance).

    Returns
    -------
    Problem

    Raises
    ------
    InputError
        ``FILE:LINE: field: message`` for a name the network does not have (with the
        closest names), a point too far from the network, a measure that hits nothing.

    Examples
    --------
    >>> from reten.data import default_network
    >>> sc = Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    >>> p = resolve(sc, default_network())
    >>> float(p.origin_volume_kg.sum()), p.sink_node.size
    (90.0, 28)
    """
    names = Names(net)
    d = sc.spec
    o_node: list[int] = []
    o_vol: list[float] = []
    o_label: list[str] = []
    for i, o in enumerate(d["origins"]):
        f = f"origins[{i}]"
        vol = float(o["volume_kg"])
        if "municipality" in o:
            r = names.region(sc, f"{f}.municipality", o["municipality"], "municipality")
            o_node.append(_region_node(sc, f"{f}.municipality", net, r))
            o_vol.append(vol)
            o_label.append(str(o.get("label", net.regions.name[r])))
        elif "state" in o:
            r = names.region(sc, f"{f}.state", o["state"], "state")
            munis = np.flatnonzero(net.regions.parent == r)
            nodes = [n for n in (_region_node(None, "", net, int(m)) for m in munis) if n >= 0]
            if not nodes:
                nodes = [_region_node(sc, f"{f}.state", net, r)]
                labels = [str(net.regions.name[r])]
            else:
                labels = [
                    str(net.regions.name[m])
                    for m in munis
                    if _region_node(None, "", net, int(m)) >= 0
                ]
            for n, lab in zip(nodes, labels, strict=True):
                o_node.append(n)
                o_vol.append(vol / len(nodes))
                o_label.append(f"{o.get('label', net.regions.name[r])}: {lab}")
        elif "node" in o:
            n = names.node(sc, f"{f}.node", o["node"])
            o_node.append(n)
            o_vol.append(vol)
            o_label.append(str(o.get("label", net.node_name[n] or net.node_key[n])))
        else:
            n = names.snap(sc, f, float(o["lon"]), float(o["lat"]), float(o["max_snap_km"]))
            o_node.append(n)
            o_vol.append(vol)
            raw = sc.data["origins"][i]
            o_label.append(str(o.get("label", f"{raw['lon']},{raw['lat']}")))
    dests = d.get("destinations")
    if dests:
        s_node = [
            names.port(sc, f"destinations[{i}].port", t["port"])
            if "port" in t
            else names.node(sc, f"destinations[{i}].node", t["node"])
            for i, t in enumerate(dests)
        ]
        s_cost = [float(t["crossing_cost"]) for t in dests]
        s_label = [
            str(t.get("label", net.node_name[n] or net.node_key[n]))
            for t, n in zip(dests, s_node, strict=True)
        ]
    else:
        s_node = names.border.tolist()
        s_cost = [0.0] * len(s_node)
        if not s_node:
            raise sc.err(
                "destinations",
                "the network has no border nodes: build it with --ports FILE "
                "(reten network build ... --ports PORTS.csv -o DIR) or list [[destinations]]",
            )
        s_label = [str(net.node_name[n] or net.node_key[n]) for n in s_node]
    sink_node = np.array(s_node, dtype=np.int64)
    sink_cost = np.array(s_cost)
    sink_logsurv = np.zeros(sink_node.size)
    ch = d.get("chain")
    src_nodes = (
        [names.seaport(sc, f"chain.seaports[{i}]", v) for i, v in enumerate(ch["seaports"])]
        if ch
        else []
    )
    source_node = np.array(src_nodes, dtype=np.int64)
    ends = Ends(
        sink_node,
        sink_cost,
        sink_logsurv,
        source_node,
        np.zeros(source_node.size),
        np.zeros(source_node.size),
    )
    try:
        cost, unit = base_costs(net, d["costs"])
    except InputError as exc:
        raise sc.err("costs", str(exc).removeprefix("costs: ")) from None
    logsurv = np.zeros(net.n_arcs)
    for i, measure in enumerate(d.get("enforcement", [])):
        apply_measure(sc, f"enforcement[{i}]", measure, net, names, cost, logsurv, ends)
    prov = {
        "scenario": sc.source,
        "scenario_name": sc.name,
        "scenario_sha256": sc.sha256,
        "network_hash": network_hash or net.content_hash(),
        # what the network was built from (its file, or the embedded one's name), besides
        # the hash that identifies it
        "network_source": net.source(),
        **({"network_name": str(net.meta["name"])} if net.meta.get("name") else {}),
        "reten_version": __version__,
        "seed": int(d["seed"]),
        "risk_weight": float(d["risk_weight"]),
        "costs": sc.data.get("costs", {}),
        # what reports state as assumptions
        "enforcement": sc.data.get("enforcement", []),
        "volume_source": d.get("volume_source"),
        "purity": float(d["purity"]),
        "dose_mg": float(d["dose_mg"]),
    }
    problem = Problem(
        arc_cost=cost,
        arc_logsurv=logsurv,
        sink_node=sink_node,
        sink_cost=ends.sink_cost,
        sink_logsurv=ends.sink_logsurv,
        origin_node=np.array(o_node, dtype=np.int64),
        origin_volume_kg=np.array(o_vol),
        risk_weight=float(d["risk_weight"]),
        origin_label=np.array(o_label, dtype=object),
        sink_label=np.array(s_label, dtype=object),
        source_node=source_node,
        source_cost=ends.source_cost,
        source_logsurv=ends.source_logsurv,
        source_label=np.array([net.node_name[n] for n in src_nodes], dtype=object),
        precursor_ratio=float(ch["precursor_kg_per_kg"]) if ch else 0.0,
        sink_capacity=_sink_capacity(d, sink_node.size),
        cost_unit=unit,
        dose_mg=float(d["dose_mg"]),
        purity=float(d["purity"]),
        provenance=prov,
    )
    if not _finite(problem):
        raise sc.err(
            "risk_weight",
            f"risk_weight = {problem.risk_weight:g} and the enforcement measures make route "
            "costs overflow float64; use realistic magnitudes (below about 1e200)",
        )
    return problem


def _finite(p: Problem) -> bool:
    """False when risk_weight and the measures make a finite cost overflow."""
    with np.errstate(over="ignore", invalid="ignore"):
        parts = (
            (p.arc_cost, p.arc_logsurv, p.route_arc_cost()),
            (p.sink_cost, p.sink_logsurv, p.route_sink_cost()),
        )
        bad = any((np.isfinite(c) & np.isfinite(s) & ~np.isfinite(r)).any() for c, s, r in parts)
        # a route costs at most every arc plus the dearest crossing; times the whole volume
        # that bounds every total a report prints
        worst = sum(float(np.sum(np.abs(r[np.isfinite(r)]))) for _, _, r in parts)
        return not (bad or not np.isfinite(worst * max(float(np.sum(p.origin_volume_kg)), 1.0)))


#: what each command leaves out of a scenario: table -> what its answer assumes instead
_NOT_MODELLED = {
    "optimize": {
        "congestion": "routes at free-flow costs, no crossing or road congests",
        "relocation": "labs stay at their scenario sites",
    },
    "game": {
        "congestion": "routes at free-flow costs, no crossing or road congests",
        "relocation": "labs stay at their scenario sites",
    },
    "simulate": {"congestion": "routes at free-flow costs, no crossing or road congests"},
}


def ignored_tables(sc: Scenario, command: str) -> list[str]:
    """Return one warning per scenario table that ``command`` does not model.

    ``reten run`` models ``[congestion]`` and ``[relocation]``; the interdiction and game
    models take arc costs as fixed and labs where they are, and the dynamics move labs but
    do not congest. Their answers are then for a different problem than ``run``'s on the
    same file, which the user must be told (the result's provenance keeps the list as
    ``ignored``; the CLI and the reports print it).

    Examples
    --------
    >>> sc = Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 9}],
    ...                          "congestion": {"crossing_capacity_kg": 5}})
    >>> ignored_tables(sc, "optimize")[0][:40]
    'optimize does not model [congestion]: it'
    >>> ignored_tables(sc, "run")
    []
    """
    return [
        f"{command} does not model [{table}]: its answer assumes {instead} (reten run models it)"
        for table, instead in _NOT_MODELLED.get(command, {}).items()
        if table in sc.spec and sc.spec[table] is not None
    ]


def note_ignored(problem: Problem, sc: Scenario, command: str) -> Problem:
    """Return ``problem`` with the tables of ``sc`` that ``command`` does not model
    (:func:`ignored_tables`) noted in its provenance as ``ignored``, from where results,
    reports and the CLI show them; ``problem`` itself when there are none."""
    ignored = ignored_tables(sc, command)
    if not ignored:
        return problem
    return replace(problem, provenance={**problem.provenance, "ignored": ignored})


def resolve_all(sc: Scenario, net: Network, *, network_hash: str | None = None) -> Resolution:
    """Return the Problem and the model settings of ``sc`` on ``net``.

    Examples
    --------
    >>> from reten.data import default_network
    >>> sc = Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}],
    ...                          "congestion": {"crossing_capacity_kg": 50}})
    >>> res = resolve_all(sc, default_network())
    >>> res.settings.model, res.settings.equilibrium.method
    ('equilibrium', 'auto')
    """
    problem = resolve(sc, net, network_hash=network_hash)
    return Resolution(
        problem=problem,
        settings=ModelSettings(
            congestion=resolve_congestion(sc, net, problem),
            equilibrium=_equilibrium_options(sc),
            relocation=resolve_relocation(sc, net, problem),
            seed=int(sc.spec["seed"]),
        ),
    )


def _sink_capacity(d: dict[str, Any], k: int) -> np.ndarray:
    """Crossing capacities (kg/month) from destinations or [congestion]; inf if none."""
    default = float((d.get("congestion") or {}).get("crossing_capacity_kg", np.inf))
    dests = d.get("destinations") or []
    if dests:
        return np.array([float(t.get("capacity_kg", default)) for t in dests])
    return np.full(k, default)


def _region_node(sc: Scenario | None, field: str, net: Network, r: int) -> int:
    """The node standing for region ``r`` (see :func:`region_nodes`).

    A region without nodes: -1 when ``sc`` is None, else the place nearest its point (an
    error naming ``field`` when it has no point).
    """
    _, in_r = region_arcs_and_nodes(net, [r])
    if in_r.any():
        return int(region_nodes(net, np.array([r]))[0])
    lon, lat = net.regions.lon[r], net.regions.lat[r]
    if sc is None:
        return -1
    if not np.isfinite(lon):
        raise sc.err(field, f"region {net.regions.name[r]} has no network node")
    place = NODE_KINDS.index("place")
    d2 = (net.node_lon - lon) ** 2 + (net.node_lat - lat) ** 2
    return int(np.lexsort((np.arange(net.n_nodes), d2, net.node_kind != place))[0])


def resolve_congestion(sc: Scenario, net: Network, problem: Problem) -> Congestion | None:
    """Return the Congestion of ``[congestion]`` (None without one)."""
    cg = sc.spec.get("congestion")
    if cg is None:
        return None
    arc_cap = np.full(net.n_arcs, np.inf)
    attr = cg.get("arc_capacity_attr")
    if attr is not None:
        if attr not in net.arc_attrs:
            have = ", ".join(net.arc_attrs) or "(none)"
            raise sc.err(
                "congestion.arc_capacity_attr",
                f"the network has no arc attribute '{attr}'; attributes: {have}",
            )
        from reten.network.attributes import check_arc_values

        try:
            check_arc_values(net, str(attr), net.arc_attrs[attr], capacity=True)
        except InputError as exc:
            raise sc.err("congestion.arc_capacity_attr", str(exc)) from None
        vals = np.asarray(net.arc_attrs[attr], float)
        arc_cap = np.where(vals > 0, vals, np.inf)
    cong = Congestion(
        arc_cap,
        _sink_capacity(sc.spec, problem.sink_node.size),
        alpha=float(cg["alpha"]),
        delta=float(cg["delta"]),
    )
    why = cong.overflow(problem)
    if why:
        raise sc.err("congestion.alpha", why)
    return cong


def _equilibrium_options(sc: Scenario) -> EquilibriumOptions | None:
    cg = sc.spec.get("congestion")
    if cg is None:
        return None
    if cg["method"] == "qp" and float(cg["delta"]) != 1.0:
        raise sc.err(
            "congestion.method",
            f"'qp' needs delta = 1 (a quadratic Beckmann objective; got delta = "
            f'{float(cg["delta"]):g}); use method = "auto", "gp", "fw" or "cfw"',
        )
    return EquilibriumOptions(
        method=str(cg["method"]),
        target_gap=float(cg["target_gap"]),
        max_iterations=int(cg["max_iterations"]),
        time_limit_s=float(cg["time_limit_s"]),
    )


def congestion_options(sc: Scenario) -> dict[str, Any]:
    """Return the solver options of ``[congestion]`` as keyword arguments."""
    opts = _equilibrium_options(sc)
    return opts.as_kwargs() if opts is not None else {}


def resolve_relocation(sc: Scenario, net: Network, problem: Problem) -> RelocationSpec | None:
    """Return the RelocationSpec of ``[relocation]`` (None without one).

    Raises
    ------
    InputError
        A network without regions, an unknown candidate region, or two
        ``production_cost_factor`` keys that name one region (its code and its name).
    """
    rl = sc.spec.get("relocation")
    if rl is None:
        return None
    names = Names(net)
    regs = net.regions
    munis = regs.rows_at_level("municipality")
    if not munis.size:
        munis = np.flatnonzero(regs.parent < 0)
    if not munis.size:
        # labs move between regions: without any, every lab would stay, silently
        raise sc.err(
            "relocation",
            "the network has no regions to move labs between; use a network with regions "
            "(the embedded 'default', or one built with 'reten network build ... --regions "
            "FILE', which places nodes by lon/lat: an edge list needs --nodes with id,lon,lat "
            "too), or remove [relocation]",
        )
    if "candidates" in rl:
        cand = rl["candidates"]
        if cand == "all":
            rows = munis
        else:
            picked = [_candidate(sc, names, c) for c in cand]
            rows = np.array(
                [m for m in munis.tolist() if any(_within(regs, m, r) for r in picked)],
                dtype=np.int64,
            )
        nodes = region_nodes(net, rows)
        nodes = np.unique(nodes[nodes >= 0])
        lab_cands = [nodes] * problem.origin_node.size
    else:
        from reten.network.geo import geodesic_m

        nodes = region_nodes(net, munis)
        nodes = np.unique(nodes[nodes >= 0])
        km = float(rl["within_km"])
        lab_cands = []
        for o in problem.origin_node.tolist():
            dist = geodesic_m(
                np.full(nodes.size, net.node_lon[o]),
                np.full(nodes.size, net.node_lat[o]),
                net.node_lon[nodes],
                net.node_lat[nodes],
            )
            lab_cands.append(nodes[dist <= km * 1000])
    factor = np.ones(net.n_nodes)
    # least specific first, so that municipality factors override state factors
    resolved = [
        (names.region(sc, f"relocation.production_cost_factor.{k}", k), float(v))
        for k, v in rl.get("production_cost_factor", {}).items()
    ]
    # two keys naming one region ("25" and "Sinaloa"): the answer would hang on key order
    first: dict[int, str] = {}
    for k, (r, _) in zip(rl.get("production_cost_factor", {}), resolved, strict=True):
        if r in first:
            raise sc.err(
                "relocation.production_cost_factor",
                f"keys '{first[r]}' and '{k}' name the same region ({regs.name[r]}, "
                f"{regs.level[r]} {regs.code[r]}); give each region one factor",
            )
        first[r] = str(k)
    resolved.sort(key=lambda rv: bool(regs.parent[rv[0]] >= 0))
    for r, v in resolved:
        _, in_r = region_arcs_and_nodes(net, [r])
        factor[in_r] = v
    return RelocationSpec(
        lab_candidates=lab_cands,
        relocation_cost=float(rl["relocation_cost"]),
        node_production_cost=float(rl["production_cost"]) * factor,
        rule=str(rl["rule"]),
        logit_scale=float(rl["logit_scale"]),
        loss_value=float(rl["loss_value"]),
    )


def _candidate(sc: Scenario, names: Names, c: Any) -> int:
    """The region row of one ``relocation.candidates`` entry; "ALL" or ["all"] get a hint."""
    try:
        return names.region(sc, "relocation.candidates", c)
    except InputError as exc:
        if str(c).strip().casefold() != "all":
            raise
        raise InputError(f'{exc} (did you mean candidates = "all"?)') from None


def _within(regs: Any, row: int, ancestor: int) -> bool:
    r = row
    while r >= 0:
        if r == ancestor:
            return True
        r = int(regs.parent[r])
    return False
