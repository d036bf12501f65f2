"""Orchestration behind the public API: load, run, compare, optimize, validate, read back.

Each function resolves a :class:`~reten.scenario.Scenario` on a
:class:`~reten.network.model.Network` into a Problem and model settings, calls one model,
and wraps its arrays into a result from :mod:`reten.results` (names attached there).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from reten.checks import MAX_SEED, flag, real_number, seconds, user_path, whole_number
from reten.errors import InputError, no_network_message
from reten.models.routes import RouteResult, solve_routes
from reten.network.model import Network
from reten.problem import Problem
from reten.results import (
    ComparisonResult,
    GameResult,
    OptimizeResult,
    RunResult,
    ValidationResult,
    read_csv,
    read_run,
)
from reten.scenario import ModelSettings, Scenario, resolve, resolve_all
from reten.scenario.resolution import note_ignored

__all__ = [
    "build_network",
    "compare",
    "game",
    "load_network",
    "optimize",
    "read_csv",
    "read_run",
    "run",
    "save_network",
    "scenario_network",
    "solve",
    "validate",
]


F = TypeVar("F", bound=Callable[..., Any])


def _suggest_keywords(func: F) -> F:
    """Make an unknown keyword a TypeError that suggests the parameter meant.

    ``optimize(..., time_limit=10)`` says ``did you mean 'time_limit_s'?`` (times are
    keywords in seconds, ``_s``, across the API) instead of Python's bare message. Known
    keywords pass straight through, so the signature and the behaviour are unchanged.
    """
    import functools
    import inspect

    from reten.suggest import close_matches

    params = inspect.signature(func).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return func  # it takes any keyword: nothing is unknown
    names = list(params)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        unknown = [k for k in kwargs if k not in params]
        if unknown:
            k = unknown[0]
            close = close_matches(k, names, n=1, cutoff=0.6)
            close = close or [n for n in names if n.startswith(k)]
            hint = f"; did you mean '{close[0]}'?" if close else f"; valid: {', '.join(names)}"
            raise TypeError(f"{func.__name__}() got an unexpected keyword argument '{k}'{hint}")
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@_suggest_keywords
def load_network(source: str | os.PathLike[str] = "default") -> Network:
    """Return a road network: the embedded default or a directory saved by reten.

    Parameters
    ----------
    source : str or path-like
        ``"default"``: the embedded Mexico skeleton (municipalities, states, 28 border
        crossings, seaports); else a directory written by ``reten network build`` or
        :func:`reten.network.storage.save`.

    Returns
    -------
    Network
        Arrays in CSR form plus node, arc and region tables.

    Raises
    ------
    InputError
        When ``source`` is not a str or path, or the directory does not exist or is not a
        saved network.

    Examples
    --------
    >>> net = load_network("default")
    >>> net.n_nodes > 100, len(net.regions) > 32
    (True, True)
    >>> load_network("no/such/dir")
    Traceback (most recent call last):
    ...
    reten.errors.InputError: no/such/dir does not exist; build a network there with: ...
    """
    p = user_path("source", source, '"default" or a saved network folder')
    if str(source) == "default":
        from reten.data import default_network

        return default_network()
    if not p.exists():
        raise InputError(no_network_message(p))
    from reten.network import storage

    return storage.load(p)


@_suggest_keywords
def build_network(
    *,
    lines: str | os.PathLike[str] | None = None,
    osm: str | os.PathLike[str] | None = None,
    edges: str | os.PathLike[str] | None = None,
    nodes: str | os.PathLike[str] | None = None,
    dimacs: str | os.PathLike[str] | None = None,
    regions: str | os.PathLike[str] | None = None,
    ports: str | os.PathLike[str] | None = None,
    seaports: str | os.PathLike[str] | None = None,
    places: str | os.PathLike[str] | None = None,
    terminal_max_km: float = 10.0,
    on_progress: Any = None,
    **options: Any,
) -> Network:
    """Build a road network from geodata, with regions and terminals attached.

    Parameters
    ----------
    lines, osm, edges, dimacs : path, optional
        Exactly one source: a line file (any OGR format), an OpenStreetMap PBF/XML file, a
        CSV edge list (``source,target,length_m``; ``nodes``: ``id,lon,lat``) or a DIMACS
        ``.gr`` file.
    regions : path, optional
        Polygons (municipalities) attached to nodes and arcs (``regions_layer``,
        ``regions_code`` options).
    ports, seaports, places : path, optional
        CSV files of land ports of entry, seaports and named places, snapped to the network
        within ``terminal_max_km`` km.
    on_progress : callable, optional
        Called with a count while reading OpenStreetMap.
    **options
        Builder options: ``layer``, ``snap_m``, ``split_interior``, ``columns``,
        ``class_col``, ``speed_col``, ``oneway_col``, ``toll_col``, ``crs``,
        ``largest_component``, ``regions_layer``, ``regions_code``, ``regions_nearest_m``
        (see ``reten network build --help``).

    Returns
    -------
    Network

    Raises
    ------
    InputError
        An unknown option, no source or an unreadable input (one line naming the file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "e.csv").write_text("source,target,length_m\\na,b,10\\nb,c,5\\n")
    >>> net = build_network(edges=d / "e.csv")
    >>> net.n_nodes, sorted(map(str, net.node_key))
    (3, ['a', 'b', 'c'])
    """
    from dataclasses import fields

    from reten.network.build import BuildSpec, TerminalSpec, build

    valid = {f.name for f in fields(BuildSpec)} - {"terminals", "lines", "osm", "edges", "nodes"}
    valid -= {"dimacs", "regions"}
    unknown = sorted(set(options) - valid)
    if unknown:
        raise InputError(
            f"build_network: unknown option(s) {', '.join(unknown)}; "
            f"valid: {', '.join(sorted(valid))}"
        )
    terms = [
        TerminalSpec(str(p), kind, terminal_max_km * 1000)
        for p, kind in ((ports, "border"), (seaports, "seaport"), (places, "place"))
        if p is not None
    ]

    def opt(p: Any) -> str | None:
        return None if p is None else str(p)

    spec = BuildSpec(
        lines=opt(lines),
        osm=opt(osm),
        edges=opt(edges),
        nodes=opt(nodes),
        dimacs=opt(dimacs),
        regions=opt(regions),
        terminals=terms,
        **options,
    )
    return build(spec, on_progress=on_progress)


@_suggest_keywords
def save_network(net: Network, path: str | os.PathLike[str]) -> Path:
    """Save ``net`` in directory ``path`` (read it back with :func:`load_network`).

    Examples
    --------
    >>> import tempfile
    >>> net = load_network("default")
    >>> load_network(save_network(net, tempfile.mkdtemp() + "/net")).n_arcs == net.n_arcs
    True
    """
    from reten.network import storage

    return Path(storage.save(net, path))


def _network_key(sc: Scenario) -> str:
    """The network a scenario names, as a comparable key (``"default"`` or a path)."""
    net = sc.spec["network"]
    if "path" not in net:
        return "default"
    p = Path(str(net["path"]))
    return str((p if p.is_absolute() else sc.base_dir / p).resolve())


def _given_network(net: Any) -> Network:
    """Return ``net`` when it is a Network; load it when it is "default" or a directory."""
    if isinstance(net, Network):
        return net
    if isinstance(net, str | os.PathLike):
        return load_network(net)
    raise InputError(
        f'net: expected a Network (from reten.load_network), "default" or a network '
        f"directory, got {type(net).__name__}"
    )


def scenario_network(sc: Scenario) -> Network:
    """Return the network a scenario names in ``[network]`` (default or ``path``)."""
    net = sc.spec["network"]
    if "path" in net:
        p = Path(str(net["path"]))
        if not p.is_absolute():
            p = sc.base_dir / p
        if not (p / "meta.json").is_file():
            raise sc.err("network.path", no_network_message(p))
        from reten.network import storage

        return storage.load(p)
    from reten.data import default_network

    return default_network()


def solve(problem: Problem, settings: ModelSettings, net: Network) -> RouteResult:
    """Run the model the settings ask for: routes, congestion equilibrium or relocation.

    A precursor leg (``problem.source_node``) is added to any of them.

    Parameters
    ----------
    problem : Problem
        Arrays only (see :func:`reten.scenario.resolve`).
    settings : ModelSettings
        Typed model settings (see :func:`reten.scenario.resolve_all`).
    net : Network

    Returns
    -------
    RouteResult
        Arrays indexed like the problem's origins, sinks and the network's arcs.

    References
    ----------
    Dell, M. (2015). Trafficking Networks and the Mexican Drug War. *American Economic
    Review* 105(6), 1738-1779.

    Examples
    --------
    >>> net = load_network("default")
    >>> sc = Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    >>> r = resolve_all(sc, net)
    >>> float(solve(r.problem, r.settings, net).crossing_flow_kg.sum())
    90.0
    """
    if settings.relocation is not None:
        from reten.models.relocation import relocate

        return relocate(net, problem, settings.relocation)
    if settings.congestion is not None:
        from reten.models.equilibrium import solve_equilibrium

        opts = settings.equilibrium.as_kwargs() if settings.equilibrium else {}
        result = solve_equilibrium(net, problem, settings.congestion, **opts)
    else:
        result = solve_routes(net, problem)
    if problem.source_node.size:
        from reten.models.chain import solve_inbound

        result = replace(result, inbound=solve_inbound(net, problem))
    return result


def _as_scenario(sc: Scenario | str | os.PathLike[str] | dict[str, Any]) -> Scenario:
    if isinstance(sc, Scenario):
        return sc
    if isinstance(sc, dict):
        return Scenario.from_dict(sc)
    if isinstance(sc, str | os.PathLike):
        return Scenario.from_toml(sc)
    raise InputError(f"expected a Scenario, a dict or a TOML path, got {type(sc).__name__}")


def _result(sc: Scenario, net: Network, r: RouteResult) -> RunResult:
    return RunResult(
        name=sc.name, provenance=dict(r.provenance), network=net, routes=r, scenario=sc
    )


@_suggest_keywords
def run(
    sc: Scenario | str | os.PathLike[str] | dict[str, Any], net: Network | None = None
) -> RunResult:
    """Run a scenario: least-cost routes, congestion equilibrium or lab relocation.

    Parameters
    ----------
    sc : Scenario, dict or path
        The scenario (a dict or a TOML path is read with :meth:`Scenario.from_dict` /
        :meth:`Scenario.from_toml`).
    net : Network, optional
        The network; default: the one the scenario's ``[network]`` names.

    Returns
    -------
    RunResult
        ``.origins``, ``.regions``, ``.crossings`` (DataFrames), ``.arcs`` (GeoDataFrame,
        EPSG:4326), ``.summary``, ``.provenance``; ``.write(dir)`` writes the run directory.

    Raises
    ------
    InputError
        An invalid scenario, a name the network lacks, or no origin with a route to an
        open crossing.

    References
    ----------
    Dell, M. (2015). Trafficking Networks and the Mexican Drug War. *AER* 105(6).

    Examples
    --------
    >>> import reten
    >>> net = reten.load_network("default")
    >>> sc = reten.Scenario.from_dict({"origins": [{"municipality": "Culiacán",
    ...                                            "volume_kg": 100}]})
    >>> res = reten.run(sc, net)
    >>> res.summary["volume_kg"], res.origins.loc[0, "crossing"]
    (100.0, 'Nogales crossing')
    >>> res.regions.region.dtype == res.origins.node.dtype == "str"
    True
    >>> str(res.arcs.crs)
    'EPSG:4326'
    """
    sc = _as_scenario(sc)
    net = _given_network(net) if net is not None else scenario_network(sc)
    res = resolve_all(sc, net)
    r = solve(res.problem, res.settings, net)
    _check_reached(sc, r)
    return _result(sc, net, r)


def _check_reached(sc: Scenario, r: RouteResult) -> None:
    p = r.problem
    if r.unreachable.size == p.origin_node.size:
        names = ", ".join(str(x) for x in p.origin_label[:20])
        raise InputError(
            f"{sc.path}: no route from any origin to an open crossing "
            f"(origins: {names}); check closures and destinations"
        )


@_suggest_keywords
def compare(
    base: RunResult | Scenario | str | os.PathLike[str] | dict[str, Any],
    scenario: RunResult | Scenario | str | os.PathLike[str] | dict[str, Any],
    net: Network | None = None,
) -> ComparisonResult:
    """Return what ``scenario`` changes relative to ``base``: displacement by region.

    Parameters
    ----------
    base, scenario : RunResult, or Scenario, dict or path
        Two runs on the same network (from :func:`run`), or two scenarios, which are run
        first (on ``net``, else on the network each names, loaded once when the same).
    net : Network, optional
        The network to run scenarios on.

    Returns
    -------
    ComparisonResult
        ``.regions`` (per-region change, codes and names), ``.crossings``, ``.origins``
        (cost increase), ``.totals``; ``.write(dir)`` writes the comparison directory.

    Raises
    ------
    InputError
        When the runs are on different networks, or one was read back from a directory.

    References
    ----------
    Dell (2015), section IV: predicted diversion and the increase in traffickers' costs.

    Examples
    --------
    >>> import reten
    >>> net = reten.load_network("default")
    >>> base = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    >>> surge = base.add_enforcement({"type": "crackdown", "regions": ["Sinaloa"],
    ...                               "cost_multiplier": 3.0})
    >>> cmp = reten.compare(reten.run(base, net), reten.run(surge, net))
    >>> cmp.totals["cost_increase"] > 0, list(cmp.regions.columns[:3])
    (True, ['region', 'level', 'flow_base_kg'])
    """
    from reten.analysis.displacement import compare as displacement

    if not isinstance(base, RunResult):
        sb = _as_scenario(base)
        net = _given_network(net) if net is not None else scenario_network(sb)
        base = run(sb, net)
    if not isinstance(scenario, RunResult):
        ss = _as_scenario(scenario)
        same = base.scenario is not None and _network_key(ss) == _network_key(base.scenario)
        scenario = run(ss, net if net is not None else base.network if same else None)
    net, rb = base._need("compare")
    net2, rs = scenario._need("compare")
    if net2 is not net and net2.content_hash() != net.content_hash():
        raise InputError(f"{scenario.name}: runs on a different network than {base.name}")
    c = displacement(net, rb, rs)
    return ComparisonResult(
        base=base,
        scenario=scenario,
        regions=c.regions,
        crossings=c.crossings,
        origins=c.origins,
        totals=c.totals,
        provenance={"baseline": dict(base.provenance), "scenario": dict(scenario.provenance)},
    )


#: the largest budget :func:`optimize` (and ``reten optimize --budget``) takes: a million
#: units, far above any real deployment (the embedded network has some 10^4 arcs)
MAX_BUDGET = 1_000_000


@_suggest_keywords
def optimize(
    sc: Scenario | str | os.PathLike[str] | dict[str, Any],
    net: Network | None = None,
    *,
    budget: float,
    objective: str = "cost",
    sites: str = "arcs",
    method: str = "auto",
    time_limit_s: float = 300.0,
    delay: float = 50.0,
    p_detect: float = 0.1,
    max_units: int = 1,
    curve: bool = True,
) -> OptimizeResult:
    """Choose where ``budget`` units cost traffickers most or intercept most, with bounds.

    The scenario's own enforcement is the starting point; the trafficker best-responds to
    the units (a Stackelberg network-interdiction game).

    Parameters
    ----------
    sc : Scenario, dict or path
    net : Network, optional
        Default: the scenario's ``[network]``.
    budget : int
        Units available: a whole number from 1 to ``MAX_BUDGET`` (1,000,000; every unit
        uses one; ``2.5`` is an error, not rounded). A budget above the units the sites
        can hold (``max_units`` per site; one per site for ``capacity``) is accepted and
        solved as that many: the ``effective_budget``.
    objective : {"cost", "interception", "capacity"}
        Maximise the traffickers' least cost (cost units·kg/month), maximise expected
        interception (kg/month), or minimise the volume that can still cross (kg/month,
        the maximum flow under the scenario's capacities with the chosen sites removed;
        it needs a ``capacity_kg`` on some crossing or road).
    sites : {"arcs", "nodes", "crossings", "regions"}
        Candidate sites.
    method : {"auto", "milp", "decomposition", "greedy"}
    time_limit_s : float
        Seconds per budget K (> 0): with the curve, each K = 1..budget gets this limit, so
        the answer for a K does not depend on ``budget`` (the call takes up to
        ``budget * time_limit_s``). The keyword is ``time_limit_s`` (seconds), as in
        :func:`game`.
    delay : float
        Cost units each unit adds to the arcs it covers, in [0, 1e12] (a larger delay
        would take the traffickers' summed costs out of exact arithmetic; to close
        roads, use ``objective="capacity"``).
    p_detect : float
        Detection probability of one unit, in [0, 1).
    max_units : int
        Units per site at most (a whole number >= 1).
    curve : bool
        Also compute the marginal-value curve K = 1..effective budget, when that is at most
        30 (one solve per K); otherwise ``.curve`` has the one row of the budget solved
        and ``.curve_note`` says why.

    Returns
    -------
    OptimizeResult
        ``.lower_bound``, ``.upper_bound``, ``.value``, ``.sites`` (DataFrame), ``.curve``,
        ``.response`` (the traffickers' best response; for ``capacity`` a least-cost
        maximum flow under the capacities, so no crossing carries more than its
        capacity), ``.comparison`` and ``.provenance`` (input hashes, parameters, reten
        version; also in the output's ``result.json`` and ``provenance.json``).

    Raises
    ------
    InputError
        A parameter out of range (named: ``budget``, ``p_detect``, ``delay``,
        ``max_units``, ``time_limit_s``), an invalid scenario, or ``objective="capacity"``
        on a scenario without capacities.
    TypeError
        An unknown keyword (``time_limit=`` suggests ``time_limit_s``).

    References
    ----------
    Israeli, E. & Wood, R. K. (2002). Shortest-path network interdiction. *Networks* 40(2).
    Morton, D., Pan, F. & Saeger, K. (2007). Models for nuclear smuggling interdiction.
    *IIE Transactions* 39(1). Wood, R. K. (1993). Deterministic network interdiction.
    *Mathematical and Computer Modelling* 17(2).

    Examples
    --------
    >>> import reten
    >>> net = reten.load_network("default")
    >>> sc = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}],
    ...                                "costs": {"mode": "length_km"}})
    >>> opt = reten.optimize(sc, net, budget=2, objective="cost", sites="crossings")
    >>> opt.lower_bound <= opt.upper_bound + 1e-6, len(opt.sites) <= 2
    (True, True)
    """
    from reten.models.interdiction import (
        NO_CAPACITY,
        OBJECTIVES,
        apply_units,
        build_sites,
        capacities,
        marginal_curve,
    )
    from reten.models.interdiction import optimize as interdict
    from reten.models.interdiction.flows import capacity_response
    from reten.models.interdiction.sites import check_site_parameters
    from reten.report.optimize import curve_frame, log_frame, sites_frame

    # choices in any letter case, as the command line takes them
    objective, sites, method = (
        v.lower() if isinstance(v, str) else v for v in (objective, sites, method)
    )
    if objective not in OBJECTIVES:
        raise InputError(f"objective '{objective}' unknown; valid: {', '.join(OBJECTIVES)}")
    # a whole number (np.int64 too; 2.5 refused, never rounded): 3, never 3.0, in every output
    budget = whole_number("budget", budget, lo=1, hi=MAX_BUDGET)
    time_limit_s = seconds("time_limit_s", time_limit_s)
    curve = flag("curve", curve)
    check_site_parameters(delay=delay, max_units=max_units, p_detect=p_detect)
    delay, p_detect, max_units = float(delay), float(p_detect), int(max_units)
    from reten import clock  # time limits exclude one-time kernel compilation

    t0 = clock.now()
    sc = _as_scenario(sc)
    net = _given_network(net) if net is not None else scenario_network(sc)
    problem = note_ignored(resolve(sc, net), sc, "optimize")
    routes0 = solve_routes(net, problem)  # the routes with no unit: also the baseline below
    _check_reached(sc, routes0)  # one line naming the scenario's origins
    if objective == "capacity" and not np.isfinite(capacities(net, problem)).any():
        raise sc.err("destinations", NO_CAPACITY)
    cand = build_sites(net, problem, sites, delay=delay, p_detect=p_detect, max_units=max_units)
    # units that can do anything: a capacity unit removes its site, so one per site counts
    usable = cand.size if objective == "capacity" else int(cand.upper.sum())
    effective = int(min(budget, usable))
    kmax, note = _curve_plan(curve, budget, effective, objective)
    if kmax > 1:
        results = marginal_curve(
            net, problem, cand, kmax, objective=objective, method=method, time_limit=time_limit_s
        )
        res = results[-1]
    else:
        res = interdict(
            net,
            problem,
            cand,
            float(effective),
            objective=objective,
            method=method,
            time_limit=time_limit_s,
        )
        results = [res]
    # the curve keeps each K's own seconds; the answer records the whole call's
    res = replace(res, seconds=clock.now() - t0)
    if objective == "capacity":
        # the flows shown are a least-cost maximum flow under the capacities, before and
        # after the removals (the uncapacitated routes would ignore them)
        base_r = capacity_response(net, problem, cand, np.zeros(cand.size, np.int64))[1]
        resp_r = capacity_response(net, problem, cand, res.units)[1]
    else:
        base_r = routes0
        resp_r = solve_routes(net, apply_units(problem, cand, res.units))
    base = _result(sc, net, base_r)
    response = RunResult(
        name=f"{sc.name}: response", provenance=dict(resp_r.provenance), network=net, routes=resp_r
    )
    cmp = compare(base, response)
    prov = {
        **{k: v for k, v in problem.provenance.items() if k != "seconds"},
        "objective": objective,
        "sites": sites,
        "method": res.method,  # the method that answered (auto/decomposition, ...)
        "method_asked": method,
        "budget": budget,
        "effective_budget": effective,
        # a capacity unit removes its site: delay, detection and units per site play no part
        **(
            {}
            if objective == "capacity"
            else {"delay": delay, "p_detect": p_detect, "max_units": max_units}
        ),
        "time_limit_s": time_limit_s,
        "curve": curve,
    }
    return OptimizeResult(
        objective=res.objective,
        method=res.method,
        budget=budget,
        value=res.objective_value,
        lower_bound=res.lower_bound,
        upper_bound=res.upper_bound,
        gap=res.gap,
        status=res.status,
        seconds=res.seconds,
        sites=sites_frame(res, net, problem),
        curve=curve_frame(results),
        log=log_frame(results),
        baseline=base,
        response=response,
        comparison=cmp,
        provenance=prov,
        raw=res,
        curve_raw=tuple(results),
        effective_budget=effective,
        curve_note=note,
    )


#: the marginal-value curve is computed up to this many units (one solve per K)
MAX_CURVE_K = 30


def _curve_plan(
    curve: bool, budget: int, effective: int, objective: str = "cost"
) -> tuple[int, str]:
    """Return the curve's last K (0: no curve) and, when it is not computed, why (in the
    objective's words: units are removals for ``capacity``)."""
    if not curve:
        return 0, "the marginal-value curve was not asked for (curve=False, --no-curve)"
    if effective > MAX_CURVE_K:
        usable = "sites that can be removed" if objective == "capacity" else "usable units"
        return 0, (
            f"the marginal-value curve is computed up to K = {MAX_CURVE_K} (one solve per "
            f"K); budget {budget:g} gives {effective:,} {usable}, so only K = "
            f"{effective:,} was solved"
        )
    return effective, ""


