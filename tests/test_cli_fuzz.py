"""Property-based fuzzing of the command line: options, output paths, and (separately) inputs.

Every call must end in exit 0 with a complete, valid output, or exit 2 with exactly one line
on stderr. Never a traceback, never exit 1, never a partial output, never a temporary or lock
file left behind, never a user's file touched; after an exit 2 nothing at all has changed.

Most examples call ``reten.cli.main`` in this process (a few milliseconds each); a smaller
sample runs the installed ``reten`` executable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from clikit import (
    EDGES,
    SCENARIO,
    Result,
    assert_valid_output_dir,
    call,
    litter,
    snapshot,
    strict_json,
    tiny_project,
)

# -------------------------------------------------------------------------------------------
# a template project, copied for every example


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-template")
    tiny_project(root)
    assert call("run", "s.toml", "-o", "own_run", cwd=root).code == 0
    (root / "user_dir").mkdir()
    (root / "user_dir" / "notes.txt").write_text("a user's notes")
    (root / "user_file.txt").write_text("a user's file")
    (root / "dangling").symlink_to("nowhere")
    (root / "link_dir").symlink_to("user_dir")
    return root


class Sandbox:
    """A copy of the template for one example, equal to the template when the example starts.

    Equal means: the same paths, types, contents, link targets and modes (``snapshot``). A
    copy that an example left equal to the template (every exit 2, every command that writes
    nothing: most examples) is handed to the next example instead of being deleted and copied
    again (copying and deleting the ~25 files was half the time of an in-process example).
    """

    def __init__(self, template: Path, base: Path) -> None:
        self.template = template
        self.edited: list[str] = []
        spare = _SPARE.pop(template, None)
        if spare is not None:
            self.root, self.before = spare
        else:
            _counter[0] += 1
            self.root = base / f"ex{_counter[0]}"
            shutil.copytree(template, self.root, symlinks=True)
            self.before = snapshot(self.root)

    def write(self, rel: str, data: bytes) -> None:
        """Replace the input file ``rel`` (put back from the template on close)."""
        (self.root / rel).write_bytes(data)
        self.edited.append(rel)
        self.before = snapshot(self.root)

    def close(self, after: dict | None = None) -> None:
        """Keep the copy for the next example if it equals the template again, else delete it."""
        if after is not None and self.edited:
            for rel in self.edited:  # put the example's own input edits back
                (self.root / rel).write_bytes((self.template / rel).read_bytes())
            after = snapshot(self.root)
        if after is not None and after == _pristine(self.template):
            _SPARE[self.template] = (self.root, after)
        else:
            shutil.rmtree(self.root, ignore_errors=True)


_counter = [0]
_SPARE: dict[Path, tuple[Path, dict]] = {}  # template -> a copy equal to it, and its snapshot
_PRISTINE: dict[Path, dict] = {}


def _pristine(template: Path) -> dict:
    if template not in _PRISTINE:
        _PRISTINE[template] = snapshot(template)
    return _PRISTINE[template]


def sandbox(template: Path, base: Path) -> Sandbox:
    return Sandbox(template, base)


# -------------------------------------------------------------------------------------------
# strategies

FIXED_OUTS = [
    "new",
    "new/nested/deep",
    "own_run",
    "own_run/inner",
    "user_dir",
    "link_dir",
    "user_file.txt",
    "user_file.txt/sub",
    "dangling",
    "net",
    "s.toml",
    "e.csv",
    ".",
    "..",
    "",
    "/",
    "sub/..",
    "x" * 256,
    "y" * 255,
    "a\nb",
    "tab\tname",
    "-",
    "--",
    "new/",
]

names = st.text(
    alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=12,
)
out_paths = st.one_of(st.sampled_from(FIXED_OUTS), names)

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-3, 40).map(str),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "abc", "", "1,5", "0x10", "½", "0", "1"]),
)


def opt(flag: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """Return ``[]`` or ``[flag, value]``."""
    return st.one_of(st.just([]), values.map(lambda v: [flag, v]))


def flat(parts: list[list[str]]) -> list[str]:
    return [x for p in parts for x in p]


small_ints = st.one_of(st.integers(-2, 4).map(str), numbers)
unit_floats = st.one_of(st.floats(-0.5, 1.5).map(repr), numbers)


def mostly(valid: list[str], other: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Return a strategy that draws a valid value about four times in five."""
    good = st.sampled_from(valid)
    return st.one_of(good, good, good, good, other)


optimize_opts = st.tuples(
    mostly(["1", "2", "3"], numbers).map(lambda v: ["--budget", v]),
    opt("--delay", mostly(["0", "10", "50"], numbers)),
    opt("--p-detect", mostly(["0", "0.5", "0.99"], unit_floats)),
    opt("--max-units", mostly(["1", "2"], small_ints)),
    opt("--time-limit", mostly(["5", "0.5"], numbers)),
    opt("--objective", mostly(["cost", "interception", "capacity"], st.just("profit"))),
    opt("--sites", mostly(["arcs", "nodes", "crossings", "regions"], st.just("roads"))),
    opt("--method", mostly(["auto", "milp", "greedy", "decomposition"], st.just("magic"))),
    st.sampled_from([[], ["--json"], ["--no-curve"]]),
).map(lambda t: flat(list(t)))

