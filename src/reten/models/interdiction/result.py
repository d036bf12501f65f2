"""The result of an enforcement optimisation: an allocation, its value and certified bounds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reten.models.interdiction.sites import Sites


@dataclass(frozen=True, kw_only=True)
class InterdictionResult:
    """An allocation with its value and certified bounds.

    ``objective_value`` is the incumbent's value from a fresh best-response solve. For the
    ``cost`` and ``interception`` objectives (maximised) it is the lower bound; for
    ``capacity`` (minimised) it is the upper bound. ``log`` rows: (iteration, lower, upper,
    seconds). ``baseline`` is the objective with no units placed (same units as the
    objective), ``seconds`` the wall time of this solve alone.
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
    baseline: float = math.nan

    @classmethod
    def incumbent(
        cls,
        *,
        objective: str,
        method: str,
        budget: float,
        units: np.ndarray,
        lower_bound: float,
        upper_bound: float,
        status: str,
        log: list[tuple[int, float, float, float]],
    ) -> InterdictionResult:
        """Return a method's answer: the incumbent ``units`` worth ``lower_bound`` (checked by
        the follower) and a proven ``upper_bound`` (raised to the incumbent's value when a
        solver's tolerance left it below); ``seconds`` are filled in by the caller."""
        return cls(
            objective=objective,
            method=method,
            budget=budget,
            units=units,
            objective_value=lower_bound,
            lower_bound=lower_bound,
            upper_bound=max(upper_bound, lower_bound),
            seconds=0.0,
            status=status,
            log=log,
        )

    @property
    def gap(self) -> float:
        """Relative gap between the bounds."""
        den = max(abs(self.upper_bound), abs(self.lower_bound), 1e-12)
        return (self.upper_bound - self.lower_bound) / den

    @property
    def proven(self) -> bool:
        """Whether the bounds met (the allocation is proven optimal within the tolerance)."""
        return self.status == "optimal"

    @property
    def increase(self) -> float:
        """The objective's change over the baseline (negative for ``capacity``)."""
        return self.objective_value - self.baseline

    @property
    def increase_pct(self) -> float:
        """The objective's change over the baseline, in percent of the baseline."""
        if not self.baseline:
            return math.nan
        return 100.0 * self.increase / abs(self.baseline)


def bounds_met(lower: float, upper: float, tol: float) -> bool:
    """Whether finite bounds are within ``tol`` (relative) of each other; an infinite bound
    never meets (``inf - x <= tol * inf`` would say it does)."""
    return (
        math.isfinite(upper)
        and math.isfinite(lower)
        and upper - lower <= tol * max(1.0, abs(upper))
    )


def _phi(t: Any) -> Any:
    """1 - exp(-t): the interception probability of a route with log-survival t."""
    return -np.expm1(-np.asarray(t, dtype=float))


def curve_frame(curve: list[InterdictionResult]) -> pd.DataFrame:
    """Return the marginal-value curve as a table, one row per budget K.

    Columns: ``K``, ``objective`` (the incumbent's value), ``lower_bound``,
    ``upper_bound``, ``gap``, ``status``, ``proven`` (False where the solve stopped before
    its bounds met: read the value as "at least", the upper bound as "at most"),
    ``seconds`` (this K's own solve time), ``marginal`` (the gain of K over K - 1; K = 1's
    gain is over the baseline with no units; NaN where the row before is not K - 1, as
    in a one-row table for K > 1, whose K - 1 was not solved) and ``baseline``. On a
    full curve K = 1..B the marginals sum to the last K's gain over the baseline. Gains
    are objective changes: positive for ``cost`` and ``interception`` (maximised),
    negative for ``capacity`` (the volume that still crosses falls as K grows).

    Examples
    --------
    >>> curve_frame([]).columns.tolist()[:3]
    ['K', 'objective', 'lower_bound']
    """
    cols = ["K", "objective", "lower_bound", "upper_bound", "gap", "status", "proven"]
    cols += ["seconds", "marginal", "baseline"]
    rows = [
        (
            int(r.budget) if float(r.budget).is_integer() else r.budget,
            r.objective_value,
            r.lower_bound,
            r.upper_bound,
            r.gap,
            r.status,
            r.proven,
            r.seconds,
            r.baseline,
        )
        for r in curve
    ]
    df = pd.DataFrame(rows, columns=[c for c in cols if c != "marginal"])
    k = df.K.to_numpy(dtype=float)
    prev = np.concatenate([df.baseline.to_numpy()[:1], df.objective.to_numpy()[:-1]])
    prev_k = np.concatenate([[0.0], k[:-1]])
    marginal = np.where(k - prev_k == 1.0, df.objective.to_numpy(dtype=float) - prev, np.nan)
    df.insert(8, "marginal", marginal)
    return df