#: limits of :func:`game`, the same as ``reten game``'s
MAX_CHECKPOINTS = 1000
MAX_SCHEDULES = 1_000_000


@_suggest_keywords
def game(
    sc: Scenario | str | os.PathLike[str] | dict[str, Any],
    net: Network | str | os.PathLike[str] | None = None,
    *,
    checkpoints: int,
    sites: str = "arcs",
    gap: float = 1e-4,
    time_limit_s: float = 600.0,
    pure_time_limit_s: float | None = None,
    schedules: int = 0,
    seed: int | None = None,
    p_detect: float = 0.1,
    compare_tsai: bool = False,
) -> GameResult:
    """Randomise ``checkpoints`` units against traffickers who watch: a security game.

    The defender commits to a probability distribution over sets of ``checkpoints``
    sites; each origin's traffickers know the probabilities (not the day's draw) and take
    the route with the least expected interception. The answer is the distribution that
    maximises the expected interception they cannot avoid, with certified bounds, and
    its gain over the best fixed plan (``optimize(objective="interception")`` on the
    same sites and detection probabilities).

    Parameters
    ----------
    sc : Scenario, dict or path
        Origins, volumes, crossings; its own enforcement is base detection.
    net : Network, "default" or path, optional
        Default: the scenario's ``[network]``.
    checkpoints : int
        Units placed each day (1 to 1,000), one per site at most.
    sites : {"arcs", "nodes", "crossings"}
        Candidate sites: roads (both directions), junctions or crossings.
    gap : float
        Stop when the bounds are within this relative gap, in [0, 1).
    time_limit_s : float
        Seconds for the game (> 0); the bounds hold whenever it stops.
    pure_time_limit_s : float, optional
        Seconds for the pure-strategy optimum (default ``time_limit_s``).
    schedules : int
        Daily schedules to sample from the mixed strategy (0 to 1,000,000).
    seed : int, optional
        Seed of the sampling (default: the scenario's ``seed``).
    p_detect : float
        Detection probability of one unit, in [0, 1), where the network has no per-arc
        ``p_detect`` attribute.
    compare_tsai : bool
        Also compute the LP-marginals-and-sample method (Tsai et al. 2010) and its true
        value.

    Returns
    -------
    GameResult
        ``.value`` and bounds (kg/month), ``.coverage`` (site, name, probability, lon,
        lat), ``.support``, ``.schedules``, ``.pure_value``,
        ``.value_of_randomisation``, ``.log``; ``.write(dir)``, ``.summary`` (dict),
        ``.to_json()`` (JSON text).

    Raises
    ------
    InputError
        A parameter out of range (named), a site kind the game does not take, or an
        invalid scenario.

    References
    ----------
    Jain, M. et al. (2011). A double oracle algorithm for zero-sum security games on graphs.
    *AAMAS 2011*. Jain, M., Conitzer, V. & Tambe, M. (2013). Security scheduling for
    real-world networks. *AAMAS 2013*. Tsai, J. et al. (2010). Urban security:
    game-theoretic resource allocation in networked physical domains. *AAAI 2010*.

    Examples
    --------
    >>> import reten
    >>> sc = reten.Scenario.from_dict({"origins": [{"state": "Sonora", "volume_kg": 10}]})
    >>> g = reten.game(sc, checkpoints=1, sites="crossings", p_detect=0.5, schedules=3)
    >>> g.status, len(g.schedules), g.value >= g.pure_value
    ('optimal', 3, True)
    """
    from reten.models.game import GAME_SITE_KINDS, sample_schedules, solve_game, tsai_comparison
    from reten.models.game.instance import build_instance
    from reten.models.interdiction import build_sites
    from reten.report.game import (
        coverage_frame,
        log_frame,
        routes_frame,
        schedules_frame,
        sites_named,
        support_frame,
    )

    sites = sites.lower() if isinstance(sites, str) else sites  # any letter case, as the CLI
    if sites not in GAME_SITE_KINDS:
        raise InputError(
            f"sites '{sites}' unknown for the game; valid: {', '.join(GAME_SITE_KINDS)}"
        )
    checkpoints = whole_number("checkpoints", checkpoints, lo=1, hi=MAX_CHECKPOINTS)
    compare_tsai = flag("compare_tsai", compare_tsai)
    gap = real_number("gap", gap, lo=0, hi=1, hi_open=True)
    time_limit_s = seconds("time_limit_s", time_limit_s)
    if pure_time_limit_s is not None:
        pure_time_limit_s = seconds("pure_time_limit_s", pure_time_limit_s)
    schedules = whole_number("schedules", schedules, lo=0, hi=MAX_SCHEDULES)
    if seed is not None:
        seed = whole_number("seed", seed, lo=0, hi=MAX_SEED)
    p_detect = real_number("p_detect", p_detect, lo=0, hi=1, hi_open=True)
    sc = _as_scenario(sc)
    net = _given_network(net) if net is not None else scenario_network(sc)
    problem = note_ignored(resolve(sc, net), sc, "game")
    base_r = solve_routes(net, problem)
    _check_reached(sc, base_r)  # one line naming the scenario and its origins
    cand = build_sites(net, problem, sites, delay=0.0, p_detect=float(p_detect))
    sol = solve_game(
        net,
        problem,
        cand,
        int(checkpoints),
        gap=float(gap),
        time_limit=float(time_limit_s),
        pure_time_limit=pure_time_limit_s,
    )
    tsai = None
    if compare_tsai:
        # on volumes that sum to 1, as the game itself (relative tolerances), scaled back
        norm, scale = problem.per_unit_volume()
        tsai = tsai_comparison(build_instance(net, norm, cand, int(checkpoints)))
        tsai = {**tsai, "lp_value": tsai["lp_value"] * scale, "value": tsai["value"] * scale}
    seed = int(sc.spec["seed"]) if seed is None else seed
    draws = sample_schedules(sol.probability, int(schedules), np.random.default_rng(seed))
    named = sites_named(net, problem, cand, np.flatnonzero(sol.coverage > 0))
    base = _result(sc, net, base_r)
    prov = {
        **{k: v for k, v in base_r.provenance.items() if k != "seconds"},
        "model": "security game (double oracle)",
        "checkpoints": int(checkpoints),
        "sites": sites,
        # the gap asked for; the result's ``gap`` is the one reached
        "gap_asked": float(gap),
        "time_limit_s": float(time_limit_s),
        # the limit the pure optimum ran with (None means the game's own)
        "pure_time_limit_s": float(
            pure_time_limit_s if pure_time_limit_s is not None else time_limit_s
        ),
        "p_detect": float(p_detect),
        "schedules": int(schedules),
        "seed": seed,
    }
    return GameResult(
        checkpoints=int(checkpoints),
        site_kind=sites,
        value=sol.value,
        lower_bound=sol.lower_bound,
        upper_bound=sol.upper_bound,
        gap=sol.gap,
        status=sol.status,
        seconds=sol.seconds,
        iterations=sol.iterations,
        pure_value=sol.pure_value,
        pure_upper_bound=sol.pure_upper,
        value_of_randomisation=sol.value_of_randomisation,
        value_of_randomisation_bounds=sol.value_of_randomisation_bounds,
        pure_status=sol.pure_status,
        coverage=coverage_frame(sol, named),
        support=support_frame(sol),
        schedules=schedules_frame(sol, draws) if schedules else schedules_frame(sol, draws[:0]),
        routes=routes_frame(sol, net, problem),
        log=log_frame(sol),
        tsai=tsai,
        baseline=base,
        provenance=prov,
        raw=sol,
        draws=draws if schedules else None,
        site_names=named,
    )


