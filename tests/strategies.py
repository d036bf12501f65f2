"""Shared hypothesis strategies: random road networks and scenarios.

One random-network strategy (:func:`networks`) and one scenario builder
(:func:`scenario_dict`, :func:`mutated_scenarios`) for every test file; the independent
oracles they are checked against are in ``oracles.py``.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
from hypothesis import strategies as st

# ----------------------------------------------------------------------------- scenarios

BASE_SCENARIO: dict[str, Any] = {
    "name": "fuzz",
    "risk_weight": 500.0,
    "origins": [
        {"municipality": "Culiacán", "volume_kg": 100},
        {"state": "Durango", "volume_kg": 60},
        {"lon": -107.5, "lat": 25.4, "volume_kg": 20, "label": "sierra"},
    ],
    "costs": {"mode": "generalized", "class_factor": {"local": 1.5}},
    "enforcement": [
        {"type": "crackdown", "regions": ["Sinaloa"], "cost_multiplier": 1.5, "p_detect": 0.01},
        {"type": "checkpoint", "place": "Guamúchil", "added_cost": 50, "p_detect": 0.2},
        {"type": "deployment", "units": 100, "crossings": True, "p1": 0.001},
        {"type": "closure", "port": "San Ysidro"},
    ],
    "destinations": [
        {"port": "Nogales"},
        {"port": "San Ysidro"},
        {"port": "Laredo", "crossing_cost": 10},
        {"port": "San Luis"},
    ],
    "congestion": {"alpha": 100.0, "crossing_capacity_kg": 80, "max_iterations": 30},
    "chain": {"seaports": ["Manzanillo", "Lázaro Cárdenas"], "precursor_kg_per_kg": 1.2},
}
"""A valid scenario on the embedded default network touching most sections."""


def scenario_dict(**changes: Any) -> dict[str, Any]:
    """Return a deep copy of :data:`BASE_SCENARIO` with top-level keys replaced.

    A value of None removes the key.
    """
    d = copy.deepcopy(BASE_SCENARIO)
    for k, v in changes.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def _deep(n: int) -> Any:
    v: Any = []
    for _ in range(n):
        v = [v]
    return v


ODD_VALUES = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.999999, 1.0, 1e308, -0.0, 1000]),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["", "Sinaloa", "Culiacán", "Culiaca\u0301n", "all", "Nogales", "x" * 300]),
    st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=4)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(-2, 2), max_size=2),
    st.builds(_deep, st.sampled_from([2, 50, 1000])),
    st.none(),
)
"""Values of every kind a scenario may wrongly hold (None deletes the key)."""

PLAUSIBLE_VALUES = st.one_of(
    st.floats(0.0, 2.0),
    st.floats(0.0, 0.99),
    st.integers(0, 1000),
    st.sampled_from(["Sinaloa", "Sonora", "Culiacán", "Badiraguato", "25006", "Nogales"]),
    st.sampled_from(["Laredo", "2604", "Guamúchil", "Mazatlán", "length_km", "time_h"]),
    st.lists(st.sampled_from(["Sinaloa", "Durango", "Chihuahua", "Nogales"]), max_size=2),
)
"""Values a scenario may rightly hold somewhere: the fuzz mixes both kinds."""


def _paths(d: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(d, dict):
        for k, v in d.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out += _paths(v, (*prefix, i))
    return out


def _same_type(v: Any) -> st.SearchStrategy[Any]:
    """Values of the same type as ``v``: numbers from 0 to a few times ``v``, names."""
    if isinstance(v, bool):
        return st.booleans()
    if isinstance(v, int | float):
        hi = 3.0 * abs(float(v)) + 1.0
        return st.one_of(st.floats(0.0, hi), st.integers(0, int(hi)), st.floats(0.0, 0.999))
    return PLAUSIBLE_VALUES.filter(lambda x: isinstance(x, str))


def _get(d: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        d = d[p]
    return d


def _set(d: Any, path: tuple[Any, ...], value: Any) -> None:
    cur = d
    for p in path[:-1]:
        cur = cur[p]
    last = path[-1]
    if value is None:
        del cur[last]
    else:
        cur[last] = value


@st.composite
def mutated_scenarios(draw: st.DrawFn, max_mutations: int = 3) -> dict[str, Any]:
    """Return :data:`BASE_SCENARIO` with 1..max_mutations values replaced, removed or added.

    Each mutation picks a key path anywhere in the scenario and gives it an odd value
    (:data:`ODD_VALUES`), deletes it, or adds an unknown or optional key beside it. The
    equilibrium's iteration limit is kept small so that examples stay fast.
    """
    d = scenario_dict()
    values = st.one_of(PLAUSIBLE_VALUES, ODD_VALUES)
    typed = draw(st.integers(0, 2)) > 0  # two thirds of the examples keep each value's type
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = _paths(d)
        leaves = [p for p in paths if not isinstance(_get(d, p), dict | list)]
        if typed and leaves:
            path = draw(st.sampled_from(leaves))
            _set(d, path, draw(_same_type(_get(d, path))))
            continue
        pool = leaves if leaves and draw(st.integers(0, 4)) else paths
        if not pool:
            break
        path = draw(st.sampled_from(pool))
        action = draw(st.sampled_from(["replace", "replace", "replace", "add"]))
        if action == "add":
            parent: Any = d
            for p in path[:-1]:
                parent = parent[p]
            if isinstance(parent, dict):
                key = draw(
                    st.sampled_from(
                        ["volumen", "p_detect", "regions", "delta", "method", "node", "seed"]
                    )
                )
                parent[key] = draw(values)
            continue
        _set(d, path, draw(values))
    cg = d.get("congestion")
    if isinstance(cg, dict):
        cg["max_iterations"] = 30
        cg["time_limit_s"] = 2.0
    return d


# ----------------------------------------------------------------------------- networks


@st.composite
def networks(
    draw: st.DrawFn,
    *,
    nodes: tuple[int, int] = (2, 25),
    arcs: tuple[int, int] = (1, 80),
    length: tuple[float, float] = (1.0, 100.0),
    integer: bool = False,
    two_way: bool = False,
    coords: bool = True,
) -> Any:
    """Return a random directed road network (:class:`reten.network.model.Network`).

    ``arcs`` random (source, target) pairs over ``nodes`` nodes, self-loops and repeated
    pairs included (the builder decides what it keeps); lengths uniform in ``length``
    (whole numbers with ``integer``, which makes ties likely); ``two_way`` adds the
    reverse of every arc; ``coords`` puts nodes at random positions in a one-degree box
    (else all at 0, 0). Drawn from one seeded generator, like every test's instance.
    """
    from reten.network.model import Network

    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(*nodes))
    m = draw(st.integers(*arcs))
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    if two_way:
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    lo, hi = length
    w = (
        rng.integers(int(lo), int(hi) + 1, src.size).astype(float)
        if integer
        else rng.uniform(lo, hi, src.size)
    )
    lon, lat = (rng.random(n), rng.random(n)) if coords else (np.zeros(n), np.zeros(n))
    return Network.from_arcs(src, dst, w, lon, lat)


def finite(x: float) -> bool:
    """True when ``x`` is a finite number."""
    return isinstance(x, int | float) and math.isfinite(x)
