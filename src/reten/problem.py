"""The ``Problem``: a scenario resolved against a network, as arrays only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class Problem:
    """Arrays a model needs; names were resolved once, in :mod:`reten.scenario`.

    Attributes
    ----------
    arc_cost : (m,) float64
        Generalized cost of each arc in ``cost_unit`` (``inf``: closed), enforcement included.
    arc_logsurv : (m,) float64
        ``-ln(1 - p_detect)`` of each arc, so that survival along a path is
        ``exp(-sum(arc_logsurv))``.
    sink_node, sink_cost, sink_logsurv : (k,)
        Destination nodes (ports of entry), their fixed crossing cost (``inf``: closed) and
        their crossing log-survival.
    origin_node, origin_volume_kg : (o,)
        Production origins and their volume, kg per month.
    risk_weight : float
        Cost units per unit of log-survival: routes minimise
        ``sum(cost) + risk_weight * sum(logsurv)``.
    origin_label, sink_label : (o,), (k,) object
        Human labels carried through for reports.
    source_node, source_cost, source_logsurv, source_label : (q,)
        Entry seaports of the precursor leg, their fixed cost and log-survival (empty
        without a chain); ``precursor_ratio`` is kg of precursor per kg of product.
    """

    arc_cost: np.ndarray
    arc_logsurv: np.ndarray
    sink_node: np.ndarray
    sink_cost: np.ndarray
    sink_logsurv: np.ndarray
    origin_node: np.ndarray
    origin_volume_kg: np.ndarray
    risk_weight: float = 0.0
    origin_label: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    sink_label: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    source_node: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    source_cost: np.ndarray = field(default_factory=lambda: np.zeros(0))
    source_logsurv: np.ndarray = field(default_factory=lambda: np.zeros(0))
    source_label: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    precursor_ratio: float = 0.0
    sink_capacity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cost_unit: str = "cost"
    dose_mg: float = 2.0
    purity: float = 1.0
    provenance: dict[str, Any] = field(default_factory=dict)

    def per_unit_volume(self) -> tuple[Problem, float]:
        """Return this problem with volumes that sum to 1, and the factor that scales them
        back (their sum; 1 when it is 0 or not finite).

        Payoffs linear in the volumes (interception) are solved on it, so that the solvers'
        tolerances are relative: at 1e-10 kg their absolute ones gave false certificates.

        Examples
        --------
        >>> p = Problem(np.ones(1), np.zeros(1), np.array([1]), np.zeros(1), np.zeros(1),
        ...             np.array([0, 0]), np.array([2.0, 6.0]))
        >>> q, scale = p.per_unit_volume()
        >>> q.origin_volume_kg.tolist(), scale
        ([0.25, 0.75], 8.0)
        """
        from dataclasses import replace

        total = float(np.asarray(self.origin_volume_kg, dtype=np.float64).sum())
        scale = total if np.isfinite(total) and total > 0 else 1.0
        return replace(self, origin_volume_kg=np.asarray(self.origin_volume_kg) / scale), scale

    def route_arc_cost(self) -> np.ndarray:
        """Return the per-arc cost traffickers minimise: ``arc_cost + risk_weight * logsurv``."""
        if self.risk_weight == 0:
            return self.arc_cost
        return self.arc_cost + self.risk_weight * self.arc_logsurv

    def route_source_cost(self) -> np.ndarray:
        """Return the per-seaport cost of the precursor leg's entry, risk included."""
        return self.source_cost + self.risk_weight * self.source_logsurv

    def route_sink_cost(self) -> np.ndarray:
        """Return the per-crossing cost traffickers minimise, risk included."""
        return self.sink_cost + self.risk_weight * self.sink_logsurv
