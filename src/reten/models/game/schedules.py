"""Daily schedules drawn from the defender's mixed strategy (seeded)."""

from __future__ import annotations

import numpy as np


def sample_schedules(probability: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` draws (indices into the support) from the mixed strategy.

    Parameters
    ----------
    probability : (J,) float
        The support's probabilities (sum 1).
    n : int
        Days to draw (>= 0).
    rng : numpy.random.Generator
        The only source of randomness: the same seed gives the same schedules.

    Returns
    -------
    (n,) int
        Day ``d`` uses pure strategy ``out[d]``. Over many days each site is covered with
        its marginal probability.

    Examples
    --------
    >>> draws = sample_schedules(np.array([0.25, 0.75]), 10_000, np.random.default_rng(0))
    >>> bool(abs((draws == 1).mean() - 0.75) < 0.02)
    True
    >>> again = sample_schedules(np.array([0.25, 0.75]), 10_000, np.random.default_rng(0))
    >>> bool((draws == again).all())
    True
    """
    p = np.clip(np.asarray(probability, dtype=float), 0.0, None)
    p = p / p.sum()
    return rng.choice(p.size, size=int(n), p=p).astype(np.int64)
