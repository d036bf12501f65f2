"""reten: model illicit supply chains on real road networks and plan enforcement against them."""

__version__ = "0.1.0"

from reten.errors import InputError
from reten.network.model import Network, Regions

__all__ = ["InputError", "Network", "Regions", "__version__"]
