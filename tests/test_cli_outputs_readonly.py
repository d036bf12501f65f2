"""-o in a place reten cannot write: refused before any work; a failed final write is one line.

Breaker finding: ``-o`` on a read-only mount failed only after the whole solve, with a raw
errno message and exit 1. Every command with ``-o`` now checks, before any work, that it can
create its output there and remove the previous one (one line naming the folder and what is
wrong, exit 2, nothing written); an error of the file system during the final write (disk
full, read-only, permission) is one line naming the output, and nothing changes.

Permission checks need a process that file permissions apply to: root ignores them. As root
the commands run in a child process without root's capabilities (``setpriv``), and the tests
that need that skip, saying why, where it is not available. Read-only and full file systems
are made with a tmpfs mounted in a private mount namespace (``unshare -m``, root only).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import reten.atomic
from clikit import assert_one_line_error, call, litter, snapshot
from test_overwrite_commands import COMMANDS, _argv, _fake_output, _project

TESTS = Path(__file__).parent

# run `reten ARGV` for each ARGV of a JSON list in this process; print [[code, stderr], ...]
CHILD = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {tests!r})
    from clikit import call
    cases = json.loads(sys.argv[1])
    print(json.dumps([[r.code, r.err] for r in (call(*a, cwd={cwd!r}) for a in cases)]))
    """
)


def _unprivileged() -> list[str] | None:
    """Return the command prefix that runs a child without root's privileges ([] when not
    root), or None when it cannot be had."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--inh-caps=-all", "--bounding-set=-all"]
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    return prefix if probe.returncode == 0 else None


def _child(prefix: list[str], cwd: Path, cases: list[list[str]]) -> list[tuple[int, str]]:
    script = CHILD.format(tests=str(TESTS), cwd=str(cwd))
    p = subprocess.run(
        [*prefix, sys.executable, "-c", script, json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr
    return [(int(c), e) for c, e in json.loads(p.stdout.strip().splitlines()[-1])]


def _one_line(code_err: tuple[int, str], *needles: str, code: int = 2) -> str:
    got, err = code_err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert got == code and len(lines) == 1 and "Traceback" not in err, (got, err)
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def prefix():
    p = _unprivileged()
    if p is None:
        pytest.skip(
            "running as root, which ignores file permissions, and setpriv cannot drop "
            "root's capabilities here"
        )
    return p


@pytest.fixture(scope="module")
def proj(tmp_path_factory):
    return _project(tmp_path_factory.mktemp("readonly"))


def test_every_command_refuses_a_read_only_folder_before_any_work(proj, prefix):
    """-o inside a chmod-555 folder (its parent not writable) and -o an existing output
    made read-only: one line naming the folder, exit 2, nothing written, for every command
    with -o (the second case was replaced on the old code, leaving the old files behind)."""
    ro = proj / "ro"
    ro.mkdir()
    kept = {}
    for kind in sorted(COMMANDS):
        _fake_output(proj / f"mine_{kind}", kind)
        kept[kind] = proj / f"mine_{kind}"
    cases: list[list[str]] = []
    for kind in sorted(COMMANDS):
        cases.append(_argv(kind, f"ro/new_{kind}"))
        cases.append(_argv(kind, f"mine_{kind}", "--overwrite"))
    export = ["network", "export", "net", "--format", "geojson", "-o"]
    cases.append([*export, "ro/arcs.geojson"])
    try:
        for d in (ro, *kept.values()):
            d.chmod(0o555)
        before = snapshot(proj)
        results = _child(prefix, proj, cases)
        assert snapshot(proj) == before and not litter(proj)
    finally:
        for d in (ro, *kept.values()):
            d.chmod(0o755)
    for kind, new, old in zip(sorted(COMMANDS), results[0:-1:2], results[1:-1:2], strict=True):
        _one_line(new, f"ro/new_{kind}", f"cannot write into '{ro}'", "no write permission")
        _one_line(old, f"mine_{kind}", "cannot be replaced", "no write permission")
    _one_line(results[-1], "ro/arcs.geojson", "no write permission")


def test_a_read_only_subfolder_of_the_previous_output_is_refused(proj, prefix):
    _fake_output(proj / "withsub", "run")
    sub = proj / "withsub" / "figures"
    sub.mkdir()
    (sub / "routes.png").write_bytes(b"png")
    sub.chmod(0o555)
    try:
        before = snapshot(proj)
        [res] = _child(prefix, proj, [["run", "s.toml", "-o", "withsub", "--overwrite"]])
        assert snapshot(proj) == before and not litter(proj)
    finally:
        sub.chmod(0o755)
    _one_line(res, "withsub", str(sub), "no write permission")


# --- real read-only and full file systems (root, in a private mount namespace) ---------------


def _in_namespace(proj: Path, mount: str, cases: list[list[str]]) -> list[tuple[int, str]]:
    """Run the cases in a private mount namespace where ``proj/m`` is ``mount`` (a shell
    command mounting a tmpfs on m); skip when that is not possible here."""
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        pytest.skip("mounting a file system needs root and unshare (a private mount namespace)")
    (proj / "m").mkdir(exist_ok=True)
    probe = subprocess.run(
        [unshare, "-m", "sh", "-c", "mount -t tmpfs tmpfs m"], cwd=proj, capture_output=True
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.decode().strip()}")
    script = CHILD.format(tests=str(TESTS), cwd=str(proj))
    shell = f'{mount} && exec "$0" -c "$1" "$2"'
    p = subprocess.run(
        [unshare, "-m", "sh", "-c", shell, sys.executable, script, json.dumps(cases)],
        cwd=proj,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr
    return [(int(c), e) for c, e in json.loads(p.stdout.strip().splitlines()[-1])]


def test_a_read_only_mount_is_refused_before_any_work(proj):
    """-o on a read-only file system, or on a mount point (which rename(2) cannot replace:
    the old code solved, then failed with '[Errno 16] Device or resource busy', exit 1)."""
    cases = [_argv(kind, f"m/new_{kind}") for kind in sorted(COMMANDS)]
    cases += [
        ["run", "s.toml", "-o", "m"],
        ["network", "export", "net", "--format", "geojson", "-o", "m/arcs.geojson"],
    ]
    results = _in_namespace(proj, "mount -t tmpfs -o ro tmpfs m", cases)
    for kind, res in zip(sorted(COMMANDS), results, strict=False):
        _one_line(res, f"m/new_{kind}", "read-only file system")
    _one_line(results[-2], "-o 'm'", "mount point")
    _one_line(results[-1], "m/arcs.geojson", "read-only file system")
    assert not litter(proj)


def test_a_full_disk_ends_as_one_line_naming_the_output(proj):
    """A tmpfs of 64 KiB with one 4 KiB page free (for the lock) holds no output: one line
    naming -o and the folder, exit 1, nothing left (the old code printed '[Errno 28] No
    space left on device' alone)."""
    cases = [
        ["run", "s.toml", "-o", "m/run"],
        ["compare", "s.toml", "s2.toml", "-o", "m/cmp"],
    ]
    shell = "mount -t tmpfs -o size=64k tmpfs m && head -c 61440 /dev/zero > m/filler"
    for res, out in zip(_in_namespace(proj, shell, cases), ("m/run", "m/cmp"), strict=True):
        _one_line(res, out, "no space left on device", f"in '{proj / 'm'}'", code=1)


# --- errors of the final write, in process (any user) ------------------------------------------


@pytest.mark.parametrize(
    "err,code,needle",
    [
        (errno.ENOSPC, 1, "no space left on device"),
        (errno.EDQUOT, 1, "quota exceeded"),
        (errno.EROFS, 2, "read-only file system"),
        (errno.EACCES, 2, "permission denied"),
    ],
)
def test_an_error_of_the_final_swap_is_one_line_and_keeps_the_previous_output(
    tmp_path, monkeypatch, err, code, needle
):
    from clikit import tiny_project

    tiny_project(tmp_path)
    assert call("run", "s.toml", "-o", "o", cwd=tmp_path).code == 0
    before = snapshot(tmp_path / "o")

    def refuse(tmp, target):
        raise OSError(err, os.strerror(err), str(target))

    monkeypatch.setattr(reten.atomic, "_swap_in", refuse)
    r = call("run", "s.toml", "-o", "o", cwd=tmp_path)
    line = assert_one_line_error(r, "-o 'o'", needle, f"in '{tmp_path.resolve()}'", code=code)
    assert "Errno" not in line
    assert snapshot(tmp_path / "o") == before and not litter(tmp_path)


@pytest.mark.parametrize("kind", ["optimize", "game", "compare", "network", "export"])
def test_a_full_disk_while_writing_is_one_line_for_every_command(tmp_path, monkeypatch, kind):
    """The disk fills up as the output is finished (ENOSPC on a file of the output), for
    commands whose writers differ: the same one line, exit 1, nothing left."""
    proj = _project(tmp_path / "p")

    def full(root, mask):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(root))

    monkeypatch.setattr(reten.atomic, "_fix_modes", full)
    before = snapshot(proj)
    if kind == "export":
        argv = ["network", "export", "net", "--format", "geojson", "-o", "out.geojson"]
    else:
        argv = _argv(kind, "out")
    r = call(*argv, cwd=proj)
    assert_one_line_error(r, "-o 'out", "no space left on device", code=1)
    assert snapshot(proj) == before and not litter(proj)


