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


# ---------------------------------------------------------------- ranking (one slip first)

STATES = [i for i in range(len(NET.regions.name)) if NET.regions.level[i] == "state"]


def osa(a: str, b: str) -> int:
    """Optimal string alignment distance by the textbook dynamic programme (the oracle)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def _slip(name: str, kind: str, k: int, letter: str) -> str:
    k = k % len(name)
    if kind == "delete":
        return name[:k] + name[k + 1 :]
    if kind == "insert":
        return name[:k] + letter + name[k:]
    k = min(k, len(name) - 2)
    return name[:k] + name[k + 1] + name[k] + name[k + 2 :]


@given(
    i=st.sampled_from(STATES),
    kind=st.sampled_from(["delete", "insert", "transpose"]),
    k=st.integers(0, 40),
    letter=st.sampled_from("aeioulnrst"),
    level=st.sampled_from([None, "state"]),
)
@settings(max_examples=150, deadline=None)
def test_state_with_one_slip_is_suggested_first(i, kind, k, letter, level):
    from reten.scenario.names import norm

    true = str(NET.regions.name[i])
    typo = _slip(true, kind, k, letter)
    if norm(typo) == norm(true) or norm(typo) in NAMES.region_by_name:
        return  # no slip (a doubled letter swapped) or another region's name
    with pytest.raises(InputError) as e:
        NAMES.region(SC, "f", typo, level)
    got = suggestions(str(e.value))
    rivals = [
        str(n)
        for j, n in enumerate(NET.regions.name)
        if (level is None or NET.regions.level[j] == level)
        and norm(n) != norm(true)
        and osa(norm(typo), norm(n)) <= osa(norm(typo), norm(true))
    ]
    if rivals:  # another name is as near: the true one is among the suggestions
        assert true in got, (typo, got, rivals)
    else:
        assert got[0] == true, (typo, got)


@pytest.mark.parametrize(
    ("typo", "want"),
    [
        ("Sinola", "Sinaloa"),
        ("Snaloa", "Sinaloa"),
        ("Chihuahau", "Chihuahua"),
        ("Duranog", "Durango"),
    ],
)
def test_reported_typos_suggest_the_state_first(typo, want):
    for level in (None, "state"):
        with pytest.raises(InputError) as e:
            NAMES.region(SC, "f", typo, level)
        assert suggestions(str(e.value))[0] == want, str(e.value)


def test_enforcement_region_typo_in_a_scenario():
    import reten

    sc = Scenario.from_dict(
        {
            "origins": [{"municipality": "Culiacán, Sinaloa", "volume_kg": 1}],
            "enforcement": [{"type": "crackdown", "regions": ["Sinola"], "cost_multiplier": 1.5}],
        }
    )
    with pytest.raises(InputError) as e:
        reten.run(sc)
    assert suggestions(str(e.value))[0] == "Sinaloa", str(e.value)


@given(
    word=st.text("abcd", min_size=1, max_size=6),
    options=st.lists(st.text("abcd", min_size=1, max_size=7), min_size=1, max_size=12),
)
@settings(max_examples=200, deadline=None)
def test_close_matches_ranks_by_edit_distance(word, options):
    from reten.suggest import close_matches

    got = close_matches(word, options, n=len(options))
    dist = [osa(word, g) for g in got]
    assert dist == sorted(dist)
    assert len(set(got)) == len(got) and set(got) <= set(options)
    near = {o for o in options if osa(word, o) <= 1}
    assert near <= set(got)
    # a name within reach found: nothing more than one edit further than it is offered
    reach = 2 if len(word) >= 6 else 1
    if dist and dist[0] <= reach:
        assert dist[-1] <= dist[0] + 1, (word, got, dist)


def test_a_slip_in_a_municipality_does_not_also_suggest_a_far_name():
    # the newcomer of stop 21 saw 'Sonnora' and 'Culiacna' answered with a far second name
    import reten

    sc = Scenario.from_dict({"origins": [{"municipality": "Culiacna", "volume_kg": 1}]})
    with pytest.raises(InputError) as e:
        reten.run(sc)
    assert suggestions(str(e.value)) == ["Culiacán, Sinaloa"], str(e.value)