build_opts = st.tuples(
    st.sampled_from([["--nodes", "n.csv"], []]),
    opt("--snap-m", mostly(["0", "1", "50"], numbers)),
    opt("--terminal-max-km", mostly(["10", "0.5"], numbers)),
    opt("--regions-nearest-m", mostly(["0", "100"], numbers)),
    st.sampled_from([[], ["--largest-component"], ["--split-interior"]]),
    opt("--columns", st.sampled_from(["inegi", "osm", "x"])),
).map(lambda t: flat(list(t)))

junk = st.one_of(
    st.just([]),
    st.just([]),
    st.just([]),
    st.sampled_from([["--ouy"], ["--overwrit"], ["extra-arg"], ["--json"], ["-o"], ["--budget"]]),
)


@st.composite
def commands(draw) -> tuple[list[str], str, str]:
    """Return (argv, output path, kind) for one command with mutated options and paths."""
    kind = draw(st.sampled_from(["run", "optimize", "network", "export", "info", "usage"]))
    out = draw(st.one_of(st.just("new"), out_paths))  # a fresh folder one time in two
    over = draw(st.sampled_from([[], ["--overwrite"]]))
    extra = draw(junk)
    if kind == "run":
        argv = ["run", "s.toml", "-o", out, *over]
        argv += draw(opt("--basemap", st.sampled_from(["https://t/{z}/{x}/{y}.png", "http://x"])))
    elif kind == "optimize":
        argv = ["optimize", "s.toml", "-o", out, *over, *draw(optimize_opts)]
    elif kind == "network":
        argv = ["network", "build", "--edges", "e.csv", "-o", out, *over, *draw(build_opts)]
    elif kind == "export":
        fmt = draw(st.sampled_from(["geojson", "gpkg", "graphml", "parquet", "shp"]))
        argv = ["network", "export", "net", "--format", fmt, "-o", out, *over]
    elif kind == "info":
        argv = ["network", "info", draw(st.sampled_from(["net", "own_run", out])), "--json"]
    else:
        argv = draw(
            st.sampled_from(
                [
                    ["frobnicate"],
                    ["run"],
                    ["network"],
                    ["network", "buld"],
                    ["--version"],
                    ["run", "--help"],
                    ["optimize", "s.toml", "-o", out],
                    ["network", "build", "-o", out],
                    ["compare", "s.toml", "-o", out],
                ]
            )
        )
    # the one writing command whose -o is a file, not a folder
    return argv + extra, out, ("file" if kind == "export" else kind)


# -------------------------------------------------------------------------------------------
# the property


KIND_OF = {"run": "run", "optimize": "optimize", "network": "network"}


def _under(rel: str, target: Path, root: Path) -> bool:
    p = (root / rel).resolve() if not os.path.islink(root / rel) else root / rel
    return p == target or target in p.parents


def check(r: Result, argv: list[str], out: str, kind: str, root: Path, before: dict) -> dict:
    """Assert the command's outcome obeys the contract (see the module docstring).

    Return the snapshot of ``root`` taken after the command.
    """
    assert "Traceback" not in r.err, (argv, r.err)
    assert r.code in (0, 2), (argv, r.code, r.err)
    assert not litter(root), (argv, litter(root))
    after = snapshot(root)
    if r.code == 2:
        if argv in (["network"],):  # bare group: typer prints the help
            assert after == before
            return after
        assert len(r.err_lines) == 1, (argv, r.err)
        assert r.err_lines[0].startswith("reten: error:"), (argv, r.err)
        assert after == before, (argv, r.err)
        return after
    # exit 0: JSON on stdout is strict; the output is complete; nothing else changed
    if "--json" in argv and r.out.strip() and "--help" not in argv:
        strict_json(r.out.strip().splitlines()[-1])
    writes = kind in KIND_OF or kind == "file"
    wrote = writes and "-o" in argv and "--help" not in argv and "--version" not in argv
    if not wrote:
        assert after == before, argv
        return after
    target = (root / out).resolve()
    assert target == root or root in target.parents, (argv, target)  # never outside
    if kind == "file":
        assert target.is_file() and target.stat().st_size > 0, argv
    else:
        assert_valid_output_dir(target, KIND_OF[kind])
    for rel, entry in before.items():
        if _under(rel, target, root):
            continue  # the output itself (replaced: reten's own, or --overwrite)
        assert after.get(rel) == entry, (argv, rel)
    if "--overwrite" not in argv and target.exists():
        # without --overwrite only reten's own outputs (or nothing) were replaced
        rel = os.path.relpath(target, root)
        assert rel not in ("user_dir", "user_file.txt"), argv
    if kind != "file":
        # a folder output never deletes a user's file, not even with --overwrite
        notes = os.path.join("user_dir", "notes.txt")
        assert after.get(notes) == before.get(notes), argv
    return after


