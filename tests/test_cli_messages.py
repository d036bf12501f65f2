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


def _numeric_options() -> list[tuple[list[str], str, str]]:
    from reten.cli import _command

    out = []
    cmd = _command()
    for command in _commands():
        c = cmd
        for name in command:
            c = c.commands[name]
        for p in c.params:
            if p.param_type_name == "option" and p.type.name in ("integer", "float"):
                out.append((command, p.opts[-1], p.type.name))
    return out


NUMERIC = _numeric_options()


def test_numeric_options_are_found():
    found = {(" ".join(c), o) for c, o, _ in NUMERIC}
    assert {("optimize", "--budget"), ("game", "--checkpoints"), ("network build", "--snap-m")} <= (
        found
    )
    assert ("optimize", "--budget", "integer") in {(" ".join(c), o, k) for c, o, k in NUMERIC}


@pytest.mark.parametrize(("command", "option", "kind"), NUMERIC, ids=lambda x: str(x))
@pytest.mark.parametrize("word", ["two", "1,5", "nan"])
def test_numeric_option_given_a_word_says_what_is_valid(command, option, kind, word):
    r = call(*command, option, word)
    what = "a whole number" if kind == "integer" else "a finite number"
    line = assert_one_line_error(r, f"'{option}'", f"must be {what}", f"(got {word})")
    assert "is not a valid" not in line


@pytest.mark.parametrize(("command", "option", "kind"), NUMERIC, ids=lambda x: str(x))
def test_integer_option_refuses_a_fraction(command, option, kind):
    if kind != "integer":
        pytest.skip("a float option takes fractions")
    assert_one_line_error(call(*command, option, "2.5"), "must be a whole number", "(got 2.5)")


def test_budget_two_is_a_whole_number_message():
    r = call("optimize", "s.toml", "-o", "x", "--budget", "two")
    assert_one_line_error(r, "'--budget': must be a whole number >= 1 (got two)")