#: the most bootstrap resamples :func:`validate` (and ``reten validate --bootstrap``) takes
MAX_BOOTSTRAP = 100_000


@_suggest_keywords
def validate(
    result: RunResult | ComparisonResult | str | os.PathLike[str],
    observed: str | os.PathLike[str],
    *,
    region_col: str,
    value_col: str,
    level: str = "state",
    agg: str = "mean",
    where: str | None = None,
    bootstrap: int = 2000,
    seed: int = 0,
    change: str | None = None,
    baseline: str | None = None,
) -> ValidationResult:
    """Compare a run's predicted region flows with an observed region-level series.

    Parameters
    ----------
    result : RunResult, ComparisonResult or path
        A run or a run directory (predicted: volume entering each region), or a
        comparison or comparison directory (predicted: the change, ``delta_kg``).
    observed : path
        CSV with one row per region (and period): ``region_col`` holds region codes.
    region_col, value_col : str
        Columns of ``observed``.
    level : str
        Region level to compare (``state`` or ``municipality``).
    agg : {"mean", "sum", "median"}
        How rows of one region are combined.
    where : str, optional
        A row filter such as ``"year >= 2015"``.
    bootstrap : int
        Bootstrap resamples of the confidence interval (1 to 100,000, as ``--bootstrap``).
    seed : int
        Seed of the bootstrap and permutation draws (a whole number >= 0).
    change, baseline : str, optional
        Row filters of the observed periods after and before (for example
        ``"year >= 2007"`` and ``"year < 2007"``): the observed value of a region is then
        its ``agg`` over the change rows minus its ``agg`` over the baseline rows, as Dell
        (2015) compares changes in violence with predicted changes in trafficking. Give
        both or neither.

    Returns
    -------
    ValidationResult
        Spearman rank correlation, 95% bootstrap interval, permutation p-value, the matched
        table.

    Raises
    ------
    InputError
        A missing file or column, or a level the run does not have.

    Examples
    --------
    >>> import tempfile, pathlib, reten
    >>> net = reten.load_network("default")
    >>> sc = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90},
    ...                                            {"state": "Michoacán", "volume_kg": 30}]})
    >>> res = reten.run(sc, net)
    >>> obs = pathlib.Path(tempfile.mkdtemp()) / "obs.csv"
    >>> top = res.regions[res.regions.level == "state"].nlargest(6, "flow_kg")
    >>> rows = [f"{c},{f}" for c, f in zip(top.region, top.flow_kg)]
    >>> _ = obs.write_text("\\n".join(["code,v", *rows]))
    >>> v = reten.validate(res, obs, region_col="code", value_col="v", bootstrap=50)
    >>> v.n, round(v.spearman, 3)
    (6, 1.0)
    """
    from reten.analysis.validate import check_result_dir, read_observed, refuse_data_file
    from reten.analysis.validate import validate as spearman

    if (change is None) != (baseline is None):
        raise InputError("validate: give both change and baseline row filters, or neither")
    bootstrap = whole_number("bootstrap", bootstrap, lo=1, hi=MAX_BOOTSTRAP)
    seed = whole_number("seed", seed, lo=0, hi=MAX_SEED)
    observed = user_path("observed", observed, "a CSV file path")
    if not isinstance(result, RunResult | ComparisonResult):
        result = user_path("result", result, "a RunResult, a ComparisonResult or a folder path")
    if os.path.isfile(observed):
        refuse_data_file(str(observed))  # a shapefile or workbook: said before any work
    is_change = isinstance(result, ComparisonResult) or (
        not isinstance(result, RunResult) and (Path(result) / "regions_delta.csv").is_file()
    )
    if isinstance(result, RunResult):
        pred, label = result.regions, result.name
    elif isinstance(result, ComparisonResult):
        pred, label = result.regions.rename(columns={"delta_kg": "flow_kg"}), result.name
    else:
        from reten.report.exports import read_table

        check_result_dir(Path(result))
        rpath = Path(result) / "regions.csv"
        dpath = Path(result) / "regions_delta.csv"
        if dpath.is_file():
            pred = read_table(dpath).rename(columns={"delta_kg": "flow_kg"})
        else:
            pred = read_table(rpath)
        label = str(result)
    levels = sorted(set(pred.level))
    if level not in levels:
        raise InputError(f"level '{level}' not in the run's regions; levels: {', '.join(levels)}")
    pred = pred[pred.level == level].rename(columns={"flow_kg": "predicted"})
    if change is not None and baseline is not None:
        both = [f"({where})"] if where else []
        after = read_observed(
            str(observed), region_col, value_col, agg=agg, where=" and ".join([*both, change])
        )
        before = read_observed(
            str(observed), region_col, value_col, agg=agg, where=" and ".join([*both, baseline])
        )
        obs = after.merge(before, on="region", suffixes=("_after", "_before"))
        obs = obs.assign(observed=obs.observed_after - obs.observed_before)[["region", "observed"]]
    else:
        obs = read_observed(str(observed), region_col, value_col, agg=agg, where=where)
    zero_filled = 0
    if is_change and len(pred):
        # a comparison lists the regions whose flow changed; every other region of the
        # level (a code of the same form) had no predicted change
        width = {len(str(c)) for c in pred.region}
        extra = obs.region[~obs.region.isin(pred.region) & obs.region.str.len().isin(width)]
        zero_filled = int(extra.size)
        pred = pd.concat(
            [pred, pd.DataFrame({"region": extra.to_numpy(), "predicted": 0.0, "name": ""})],
            ignore_index=True,
        )
    v = spearman(
        pred[["region", "predicted"]], obs, bootstrap=bootstrap, seed=seed, where=str(observed)
    )
    names = dict(zip(pred.region, pred.get("name", pred.region), strict=True))
    tab = v.table.assign(name=[names.get(r, "") for r in v.table.region])
    summary = v.summary() | {
        "result": label,
        # the file read, resolved (a relative path names no file once read elsewhere),
        # and its hash
        "observed": str(Path(observed).resolve()),
        "observed_sha256": hashlib.sha256(Path(observed).read_bytes()).hexdigest(),
        "value_col": value_col,
        "level": level,
        "agg": agg,
        "where": where,
        "change": change,
        "baseline": baseline,
        "regions_with_no_predicted_change": zero_filled,
    }
    return ValidationResult(
        spearman=v.spearman,
        ci_low=v.ci_low,
        ci_high=v.ci_high,
        p_value=v.p_value,
        n=v.n,
        table=tab,
        summary=summary,
        raw=v,
        spearman_status=v.status,
        note=v.note,
    )


