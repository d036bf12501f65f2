"""Refuse, in one line, an input whose declared size cannot fit in this machine's memory."""

from __future__ import annotations

import os

from reten.errors import InputError

BYTES_PER_NODE = 96
"""Bytes the network core holds per node (coordinates, keys, names, regions, CSR offsets)."""

BYTES_PER_ARC = 96
"""Bytes the network core holds per arc (ends, lengths, times, classes, regions, CSR)."""


def available_bytes() -> int | None:
    """Return the physical memory this process could use (bytes), or None when unknown.

    Examples
    --------
    >>> x = available_bytes()
    >>> x is None or x > 0
    True
    """
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return int(pages) * int(size) if pages > 0 and size > 0 else None


def check_network_fits(where: str, n_nodes: int, n_arcs: int) -> None:
    """Raise InputError when a network of this declared size cannot fit in memory.

    Parameters
    ----------
    where : str
        ``FILE: line N`` naming the declaration, for the message.
    n_nodes, n_arcs : int
        Declared sizes.

    Raises
    ------
    InputError
        When ``n_nodes * BYTES_PER_NODE + n_arcs * BYTES_PER_ARC`` exceeds the machine's
        physical memory.

    Examples
    --------
    >>> check_network_fits("g.gr: line 1", 1000, 2000)
    >>> check_network_fits("g.gr: line 1", 2**40, 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reten.errors.InputError: g.gr: line 1: 1,099,511,627,776 nodes and 0 arcs need about ...
    """
    need = n_nodes * BYTES_PER_NODE + n_arcs * BYTES_PER_ARC
    have = available_bytes()
    if have is not None and need > have:
        raise InputError(
            f"{where}: {n_nodes:,} nodes and {n_arcs:,} arcs need about {need / 2**30:,.1f} GiB "
            f"of memory; this machine has {have / 2**30:,.1f} GiB (is the size line right?)"
        )
