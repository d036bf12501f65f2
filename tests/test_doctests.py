"""Every docstring example in the package runs (``make test`` runs them all)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import reten

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(reten.__path__, "reten.")
    if m.name not in ("reten.__main__",)
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS, verbose=False)
    assert result.failed == 0


def test_public_api_has_examples():
    """Every public function and class of the top-level API carries a runnable example.

    ``Network`` and ``Regions`` belong to the network package and are checked there.
    """
    finder = doctest.DocTestFinder()
    missing = []
    for name in reten.__all__:
        obj = getattr(reten, name)
        skip = ("InputError", "Regions", "Network")
        if name.startswith("_") or isinstance(obj, str) or name in skip:
            continue
        tests = finder.find(obj, name, globs={})
        if not any(t.examples for t in tests):
            missing.append(name)
    assert not missing, f"no docstring example: {missing}"
