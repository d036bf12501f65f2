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


DOCUMENTED = [
    "reten.api",
    "reten.results",
    "reten.scenario.schema",
    "reten.scenario.read",
    "reten.scenario.names",
    "reten.scenario.enforcement",
    "reten.scenario.resolution",
    "reten.analysis.regions",
    "reten.models.routes",
    "reten.models.equilibrium",
    "reten.models.relocation",
    "reten.models.chain",
    "reten.report.notebook",
    "reten.report.plot",
    "reten.report.validation",
]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_public_functions_have_docstrings(name):
    """Every public function, class and method defined in the module says what it does."""
    import inspect

    module = importlib.import_module(name)
    missing = []
    for attr, obj in vars(module).items():
        if attr.startswith("_") or getattr(obj, "__module__", None) != name:
            continue
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        if not inspect.getdoc(obj):
            missing.append(attr)
        if inspect.isclass(obj):
            for meth, fn in vars(obj).items():
                if meth.startswith("_") or not (inspect.isfunction(fn) or isinstance(fn, property)):
                    continue
                if not (fn.__doc__ or "").strip():
                    missing.append(f"{attr}.{meth}")
    assert not missing, missing
