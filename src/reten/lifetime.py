"""A child process that stops with its parent (Linux's parent-death signal).

Light on purpose (standard library only): ``auto``'s racers call it before importing the
rest of reten, which takes over a second, so a parent killed meanwhile leaves no orphan.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def die_with_parent(parent: int | None = None) -> None:
    """Ask Linux to stop this process when its parent dies (even by ``kill -9``, which no
    ``finally`` sees): otherwise it works on, orphaned, to its deadline. Elsewhere a no-op.

    ``parent`` is the parent's pid: when it is no longer this process's parent it died
    before the request, and this process stops at once.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1 or (parent is not None and os.getppid() != parent):
        os._exit(0)  # the parent died before the request: stop now
