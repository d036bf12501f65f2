"""OpenStreetMap import at country scale: wall time and peak memory on synthetic lattices.

Each size is a PBF written by ``bench/make_synthetic_pbf.py`` (a road lattice with
realistic tags, seed 0) and built by ``reten network build --osm FILE -o DIR`` in a child
process of its own: the whole command as a user runs it (read, build, summary, save).
Peak memory is the child's ``ru_maxrss`` from ``os.wait4`` (the kernel's high-water mark of
its resident set, file-backed pages included), CPU is its user + system time. The peer,
at the small sizes only, is pyrosm + NetworkX (``get_network("driving")`` then
``to_graph``), in a child process measured the same way.

Usage: ``python bench/bench_osm_scale.py [SIZE ...]`` with sizes in way-node references
(default ``1e6 5e6 12.9e6``; add ``50e6`` for the Mexico-sized run). The section
"## OpenStreetMap at country scale (issue 8)" of bench/RESULTS.md is replaced.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, WORK, table  # noqa: E402

PEER_MAX_REFS = 5e6
TITLE = "## OpenStreetMap at country scale (issue 8)"

_PEER = """
import json, sys, time
import pyrosm
t = time.perf_counter()
osm = pyrosm.OSM(sys.argv[1])
nodes, edges = osm.get_network(nodes=True, network_type="driving")
g = osm.to_graph(nodes, edges, graph_type="networkx")
print(json.dumps({"nodes": g.number_of_nodes(), "arcs": g.number_of_edges(),
                  "seconds": time.perf_counter() - t}))
"""


def pbf_for(size: str) -> tuple[Path, dict]:
    """Return the synthetic PBF for ``size`` (written when missing) and its counts."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"syn_{size}.osm.pbf"
    meta = WORK / f"syn_{size}.json"
    if not path.exists() or not meta.exists():
        out = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "make_synthetic_pbf.py"), size, str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        counts = eval(out.stdout.strip().splitlines()[-1])  # a dict literal of ints
        meta.write_text(json.dumps(counts))
    return path, json.loads(meta.read_text())


def measured(cmd: list[str]) -> dict:
    """Run ``cmd`` as a child; return wall s, CPU s, peak RSS (MiB), exit code, stdout."""
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "wall": wall,
            "cpu": ru.ru_utime + ru.ru_stime,
            "peak_mib": ru.ru_maxrss / 1024.0,
            "rc": p.returncode,
            "stdout": out.read(),
            "stderr": err.read()[-2000:],
        }


def run_size(size: str) -> dict:
    """Build one size with reten (and the peer when small); return the measurements."""
    pbf, counts = pbf_for(size)
    reten = str(Path(sys.executable).with_name("reten"))
    outdir = Path(tempfile.mkdtemp(prefix="reten-bench-osm-")) / "net"
    try:
        r = measured([reten, "network", "build", "--osm", str(pbf), "-o", str(outdir)])
        if r["rc"] != 0:
            raise RuntimeError(f"reten failed on {pbf}: {r['stderr']}")
        info = json.loads((outdir / "meta.json").read_text())
    finally:
        shutil.rmtree(outdir.parent, ignore_errors=True)
    res = {"size": size, "counts": counts, "reten": r, "nodes": info.get("nodes")}
    res["arcs"] = info.get("arcs")
    if float(size) <= PEER_MAX_REFS:
        q = measured([sys.executable, "-c", _PEER, str(pbf)])
        if q["rc"] == 0:
            q.update(json.loads(q["stdout"].strip().splitlines()[-1]))
        res["peer"] = q
    return res


def _machine() -> str:
    cpu = (
        subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True, text=True)
        .stdout.split(":", 1)[-1]
        .strip()
    )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}; `nproc` = {os.cpu_count()}; {mem:.0f} GiB RAM"


def section(results: list[dict]) -> str:
    """Return the Markdown section for these results."""
    rows = []
    for r in results:
        c, m = r["counts"], r["reten"]
        refs_m = c["road_refs"] / 1e6
        arcs_m = (r["arcs"] or 0) / 1e6
        rows.append(
            [
                f"{refs_m:.1f} M refs, {c['road_ways']:,} ways, {c['nodes'] / 1e6:.1f} M nodes",
                f"{r['nodes']:,}",
                f"{r['arcs']:,}",
                f"{m['wall']:.0f}",
                f"{m['cpu']:.0f}",
                f"{m['peak_mib'] / 1024:.2f}",
                f"{m['peak_mib'] / refs_m:.0f}",
                f"{m['peak_mib'] / arcs_m:.0f}" if arcs_m else "",
            ]
        )
    peers = []
    for r in results:
        q = r.get("peer")
        if q is None:
            continue
        c = r["counts"]
        if q["rc"] != 0:
            peers.append([f"{c['road_refs'] / 1e6:.1f} M refs", "failed", "", "", "", ""])
            continue
        peers.append(
            [
                f"{c['road_refs'] / 1e6:.1f} M refs",
                f"{q['nodes']:,}",
                f"{q['arcs']:,}",
                f"{q['wall']:.0f}",
                f"{q['peak_mib'] / 1024:.2f}",
                f"{q['wall'] / r['reten']['wall']:.1f}x time, "
                f"{q['peak_mib'] / r['reten']['peak_mib']:.1f}x memory",
            ]
        )
    out = [
        TITLE,
        "",
        f"Machine: {_machine()}; shared with other jobs while measured, so wall times vary "
        "(CPU time is the child's own). Input: `bench/make_synthetic_pbf.py` lattices "
        "(seed 0); each build is `reten network build --osm FILE -o DIR` in its own process, "
        "peak = the child's `ru_maxrss`.",
        "",
        table(
            [
                "input",
                "nodes",
                "arcs",
                "wall s",
                "CPU s",
                "peak GiB",
                "MiB per M way-nodes",
                "MiB per M arcs",
            ],
            rows,
        ),
        "",
        "Goal (issue 8, Mexico: ~50 M way-node refs, ~12 M arcs): <= 8 GB peak, <= 10 min.",
    ]
    if peers:
        out += [
            "",
            "Peer at the small sizes: pyrosm + NetworkX (`driving` network, its own "
            "topology rules, so counts differ a little), same process measurement.",
            "",
            table(["input", "nodes", "edges", "wall s", "peak GiB", "peer / reten"], peers),
        ]
    return "\n".join(out) + "\n"


def write_section(text: str) -> None:
    """Replace (or append) this section in bench/RESULTS.md, leaving the others alone."""
    path = ROOT / "bench" / "RESULTS.md"
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    parts = re.split(r"(?m)^(?=## )", old)
    kept = [p for p in parts if not p.startswith(TITLE)]
    body = "".join(p if p.endswith("\n") else p + "\n" for p in kept)
    if not body.endswith("\n\n"):
        body += "\n"
    path.write_text(body + text)


def main(argv: list[str]) -> int:
    sizes = argv or ["1e6", "5e6", "12.9e6"]
    results = []
    for s in sizes:
        print(f"size {s} ...", flush=True)
        r = run_size(s)
        print(json.dumps({k: v for k, v in r.items() if k not in ("reten", "peer")}), flush=True)
        print({k: round(v, 2) for k, v in r["reten"].items() if isinstance(v, float)}, flush=True)
        results.append(r)
    text = section(results)
    print(text)
    write_section(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
