"""Per-arc attributes reten's models read, checked where a model reads them.

A network made from arrays (``Network.from_arcs``) or saved by another tool skips the
edge-list and NetworkX readers' checks. A model reading ``p_detect``, ``delay`` or a
capacity checks it here, and one bad arc is one line naming it: NaN or 1.0 in
``p_detect`` surfaced as ``math domain error``; a capacity of -5 counted as no limit.

Examples
--------
>>> import numpy as np
>>> from reten.network.model import Network
>>> net = Network.from_arcs(np.array([0]), np.array([1]), np.ones(1), np.zeros(2),
...                         np.zeros(2))
>>> check_arc_values(net, "p_detect", np.array([0.5]))
>>> check_arc_values(net, "p_detect", np.array([1.0]))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
reten.errors.InputError: arc 0->1: p_detect 1.0 is not a probability in [0, 1) (1 arc...
"""

from __future__ import annotations

import numpy as np

from reten.errors import InputError
from reten.network.interchange import (
    CAPACITY_VALID,
    MAX_CAPACITY_KG,
    MAX_DELAY,
    MIN_CAPACITY_KG,
)
from reten.network.model import Network


def check_arc_values(
    net: Network, name: str, values: np.ndarray | None, *, capacity: bool = False
) -> None:
    """Raise InputError naming the first arc whose attribute ``name`` is out of range.

    ``p_detect`` in [0, 1), ``delay`` in [0, 1e12]; a capacity (``capacity_kg``,
    ``capacity``, or any attribute with ``capacity=True``) 0 (no limit) or in [1e-6, 1e12].
    Other names are not checked. ``values`` None: nothing to check.

    Raises
    ------
    InputError
        One line: the arc (``source->target`` in input node ids), the value, the range and
        how many arcs are out of it.
    """
    if values is None:
        return
    try:
        v = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"arc attribute {name}: not numbers; fix the network's {name}") from None
    fin = np.isfinite(v)
    if name == "p_detect":
        ok, valid = fin & (v >= 0) & (v < 1), "a probability in [0, 1)"
    elif name == "delay":
        ok, valid = fin & (v >= 0) & (v <= MAX_DELAY), f"a delay in [0, {MAX_DELAY:g}]"
    elif capacity or name in ("capacity_kg", "capacity"):
        ok = fin & ((v == 0) | ((v >= MIN_CAPACITY_KG) & (v <= MAX_CAPACITY_KG)))
        valid = CAPACITY_VALID
    else:
        return
    bad = np.flatnonzero(~ok)
    if bad.size:
        e = int(bad[0])
        arc = f"{net.node_key[net.arc_source[e]]}->{net.node_key[net.arc_target[e]]}"
        raise InputError(
            f"arc {arc}: {name} {float(v[e])!r} is not {valid} ({bad.size} arc(s) of "
            f"{v.size} out of range); fix the network's {name} attribute"
        )
