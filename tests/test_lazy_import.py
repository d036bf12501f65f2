"""``import reten`` and the command line's usage errors stay light; every public name loads."""

from __future__ import annotations

import subprocess
import sys

import reten

HEAVY = ("pandas", "numba", "scipy", "highspy", "geopandas", "matplotlib")


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {m.split(".")[0] for m in out}


def test_importing_reten_and_its_cli_loads_no_heavy_library() -> None:
    loaded = _loaded_after("import reten, reten.cli")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_every_public_name_resolves_to_its_object() -> None:
    from reten.api import optimize
    from reten.scenario import Scenario

    for name in reten.__all__:
        assert getattr(reten, name) is not None, name
    assert reten.optimize is optimize
    assert reten.Scenario is Scenario
    assert callable(reten.sweep)
    assert set(reten.__all__) <= set(dir(reten))


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        reten.no_such_name  # noqa: B018
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("reten.no_such_name resolved")


def test_a_mistyped_command_answers_without_loading_the_models() -> None:
    code = (
        "import sys\nfrom reten.cli import main\nsys.argv = ['reten', 'optimze']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    loaded = _loaded_after(code)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
