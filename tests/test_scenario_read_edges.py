"""Scenario text edges: a byte-order mark, nesting hidden after many items."""

from __future__ import annotations

from pathlib import Path

import pytest

from reten.errors import InputError
from reten.scenario.read import MAX_DEPTH, Scenario, _too_deep

TEXT = '[network]\ndefault = true\n[[origins]]\nmunicipality = "Culiacán"\nvolume_kg = 5\n'


def test_bom_is_not_part_of_the_toml(tmp_path: Path) -> None:
    plain, bom = tmp_path / "plain.toml", tmp_path / "bom.toml"
    plain.write_bytes(TEXT.encode())
    bom.write_bytes(b"\xef\xbb\xbf" + TEXT.encode())
    a, b = Scenario.from_toml(plain), Scenario.from_toml(bom)
    assert a.spec == b.spec and a.sha256 == b.sha256


def nested(depth: int) -> list:
    v: list = []
    for _ in range(depth):
        v = [v]
    return v


@pytest.mark.parametrize("position", [0, 999, 1000, 5000])
def test_nesting_after_many_items_is_found(position: int) -> None:
    items: list = [1] * 6000
    items[position] = nested(MAX_DEPTH + 2)
    assert _too_deep({"x": items}) == f"x[{position}]" + "[0]" * (MAX_DEPTH - 1)
    items[position] = nested(MAX_DEPTH - 2)
    assert _too_deep({"x": items}) is None


def test_deep_toml_is_one_line_error() -> None:
    deep = "[" * (MAX_DEPTH + 3) + "]" * (MAX_DEPTH + 3)
    text = TEXT + "[costs]\nclass_factor = { local = 1.0 }\n"
    items = ", ".join(["1"] * 1500)
    text = text.replace("volume_kg = 5\n", f"volume_kg = 5\nx = [{items}, {deep}]\n")
    with pytest.raises(InputError) as e:
        Scenario.from_text(text, "s.toml")
    assert "\n" not in str(e.value) and str(e.value).startswith("s.toml")
