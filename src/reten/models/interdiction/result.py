"""The result of an enforcement optimisation: an allocation, its value and certified bounds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from reten.models.interdiction.sites import Sites

#: the solvers a log row may come from: ``greedy`` (``auto``'s greedy start, or the
#: ``greedy`` method), ``probe`` (``auto``'s decomposition alone before the race),
#: ``decomposition`` and ``milp`` (the methods, or ``auto``'s two racers)
LOG_SOLVERS = ("greedy", "probe", "decomposition", "milp")


class LogRow(NamedTuple):
    """One step of a solve: the bounds on the optimum then, and the solver that found them.

    ``iteration`` counts that solver's steps (from 0 or 1, per solver), ``seconds`` the
    time since the solve began; ``lower_bound <= upper_bound`` (see :func:`log_row`).
    """

    iteration: int
    lower_bound: float
    upper_bound: float
    seconds: float
    solver: str


#: relative crossing of the bounds taken as a solver's float noise (:func:`clamp_bounds`)
NOISE = 1e-6


def clamp_bounds(lower: float, upper: float, minimise: bool = False) -> tuple[float, float]:
    """Return ``(lower, upper)`` with ``lower <= upper``.

    The incumbent's value is re-evaluated by a fresh best response; the other bound is a
    solver's proof, exact only within its tolerance, so it may cross the incumbent by float
    noise (174.000000002 against 174.0). Both hold, so the proof is moved to the incumbent:
    the upper bound is raised to the lower for a maximisation (``cost``, ``interception``),
    the lower bound is lowered to the upper for a minimisation (``capacity``). Only a
    crossing within :data:`NOISE` (relative, at least 1e-9 absolute) is noise; a wider one
    is a fault, left for the checks (and the tests against brute force) to see. NaN passes
    through.

    Examples
    --------
    >>> clamp_bounds(174.000000002, 174.0)
    (174.000000002, 174.000000002)
    >>> clamp_bounds(5.0, 4.999999999, minimise=True)
    (4.999999999, 4.999999999)
    >>> clamp_bounds(-math.inf, math.inf)
    (-inf, inf)
    >>> clamp_bounds(175.0, 174.0)  # not noise: left crossed
    (175.0, 174.0)
    """
    lower, upper = float(lower), float(upper)
    if upper < lower <= upper + max(NOISE * max(abs(lower), abs(upper)), 1e-9):
        if minimise:
            lower = upper
        else:
            upper = lower
    return lower, upper


def log_row(
    iteration: int,
    lower: float,
    upper: float,
    seconds: float,
    solver: str,
    minimise: bool = False,
) -> LogRow:
    """Return one log row with its bounds clamped (:func:`clamp_bounds`).

    Examples
    --------
    >>> log_row(3, 174.000000002, 174.0, 1.5, "decomposition")
    LogRow(iteration=3, lower_bound=174.000000002, upper_bound=174.000000002, seconds=1.5, \
solver='decomposition')
    """
    lo, up = clamp_bounds(lower, upper, minimise)
    return LogRow(int(iteration), lo, up, float(seconds), str(solver))


def shift_log(log: list[LogRow], seconds: float, solver: str | None = None) -> list[LogRow]:
    """Return ``log`` with ``seconds`` added to each row's time (and ``solver`` renamed)."""
    return [
        r._replace(seconds=r.seconds + seconds, solver=r.solver if solver is None else solver)
        for r in log
    ]


@dataclass(frozen=True, kw_only=True)
class InterdictionResult:
    """An allocation with its value and certified bounds.

    ``objective_value`` is the incumbent's value from a fresh best-response solve. For the
    ``cost`` and ``interception`` objectives (maximised) it is the lower bound; for
    ``capacity`` (minimised) it is the upper bound. ``lower_bound <= upper_bound`` always:
    a proof that crosses the incumbent by a solver's tolerance is moved to it
    (:func:`clamp_bounds`), here and on every ``log`` row. ``log`` rows
    (:class:`LogRow`): (iteration, lower_bound, upper_bound, seconds, solver), in the order
    of ``seconds``. ``baseline`` is the objective with no units placed (same units as the
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
    log: list[LogRow] = field(default_factory=list)
    sites: Sites | None = None
    baseline: float = math.nan

    def __post_init__(self) -> None:
        # every construction and every ``replace`` passes here, so no result reports
        # crossed bounds whichever method or combination made it
        lo, up = clamp_bounds(self.lower_bound, self.upper_bound, self.objective == "capacity")
        object.__setattr__(self, "lower_bound", lo)
        object.__setattr__(self, "upper_bound", up)

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
        log: list[LogRow],
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
