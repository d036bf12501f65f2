"""Scenarios: read (TOML or dict), checked against one schema, resolved on a network.

- :mod:`reten.scenario.schema`: one declaration of every key (type, default, range, doc);
- :mod:`reten.scenario.read`: the immutable :class:`Scenario` and its variants;
- :mod:`reten.scenario.names`: regions, places and ports matched as people write them;
- :mod:`reten.scenario.enforcement`: what each measure does to costs and detection;
- :mod:`reten.scenario.resolution`: the Problem and the model settings.

Every error is one line: ``FILE:LINE: FIELD.PATH: what is wrong; what would be valid``.
"""

from reten.analysis.regions import region_arcs_and_nodes, region_nodes
from reten.scenario.names import norm
from reten.scenario.read import Scenario, load_scenario, parse_scenario
from reten.scenario.resolution import (
    EquilibriumOptions,
    ModelSettings,
    Resolution,
    base_costs,
    congestion_options,
    resolve,
    resolve_all,
    resolve_congestion,
    resolve_relocation,
)

__all__ = [
    "EquilibriumOptions",
    "ModelSettings",
    "Resolution",
    "Scenario",
    "base_costs",
    "congestion_options",
    "load_scenario",
    "norm",
    "parse_scenario",
    "region_arcs_and_nodes",
    "region_nodes",
    "resolve",
    "resolve_all",
    "resolve_congestion",
    "resolve_relocation",
]
