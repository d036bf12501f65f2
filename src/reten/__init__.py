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
from reten.errors import InputError
from reten.network.model import Network, Regions
from reten.results import (
    ComparisonResult,
    GameResult,
    OptimizeResult,
    RunResult,
    ValidationResult,
)
from reten.scenario import Scenario
from reten.sweep import Simulation, SweepResult, simulate  # also binds reten.sweep (callable)

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
