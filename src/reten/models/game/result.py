"""The result of a network security game: a mixed schedule, its value and certified bounds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from reten.models.interdiction.sites import Sites

LOG_COLUMNS = (
    "iteration",
    "lower_bound",
    "upper_bound",
    "master_value",
    "pure_strategies_defender",
    "pure_strategies_attacker",
    "exact_oracles",
    "seconds",
)


@dataclass(frozen=True, kw_only=True)
class GameSolution:
    """The defender's mixed strategy over k-sets with certified bounds on the game's value.

    ``lower_bound`` is the value the mixed strategy ``sets``/``probability`` guarantees
    against an exact best-responding attacker (kg/month intercepted); ``upper_bound`` is
    what the attacker's mixed strategy ``routes``/``route_probability`` concedes at most
    against an exact best-responding defender. The game's value lies between them.
    ``value`` is ``lower_bound`` (what the returned schedule guarantees). ``seconds`` is
    the double oracle's time; ``pure_seconds`` the pure optimum's, computed after it.

    Attributes
    ----------
    k : int
        Units per day.
    sets : list of (<= k,) int arrays
        The support: site indices covered by each pure strategy.
    probability : (J,) float
        Their probabilities (sum 1).
    coverage : (S,) float
        Each site's marginal coverage probability ``sum_{j: s in S_j} probability_j``.
    routes_origin, routes_probability : (R,)
        The attacker's mixed strategy: origin index (into ``origin_node``) and probability
        of each route in its support; ``routes_arcs`` their extended arcs. It is the one
        that certifies the upper bound, except when the bound came from the LP over
        marginals (then the last restricted master's, certified by an exact defender best
        response). Never empty: every origin has its routes, probabilities summing to 1.
    notes : tuple of str
        One-line remarks on a degenerate instance (more units than sites; units that
        detect nothing), shown on the console, in the report and in the JSON.
    base_value : float
        What the scenario's own enforcement intercepts with no unit placed (kg/month): the
        empty schedule's value, included in ``value`` and every bound.
    routes_upper : float
        What the attacker's mixed strategy concedes at most against any k-set (kg/month):
        an upper bound on the game's value, ``>= upper_bound``.
    log : list of tuples
        One row per iteration (:data:`LOG_COLUMNS`): the bounds are the best so far, so
        ``lower_bound <= upper_bound`` on every row.
    pure_value, pure_upper : float
        The pure-strategy optimum (``optimize(objective="interception")`` on the same
        sites and ``p``) and its upper bound; ``pure_units`` its allocation.
    """

    k: int
    value: float
    lower_bound: float
    upper_bound: float
    status: str
    seconds: float
    iterations: int
    sets: list[np.ndarray]
    probability: np.ndarray
    coverage: np.ndarray
    origin_node: np.ndarray
    origin_volume: np.ndarray
    routes_origin: np.ndarray
    routes_probability: np.ndarray
    routes_arcs: list[np.ndarray]
    routes_sites: list[np.ndarray]
    log: list[tuple[float, ...]] = field(default_factory=list)
    routes_upper: float = math.nan
    base_value: float = 0.0
    notes: tuple[str, ...] = ()
    pure_value: float = math.nan
    pure_upper: float = math.nan
    pure_status: str = ""
    pure_units: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pure_seconds: float = math.nan
    sites: Sites | None = None
    tsai: dict[str, float] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Relative gap between the bounds."""
        den = max(abs(self.upper_bound), abs(self.lower_bound), 1e-12)
        return (self.upper_bound - self.lower_bound) / den

    @property
    def proven(self) -> bool:
        """True when the game's bounds met within the gap asked (status ``optimal``)."""
        return self.status == "optimal"

    @property
    def pure_proven(self) -> bool:
        """True when the pure-strategy optimum is proven (its bounds meet)."""
        return self.pure_upper - self.pure_value <= 1e-9 * max(1.0, abs(self.pure_upper))

    @property
    def value_of_randomisation(self) -> float:
        """What randomising certainly adds to the best fixed plan (kg/month, >= 0).

        ``lower_bound - pure_upper`` clamped at 0: the certified lower end of
        :attr:`value_of_randomisation_bounds`. When both the game and the pure optimum are
        proven it is ``value - pure_value``; otherwise the true value may be larger, up to
        the upper end of the bounds.
        """
        return _nonneg(self.lower_bound - self.pure_upper)

    @property
    def value_of_randomisation_bounds(self) -> tuple[float, float]:
        """Certified bounds on the true value of randomisation: ``(lower_bound -
        pure_upper, upper_bound - pure_value)``, each clamped at 0 (randomising never
        loses: a fixed plan is a mixed strategy)."""
        return (
            _nonneg(self.lower_bound - self.pure_upper),
            _nonneg(self.upper_bound - self.pure_value),
        )


def _nonneg(x: float) -> float:
    """Return ``max(x, 0.0)`` as a float, never ``-0.0``; NaN stays NaN."""
    x = float(x)
    return x if x > 0 or math.isnan(x) else 0.0