def test_an_input_that_cannot_be_read_is_not_blamed_on_the_output(tmp_path):
    """Only errors of the output's own paths are translated: a missing input inside the
    block keeps its own message."""
    target = (tmp_path / "o").resolve()
    with pytest.raises(FileNotFoundError), reten.atomic.output_dir(target) as tmp:
        (tmp / "a").write_text("x")
        (tmp_path / "nope.csv").read_text()
    with pytest.raises(PermissionError), reten.atomic.output_dir(target):
        raise PermissionError(errno.EACCES, "Permission denied", "/elsewhere/input.csv")
    assert not litter(tmp_path) and not target.exists()


def test_a_disk_too_full_for_the_lock_pid_leaves_no_lock_file(tmp_path, monkeypatch):
    """On a full disk the lock file is created (no data block needed) but its pid cannot be
    written: the old code stopped there and left a 0-byte ``.o.reten-lock`` behind (breaker,
    stop 20). The pid only serves a second writer's message, so the run goes on and the lock
    goes with it."""
    from clikit import tiny_project

    tiny_project(tmp_path)
    real_write = os.write
    pid_line = f"{os.getpid()}\n".encode()

    def write(fd, data):
        if bytes(data) == pid_line:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    r = call("run", "s.toml", "-o", "o", cwd=tmp_path)
    assert r.code == 0, r.err
    assert not litter(tmp_path)
