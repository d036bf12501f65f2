"""--where mistakes name the file, the filter and the columns a filter may use."""

from __future__ import annotations

import pytest

from reten.analysis.validate import read_observed
from reten.errors import InputError


@pytest.fixture
def observed(tmp_path):
    f = tmp_path / "obs.csv"
    f.write_text("region,year,homicides\nA,2005,3\nA,2010,5\nB,2010,7\n")
    return f


@pytest.mark.parametrize("where", ["yaer >= 2007", "year >>= 2007", "year >= ", "year ="])
def test_bad_filter_lists_the_columns(observed, where):
    with pytest.raises(InputError) as e:
        read_observed(str(observed), "region", "homicides", where=where)
    msg = str(e.value)
    assert "\n" not in msg and str(observed) in msg
    assert "columns: region, year, homicides" in msg


def test_filter_keeping_nothing_says_so(observed):
    with pytest.raises(InputError, match="keeps no row"):
        read_observed(str(observed), "region", "homicides", where="year > 2050")


def test_good_filter_keeps_the_rows(observed):
    out = read_observed(str(observed), "region", "homicides", agg="sum", where="year >= 2007")
    assert dict(zip(out.region, out.observed, strict=True)) == {"A": 5.0, "B": 7.0}
