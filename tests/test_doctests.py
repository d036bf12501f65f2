"""The examples in model docstrings run."""

import doctest

import pytest

import reten.models.routes


@pytest.mark.parametrize("module", [reten.models.routes])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
