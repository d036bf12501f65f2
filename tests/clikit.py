"""Test kit for the command line: call `reten` in process, a tiny project, litter and snapshots."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

LITTER_TAGS = (".reten-tmp-", ".reten-old-", ".reten-lock")

EDGES = "source,target,length_m\na,b,1000\nb,c,500\na,c,2000\n"
NODES = (
    "id,lon,lat,kind,name\na,-100,20,junction,A\nb,-100.01,20,junction,B\nc,-100.02,20,border,C\n"
)
SCENARIO = """name = "tiny"
[network]
path = "net"
[[origins]]
node = "a"
volume_kg = 10
[[destinations]]
node = "c"
[costs]
mode = "length_km"
"""


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [ln for ln in self.err.splitlines() if ln.strip()]


def call(*args: str, cwd: Path | None = None) -> Result:
    """Run ``reten ARGS`` in this process (cwd temporarily changed) and return its result."""
    from reten.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    code = 0
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(old)
    return Result(code, out.getvalue(), err.getvalue())


def assert_one_line_error(r: Result, *needles: str, code: int = 2) -> str:
    """Assert exit ``code``, exactly one stderr line, no traceback; return the line."""
    assert r.code == code, (r.code, r.err)
    assert "Traceback" not in r.err, r.err
    assert len(r.err_lines) == 1, r.err
    for n in needles:
        assert n in r.err_lines[0], (n, r.err_lines[0])
    return r.err_lines[0]


def litter(root: Path) -> list[str]:
    """Return every temporary, parked or lock name reten left anywhere under ``root``."""
    found = []
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            if any(t in n for t in LITTER_TAGS):
                found.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(found)


def snapshot(root: Path) -> dict[str, tuple[str, bytes | str, int]]:
    """Return {relative path: (type, content or link target, mode)} for everything in ``root``."""
    snap: dict[str, tuple[str, bytes | str, int]] = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if os.path.islink(p):
                snap[rel] = ("link", os.readlink(p), 0)
            elif os.path.isdir(p):
                snap[rel] = ("dir", "", st.st_mode)
            else:
                snap[rel] = ("file", Path(p).read_bytes(), st.st_mode)
    return snap


def strict_json(text: str) -> object:
    """Parse ``text`` as strict JSON (NaN and Infinity rejected)."""

    def bad(name: str) -> object:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=bad)


def tiny_project(root: Path) -> dict[str, Path]:
    """Write a 3-node edge list, a scenario on it and the saved network ``net``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "e.csv").write_text(EDGES)
    (root / "n.csv").write_text(NODES)
    (root / "s.toml").write_text(SCENARIO)
    r = call("network", "build", "--edges", "e.csv", "--nodes", "n.csv", "-o", "net", cwd=root)
    assert r.code == 0, r.err
    return {"edges": root / "e.csv", "nodes": root / "n.csv", "scenario": root / "s.toml"}


def copy_project(src: Path, dst: Path) -> None:
    """Copy a tiny project (files and the saved network) to ``dst``."""
    shutil.copytree(src, dst, symlinks=True)


def assert_valid_output_dir(path: Path, kind: str) -> None:
    """Assert ``path`` is a complete reten output: marker, every listed entry, strict JSON."""
    marker = strict_json((path / ".reten-output.json").read_text())
    assert isinstance(marker, dict) and marker["kind"] == kind, marker
    names = set(os.listdir(path)) - {".reten-output.json"}
    assert names == set(marker["entries"]), (names, marker["entries"])
    for p in path.rglob("*.json"):
        strict_json(p.read_text())
    assert not litter(path), litter(path)
