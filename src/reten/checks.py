"""Checks of the Python API's arguments: one InputError line naming the parameter.

Analysts call reten from Jupyter with values that come out of NumPy and pandas, so a number
is any real number type (``numbers.Real``, which NumPy scalars register as) and a whole
number any integral one (``numbers.Integral``) or a float without a fraction (``3.0``);
``True``/``False`` are never numbers, and a fraction is never rounded where a whole number
is required. Paths are ``str`` or ``os.PathLike``.
"""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path
from typing import Any

from reten.errors import InputError

#: the largest seed: 2**53 - 1, the largest integer every JSON reader holds exactly (seeds
#: are recorded in provenance.json and --json output)
MAX_SEED = 2**53 - 1

__all__ = ["basemap_url", "flag", "real_number", "seconds", "user_path", "whole_number"]


def _bound(x: float, integer: bool) -> str:
    return f"{int(x):,}" if integer and float(x).is_integer() else f"{x:g}"


def _range_text(
    lo: float | None, hi: float | None, lo_open: bool, hi_open: bool, integer: bool
) -> str:
    if lo is not None and hi is not None:
        if integer:
            return f"from {_bound(lo, integer)} to {_bound(hi, integer)}"
        return f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    left = "" if lo is None else f"{'>' if lo_open else '>='} {_bound(lo, integer)}"
    right = "" if hi is None else f"{'<' if hi_open else '<='} {_bound(hi, integer)}"
    return " and ".join(x for x in (left, right) if x)


def _in_range(v: float, lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> bool:
    if lo is not None and (v <= lo if lo_open else v < lo):
        return False
    return not (hi is not None and (v >= hi if hi_open else v > hi))


def real_number(
    name: str,
    v: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
    unit: str = "",
) -> float:
    """Return ``v`` as a float when it is a finite real number in range, else raise.

    Examples
    --------
    >>> import numpy as np
    >>> real_number("gap", np.float32(0.5), lo=0)
    0.5
    >>> real_number("gap", True, lo=0)
    Traceback (most recent call last):
    ...
    reten.errors.InputError: gap must be a finite number >= 0 (got True)
    """
    ok = isinstance(v, numbers.Real) and not isinstance(v, bool) and type(v).__name__ != "bool_"
    if ok:
        f = float(v)
        ok = math.isfinite(f) and _in_range(f, lo, hi, lo_open, hi_open)
    if not ok:
        rng = _range_text(lo, hi, lo_open, hi_open, integer=False)
        what = f"a finite number{f' of {unit}' if unit else ''}"
        raise InputError(f"{name} must be {what}{' ' + rng if rng else ''} (got {v!r})")
    return f


def seconds(name: str, v: Any) -> float:
    """Return a time limit in seconds: a finite number > 0.

    Examples
    --------
    >>> seconds("time_limit_s", 2)
    2.0
    >>> seconds("time_limit_s", True)
    Traceback (most recent call last):
    ...
    reten.errors.InputError: time_limit_s must be a positive number of seconds (got True)
    """
    try:
        return real_number(name, v, lo=0, lo_open=True)
    except InputError:
        raise InputError(f"{name} must be a positive number of seconds (got {v!r})") from None


def whole_number(
    name: str, v: Any, *, lo: int | None = None, hi: int | None = None, unit: str = ""
) -> int:
    """Return ``v`` as an int when it is a whole number in [lo, hi], else raise.

    Any integral type is taken (``int``, ``np.int64``) and a float without a fraction
    (``3.0``); ``2.5`` is refused, never rounded, and so are ``True`` and ``False``.

    Examples
    --------
    >>> import numpy as np
    >>> whole_number("months", np.int64(3), lo=1, hi=1200)
    3
    >>> whole_number("months", 1.5, lo=1, hi=1200)
    Traceback (most recent call last):
    ...
    reten.errors.InputError: months must be a whole number from 1 to 1,200 (got 1.5)
    """
    ok = isinstance(v, numbers.Real) and not isinstance(v, bool) and type(v).__name__ != "bool_"
    out = 0
    if ok and isinstance(v, numbers.Integral):
        out = int(v)
    elif ok:
        f = float(v)
        ok = math.isfinite(f) and f.is_integer()
        out = int(f) if ok else 0
    if ok:
        ok = _in_range(out, lo, hi, False, False)
    if not ok:
        rng = _range_text(lo, hi, False, False, integer=True)
        what = f"a whole number{f' of {unit}' if unit else ''}"
        raise InputError(f"{name} must be {what}{' ' + rng if rng else ''} (got {v!r})")
    return out


def user_path(name: str, v: Any, what: str = "a file or folder path") -> Path:
    """Return ``v`` as a Path when it is a non-empty ``str`` or ``os.PathLike``, else raise.

    Examples
    --------
    >>> user_path("out", "runs/a").as_posix()
    'runs/a'
    >>> user_path("out", None, "a folder path")
    Traceback (most recent call last):
    ...
    reten.errors.InputError: out must be a folder path (a str or pathlib.Path), got None
    """
    if not isinstance(v, str | os.PathLike) or not os.fspath(v):
        raise InputError(f"{name} must be {what} (a str or pathlib.Path), got {v!r}")
    return Path(os.fspath(v))


def basemap_url(v: Any) -> str | None:
    """Return ``v`` when it is None (offline maps) or an XYZ tile URL template, else raise.

    The same rule as ``--basemap``: a str holding ``{z}``, ``{x}`` and ``{y}``.

    Examples
    --------
    >>> basemap_url("https://tile.openstreetmap.org/{z}/{x}/{y}.png")[-15:]
    '{z}/{x}/{y}.png'
    >>> basemap_url("nope")
    Traceback (most recent call last):
    ...
    reten.errors.InputError: basemap 'nope': give an XYZ template with {z}, {x} and {y}
    """
    if v is None:
        return None
    if not isinstance(v, str) or not all(k in v for k in ("{z}", "{x}", "{y}")):
        raise InputError(f"basemap '{v}': give an XYZ template with {{z}}, {{x}} and {{y}}")
    return v


def flag(name: str, v: Any) -> bool:
    """Return ``v`` as a bool when it is one (``True``, ``False``, a NumPy bool), else raise:
    ``curve='no'`` would otherwise count as true.

    Examples
    --------
    >>> flag("curve", False)
    False
    >>> import numpy as np
    >>> flag("curve", np.bool_(True))
    True
    >>> flag("curve", "no")
    Traceback (most recent call last):
    ...
    reten.errors.InputError: curve must be True or False (got 'no')
    """
    if isinstance(v, bool) or (
        type(v).__module__ == "numpy" and type(v).__name__ in ("bool", "bool_")
    ):
        return bool(v)
    raise InputError(f"{name} must be True or False (got {v!r})")
