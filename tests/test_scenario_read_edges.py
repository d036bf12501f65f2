"""Scenario text edges: a byte-order mark, nesting hidden after many items."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import reten
from reten.errors import InputError
from reten.scenario import resolve
from reten.scenario.read import MAX_DEPTH, Scenario, _too_deep

TEXT = '[network]\ndefault = true\n[[origins]]\nmunicipality = "Culiacán"\nvolume_kg = 5\n'


def test_bom_is_not_part_of_the_toml(tmp_path: Path) -> None:
    plain, bom = tmp_path / "plain.toml", tmp_path / "bom.toml"
    plain.write_bytes(TEXT.encode())
    bom.write_bytes(b"\xef\xbb\xbf" + TEXT.encode())
    a, b = Scenario.from_toml(plain), Scenario.from_toml(bom)
    assert a.spec == b.spec


@pytest.mark.parametrize(
    "raw",
    [
        TEXT.encode(),
        b"\xef\xbb\xbf" + TEXT.encode(),  # a BOM (Windows editors)
        TEXT.replace("\n", "\r\n").encode(),  # CRLF line ends
        b"\xef\xbb\xbf" + TEXT.replace("\n", "\r\n").encode(),
    ],
)
def test_scenario_sha256_is_the_hash_of_the_file_bytes(tmp_path: Path, raw: bytes) -> None:
    # the hash a result records is what `sha256sum scenario.toml` prints: it was the hash
    # of the text after the BOM was stripped, so a BOM file's hash matched no file
    f = tmp_path / "s.toml"
    f.write_bytes(raw)
    sc = Scenario.from_toml(f)
    assert sc.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
    prov = resolve(sc, reten.load_network("default")).provenance
    assert prov["scenario_sha256"] == hashlib.sha256(raw).hexdigest()


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
