"""A mistyped name suggests names as the data spells them, and each suggestion resolves."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reten.data import default_network
from reten.errors import InputError
from reten.scenario import Scenario
from reten.scenario.names import Names

NET = default_network()
NAMES = Names(NET)
SC = Scenario.from_dict({"origins": [{"node": "a", "volume_kg": 1}]})
MUNI = [i for i in range(len(NET.regions.name)) if NET.regions.level[i] == "municipality"]


def suggestions(msg: str) -> list[str]:
    tail = msg.split("did you mean", 1)[1]
    return re.findall(r"'([^']*)'", tail)


@given(i=st.sampled_from(MUNI), cut=st.integers(0, 30))
@settings(max_examples=60, deadline=None)
def test_municipality_typo_suggestions_resolve(i, cut):
    name = str(NET.regions.name[i])
    k = cut % len(name)
    typo = name[:k] + name[k + 1 :]
    try:
        got = NAMES.region(SC, "f", typo, "municipality")
    except InputError as e:
        msg = str(e)
        if "did you mean" not in msg:
            return
        for s in suggestions(msg):
            j = NAMES.region(SC, "f", s, "municipality")  # each suggestion resolves
            assert s.split(",")[0] == str(NET.regions.name[j])  # spelled as the data spells it
        return
    assert NET.regions.level[got] == "municipality"


def test_accents_and_capitals_are_kept():
    with pytest.raises(InputError) as e:
        NAMES.region(SC, "f", "Culiacn", "municipality")
    assert "'Culiacán, Sinaloa'" in str(e.value)


def test_port_suggestion_is_the_port_name():
    with pytest.raises(InputError) as e:
        NAMES.port(SC, "f", "Nogals")
    s = suggestions(str(e.value))
    assert s and all(NAMES.port(SC, "f", x) >= 0 for x in s)
    assert s[0].startswith("Nogales")
