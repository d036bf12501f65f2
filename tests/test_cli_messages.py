"""Messages a newcomer meets: usage lines, numeric options, files given to the wrong option."""

from __future__ import annotations

import re

import pytest
from clikit import assert_one_line_error, call


def _commands() -> list[list[str]]:
    from reten.cli import _command

    out: list[list[str]] = []

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
        else:
            out.append(path)

    walk(_command(), [])
    return out


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_usage_names_arguments_in_capitals_without_braces(command):
    r = call(*command, "--help")
    assert r.code == 0, r.err
    usage = next(ln for ln in r.out.splitlines() if "Usage:" in ln)
    assert "{" not in usage and "}" not in usage, usage
    args = usage.split("[OPTIONS]", 1)[1].split()
    for a in args:
        assert re.fullmatch(r"\[?[A-Z_]+\]?", a), usage


def test_missing_argument_usage_line():
    r = call("compare")
    line = assert_one_line_error(r, "reten compare [OPTIONS] BASE SCENARIO")
    assert "{" not in line