# ----------------------------------------------------------------------------- demo

DEMO_STEPS = (
    ("baseline", "Baseline: labs in Sinaloa and the Golden Triangle ship to the cheapest crossing"),
    ("sinaloa_surge", "Sinaloa surge: troops raise cost and detection in Sinaloa"),
    ("border_surge", "Border surge: 10,000 National Guard spread over the northern crossings"),
    ("both", "Both surges together"),
)
"""The demo story: (key, description); the scenarios are ``reten/data/demo/KEY.toml``."""


@_suggest_keywords
def demo(
    net: Network | None = None,
) -> list[tuple[str, str, RunResult, ComparisonResult | None]]:
    """Run the embedded demo story on the default network.

    Returns
    -------
    list of (key, description, run, comparison with the baseline or None)
        One entry per scenario of :data:`DEMO_STEPS`, baseline first.

    Examples
    --------
    >>> steps = demo()
    >>> [k for k, _, _, _ in steps]
    ['baseline', 'sinaloa_surge', 'border_surge', 'both']
    >>> steps[1][3].totals["cost_increase"] > 0
    True
    """
    from importlib import resources

    from reten.data import default_network

    net = net if net is not None else default_network()
    out: list[tuple[str, str, RunResult, ComparisonResult | None]] = []
    with resources.as_file(resources.files("reten.data") / "demo") as ddir:
        base: RunResult | None = None
        for key, desc in DEMO_STEPS:
            res = run(Scenario.from_toml(ddir / f"{key}.toml"), net)
            cmp = compare(base, res) if base is not None else None
            base = base or res
            out.append((key, desc, res, cmp))
    return out
