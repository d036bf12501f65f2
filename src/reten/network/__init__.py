"""Road networks: the array model, builders from geodata, regions, terminals and storage."""

from reten.network.model import NODE_KINDS, ROAD_CLASSES, Network, Regions

__all__ = ["NODE_KINDS", "ROAD_CLASSES", "Network", "Regions"]
