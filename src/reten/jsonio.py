"""Strict JSON out: every document reten writes or prints parses with any JSON reader.

Python's ``json`` writes ``NaN``, ``Infinity`` and ``-Infinity``, which are not JSON
(RFC 8259). Here a non-finite number becomes ``null``; inside an object, a sibling field
``<key>_status`` says which it was (``"nan"``, ``"inf"`` or ``"-inf"``), unless the object
already has such a field.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Mapping
from typing import Any


def _status(x: float) -> str:
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _numpy() -> Any:
    """Return numpy when it is loaded (no NumPy object can exist otherwise), else None."""
    return sys.modules.get("numpy")


def _scalar(x: Any) -> Any:
    """Return a plain Python value for numpy scalars; other objects unchanged."""
    np = _numpy()
    if np is not None and isinstance(x, np.generic):
        return x.item()
    return x


def strict(obj: Any, default: Callable[[Any], Any] | None = None) -> Any:
    """Return ``obj`` with every non-finite float replaced by None (and a status beside it).

    Dicts, lists, tuples and NumPy arrays are walked; NumPy scalars become Python numbers.
    Objects JSON cannot hold are passed through ``default`` when it is given.

    Examples
    --------
    >>> strict({"upper_bound": float("inf"), "gap": 0.0})
    {'upper_bound': None, 'gap': 0.0, 'upper_bound_status': 'inf'}
    >>> strict([1.0, float("nan")])
    [1.0, None]
    """
    obj = _scalar(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        out: dict[Any, Any] = {}
        status: dict[str, str] = {}
        for k, v in obj.items():
            v = _scalar(v)
            if isinstance(v, float) and not math.isfinite(v):
                key = f"{k}_status"
                if key not in obj:
                    status[key] = _status(v)
            out[k] = strict(v, default)
        out.update(status)
        return out
    np = _numpy()
    if np is not None and isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, list | tuple):
        return [strict(v, default) for v in obj]
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    if default is not None:
        return strict(default(obj), None)
    return obj


def dumps(
    obj: Any,
    *,
    indent: int | None = None,
    sort_keys: bool = False,
    default: Callable[[Any], Any] | None = None,
) -> str:
    """Return ``obj`` as strict JSON text (no NaN or Infinity; see :func:`strict`).

    Raises
    ------
    TypeError
        When ``obj`` holds an object JSON cannot represent and ``default`` is not given.

    Examples
    --------
    >>> dumps({"spearman": float("nan"), "n": 3}, sort_keys=True)
    '{"n": 3, "spearman": null, "spearman_status": "nan"}'
    """
    return json.dumps(
        strict(obj, default), indent=indent, sort_keys=sort_keys, allow_nan=False, default=default
    )
