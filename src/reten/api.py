"""The Python API in a few calls: load a scenario, run it, compare two runs."""

from __future__ import annotations

from pathlib import Path

from reten.errors import InputError, no_network_message
from reten.models.routes import RouteResult, solve_routes
from reten.network.model import Network
from reten.problem import Problem
from reten.scenario import Scenario, load_scenario, resolve


def scenario_network(sc: Scenario) -> Network:
    """Return the network a scenario names: the embedded default or a saved directory."""
    from reten.network import storage

    net = sc.data.get("network", {"default": True})
    if "path" in net:
        if net.get("default"):
            raise sc.err("network", "give default = true or path, not both")
        p = Path(str(net["path"]))
        if not p.is_absolute():
            p = Path(sc.path).parent / p
        if not (p / "meta.json").is_file():
            raise sc.err("network.path", no_network_message(p))
        return storage.load(p)
    if net.get("default", True) is not True:
        raise sc.err("network", 'give default = true or path = "DIR"')
    from reten.data import default_network

    return default_network()


def prepare(path: str | Path, net: Network | None = None) -> tuple[Scenario, Network, Problem]:
    """Return the scenario at ``path``, its network and its resolved Problem."""
    sc = load_scenario(path)
    net = net if net is not None else scenario_network(sc)
    return sc, net, resolve(sc, net)


def solve(sc: Scenario, net: Network, problem: Problem) -> RouteResult:
    """Run the model a scenario asks for: routes, congestion equilibrium or relocation.

    A ``[chain]`` adds the precursor leg to any of them.
    """
    from reten.scenario import congestion_options, resolve_congestion, resolve_relocation

    relocation = resolve_relocation(sc, net, problem)
    if relocation is not None:
        from reten.models.relocation import relocate

        return relocate(net, problem, relocation)
    congestion = resolve_congestion(sc, net, problem)
    if congestion is not None:
        from reten.models.equilibrium import solve_equilibrium

        result = solve_equilibrium(net, problem, congestion, **congestion_options(sc))
    else:
        result = solve_routes(net, problem)
    if problem.source_node.size:
        from dataclasses import replace

        from reten.models.chain import solve_inbound

        result = replace(result, inbound=solve_inbound(net, problem))
    return result


def run(path: str | Path, net: Network | None = None) -> tuple[Scenario, Network, RouteResult]:
    """Return (scenario, network, route result); raise InputError when no origin has a route."""
    sc, net, problem = prepare(path, net)
    result = solve(sc, net, problem)
    if result.unreachable.size == problem.origin_node.size:
        names = ", ".join(str(x) for x in problem.origin_label[:20])
        raise InputError(
            f"{sc.path}: no route from any origin to an open crossing "
            f"(origins: {names}); check closures and destinations"
        )
    return sc, net, result
