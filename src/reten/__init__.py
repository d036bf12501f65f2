"""reten: model illicit supply chains on real road networks and plan enforcement against them.

The public API::

    import reten
    net = reten.load_network("default")
    sc = reten.Scenario.from_toml("baseline.toml")   # or reten.Scenario.from_dict({...})
    res = reten.run(sc, net)                         # res.origins, .regions, .crossings, .arcs
    cmp = reten.compare(res, reten.run(sc2, net))
    opt = reten.optimize(sc, net, budget=5, objective="cost", sites="arcs")
    g = reten.game(sc, net, checkpoints=5, sites="arcs")   # randomised, certified
    back = reten.read_run("out/run")
    sites = reten.read_csv("out/opt/sites.csv")              # ids and codes as strings
    sim = reten.simulate(sc, net, months=180, runs=30, seed=1, policy="reactive")
    swp = reten.sweep("grid.toml", "out/sweep", workers=2)   # dask.distributed, resumable

See ``docs/python.md``.
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from reten.errors import InputError

# The public names load on first use (PEP 562), so ``import reten`` and the command line's
# usage errors do not pay for pandas, numba and SciPy (about 1 s) before they are needed.
_LAZY = {
    "build_network": "reten.api",
    "compare": "reten.api",
    "game": "reten.api",
    "load_network": "reten.api",
    "optimize": "reten.api",
    "read_csv": "reten.api",
    "read_run": "reten.api",
    "run": "reten.api",
    "save_network": "reten.api",
    "validate": "reten.api",
    "Network": "reten.network.model",
    "Regions": "reten.network.model",
    "ComparisonResult": "reten.results",
    "GameResult": "reten.results",
    "OptimizeResult": "reten.results",
    "RunResult": "reten.results",
    "ValidationResult": "reten.results",
    "Scenario": "reten.scenario",
    "Simulation": "reten.sweep",
    "SweepResult": "reten.sweep",
    "simulate": "reten.sweep",
}

if TYPE_CHECKING:
    from reten.api import (
        build_network,
        compare,
        game,
        load_network,
        optimize,
        read_csv,
        read_run,
        run,
        save_network,
        validate,
    )
    from reten.network.model import Network, Regions
    from reten.results import (
        ComparisonResult,
        GameResult,
        OptimizeResult,
        RunResult,
        ValidationResult,
    )
    from reten.scenario import Scenario
    from reten.sweep.runner import SweepResult
    from reten.sweep.simulate import Simulation, simulate


def __getattr__(name: str) -> Any:
    import importlib

    if name == "sweep":  # the subpackage, callable as reten.sweep(grid, out, ...)
        return importlib.import_module("reten.sweep")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'reten' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "ComparisonResult",
    "GameResult",
    "InputError",
    "Network",
    "OptimizeResult",
    "Regions",
    "RunResult",
    "Scenario",
    "Simulation",
    "SweepResult",
    "ValidationResult",
    "__version__",
    "build_network",
    "compare",
    "game",
    "load_network",
    "optimize",
    "read_csv",
    "read_run",
    "run",
    "save_network",
    "simulate",
    "sweep",
    "validate",
]