FUZZ = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(cmd=commands())
def test_fuzz_options_and_output_paths(template, tmp_path_factory, cmd):
    argv, out, kind = cmd
    sb = sandbox(template, tmp_path_factory.getbasetemp())
    after = None
    try:
        r = call(*argv, cwd=sb.root)
        event(f"{kind}: exit {r.code}")
        after = check(r, argv, out, kind, sb.root, sb.before)
    finally:
        sb.close(after)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(cmd=commands())
def test_fuzz_through_the_installed_executable(template, tmp_path_factory, cmd):
    exe = Path(sys.executable).with_name("reten")
    if not exe.is_file():
        pytest.skip("the reten console script is not installed")
    argv, out, kind = cmd
    sb = sandbox(template, tmp_path_factory.getbasetemp())
    after = None
    try:
        p = subprocess.run(
            [str(exe), *argv], cwd=sb.root, capture_output=True, text=True, timeout=300
        )
        res = Result(p.returncode, p.stdout, p.stderr)
        after = check(res, argv, out, kind, sb.root, sb.before)
    finally:
        sb.close(after)


# -------------------------------------------------------------------------------------------
# input mutations: scenario TOML and edge-list CSV text (readers owned by other modules)


def mutate(text: str, data) -> str:
    """Return ``text`` with a few random edits: delete, duplicate, replace or insert."""
    for _ in range(data.draw(st.integers(1, 3))):
        if not text:
            break
        i = data.draw(st.integers(0, len(text) - 1))
        j = data.draw(st.integers(i, min(len(text), i + 12)))
        op = data.draw(st.sampled_from(["del", "dup", "rep", "ins"]))
        piece = data.draw(
            st.one_of(
                st.sampled_from(
                    ["-1", "nan", "1e999", '"x"', "[", "]", "{", "=", ",", ";", "\n", "true",
                     "[[origins]]", "0", "\ufeff", "\x00", "é", "[1,[2]]", "inf"]
                ),
                st.text(max_size=4),
            )
        )  # fmt: skip
        if op == "del":
            text = text[:i] + text[j:]
        elif op == "dup":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "rep":
            text = text[:i] + piece + text[j:]
        else:
            text = text[:i] + piece + text[i:]
    return text


TOML_SLOTS = """name = {name}
[network]
path = {path}
[[origins]]
node = {node}
volume_kg = {volume}
[[destinations]]
node = {dest}
[costs]
mode = {mode}
"""
TOML_VALUES = ['"tiny"', '"net"', '"a"', "10", '"c"', '"length_km"']
TOML_LITERALS = [
    "3", "true", '"x"', "[]", "[1, [2]]", "{}", "{a = 1}", "-1", "nan", "inf", "1e999",
    '"\u00e9"', '"\u0000"', "[[1]]", '["a", 1]', "0", "1979-05-27",
]  # fmt: skip
TOML_SHAPES = [
    "origins = 3\n",
    'network = 5\n[[origins]]\nnode = "a"\nvolume_kg = 1\n',
    'network = "net"\n[[origins]]\nnode = "a"\nvolume_kg = 1\n',
    "origins = [1, 2]\n",
    'origins = ["a"]\n',
    'costs = []\n[[origins]]\nnode = "a"\nvolume_kg = 1\n',
    "enforcement = 3\n" + SCENARIO,
    "x = " + "[" * 1000 + "]" * 1000 + "\n",
    "x = " + "{a = " * 200 + "1" + "}" * 200 + "\n",
]


def retyped_scenario(data) -> str:
    """Return the tiny scenario with values of the wrong type, or a wrong shape altogether."""
    if data.draw(st.booleans()):
        return data.draw(st.sampled_from(TOML_SHAPES))
    values = list(TOML_VALUES)
    for _ in range(data.draw(st.integers(1, 2))):
        values[data.draw(st.integers(0, len(values) - 1))] = data.draw(
            st.sampled_from(TOML_LITERALS)
        )
    keys = ("name", "path", "node", "volume", "dest", "mode")
    return TOML_SLOTS.format(**dict(zip(keys, values, strict=True)))


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_fuzz_scenario_and_edge_list_text(template, tmp_path_factory, data):
    sb = sandbox(template, tmp_path_factory.getbasetemp())
    after = None
    try:
        what = data.draw(st.sampled_from(["toml-text", "toml-types", "csv-text"]))
        if what.startswith("toml"):
            text = mutate(SCENARIO, data) if what == "toml-text" else retyped_scenario(data)
            sb.write("s.toml", text.encode("utf-8", "surrogatepass"))
            argv = ["run", "s.toml", "-o", "out"]
            kind = "run"
        else:
            sb.write("e.csv", mutate(EDGES, data).encode("utf-8", "surrogatepass"))
            argv = ["network", "build", "--edges", "e.csv", "-o", "out"]
            kind = "network"
        r = call(*argv, cwd=sb.root)
        event(f"{kind}: exit {r.code}")
        after = check(r, argv, "out", kind, sb.root, sb.before)
    finally:
        sb.close(after)
