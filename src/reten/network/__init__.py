"""Road networks: the array model, builders from geodata, regions, terminals and storage."""

from typing import Any

from reten.network.model import NODE_KINDS, ROAD_CLASSES, Network, Regions

__all__ = [
    "NODE_KINDS",
    "ROAD_CLASSES",
    "Network",
    "Regions",
    "from_geodataframe",
    "from_networkx",
    "to_geodataframe",
    "to_networkx",
]

#: builders and exports from in-memory objects (NetworkX graphs, GeoDataFrames), loaded on
#: first use: ``reten.network.from_networkx(g)``
_INTERCHANGE = ("from_geodataframe", "from_networkx", "to_geodataframe", "to_networkx")


def __getattr__(name: str) -> Any:
    if name in _INTERCHANGE:
        from reten.network import interchange

        return getattr(interchange, name)
    raise AttributeError(f"module 'reten.network' has no attribute {name!r}")
