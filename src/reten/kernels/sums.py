"""Weighted counts that are always float64 (``np.bincount`` gives int64 for empty input)."""

from __future__ import annotations

import numpy as np


def wsum(index: np.ndarray, weights: np.ndarray, minlength: int) -> np.ndarray:
    """Return ``out[i] = sum(weights[index == i])`` for ``i < max(minlength, max(index) + 1)``."""
    return np.bincount(index, weights=weights, minlength=minlength).astype(np.float64, copy=False)
