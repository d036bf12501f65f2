"""The result of an enforcement optimisation: an allocation, its value and certified bounds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reten.models.interdiction.sites import Sites


@dataclass(kw_only=True)
class InterdictionResult:
    """An allocation with its value and certified bounds.

    ``objective_value`` is the incumbent's value from a fresh best-response solve. For the
    ``cost`` and ``interception`` objectives (maximised) it is the lower bound; for
    ``capacity`` (minimised) it is the upper bound. ``log`` rows: (iteration, lower, upper,
    seconds).
    """

    objective: str
    method: str
    budget: float
    units: np.ndarray
    objective_value: float
    lower_bound: float
    upper_bound: float
    seconds: float
    status: str
    log: list[tuple[int, float, float, float]] = field(default_factory=list)
    sites: Sites | None = None

    @property
    def gap(self) -> float:
        """Relative gap between the bounds."""
        den = max(abs(self.upper_bound), abs(self.lower_bound), 1e-12)
        return (self.upper_bound - self.lower_bound) / den


def _phi(t: Any) -> Any:
    """1 - exp(-t): the interception probability of a route with log-survival t."""
    return -np.expm1(-np.asarray(t, dtype=float))
