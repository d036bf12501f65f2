"""Scenarios: TOML written by a person, validated with precise errors, resolved to a Problem.

The format is documented in ``docs/scenarios.md``. Every error is one line:
``FILE:LINE: FIELD.PATH: what is wrong; what would be valid``.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import math
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from reten import __version__
from reten.errors import InputError
from reten.network.model import NODE_KINDS, ROAD_CLASSES, Network
from reten.problem import Problem

TOP_KEYS = {
    "name",
    "description",
    "seed",
    "risk_weight",
    "dose_mg",
    "network",
    "origins",
    "destinations",
    "costs",
    "enforcement",
    "congestion",
    "relocation",
    "chain",
}
CONGESTION_KEYS = {
    "alpha",
    "delta",
    "crossing_capacity_kg",
    "arc_capacity_attr",
    "method",
    "target_gap",
    "max_iterations",
    "time_limit_s",
}
RELOCATION_KEYS = {
    "candidates",
    "within_km",
    "relocation_cost",
    "production_cost",
    "production_cost_factor",
    "rule",
    "logit_scale",
    "loss_value",
}
CHAIN_KEYS = {"seaports", "precursor_kg_per_kg"}
NETWORK_KEYS = {"default", "path"}
ORIGIN_KEYS = {"municipality", "state", "node", "lon", "lat", "volume_kg", "label", "max_snap_km"}
DEST_KEYS = {"port", "node", "crossing_cost", "capacity_kg", "label"}
COST_KEYS = {"mode", "value_of_time_per_h", "per_km", "toll_per_km", "class_factor", "unit"}
COST_MODES = ("generalized", "length_km", "time_h")
ENF_KEYS = {
    "crackdown": {"type", "label", "regions", "cost_multiplier", "p_detect"},
    "checkpoint": {
        "type",
        "label",
        "place",
        "node",
        "lon",
        "lat",
        "arc",
        "port",
        "added_cost",
        "p_detect",
        "max_snap_km",
    },
    "closure": {"type", "label", "port", "node", "arc", "regions"},
    "deployment": {
        "type",
        "label",
        "units",
        "regions",
        "ports",
        "crossings",
        "p1",
        "cost_per_unit",
    },
}


def norm(s: str) -> str:
    """Return ``s`` lower-cased, without accents and punctuation (for name matching)."""
    s = unicodedata.normalize("NFKD", str(s)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


class _Lines:
    """Map field paths (``origins[2].volume_kg``) to line numbers in the TOML text."""

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        table = ""
        counts: dict[str, int] = {}
        for i, raw in enumerate(text.splitlines(), 1):
            ln = raw.strip()
            if ln.startswith("[["):
                name = ln.strip("[] ").split("#")[0].strip()
                counts[name] = counts.get(name, -1) + 1
                table = f"{name}[{counts[name]}]"
                self.lines.setdefault(table, i)
            elif ln.startswith("["):
                table = ln.strip("[] ").split("#")[0].strip()
                self.lines.setdefault(table, i)
            elif "=" in ln and not ln.startswith("#"):
                key = ln.split("=", 1)[0].strip().strip('"')
                self.lines.setdefault(f"{table}.{key}" if table else key, i)

    def line(self, path: str) -> int:
        p = path
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p.rsplit(".", 1)[0] if "." in p else ""
        return 1


@dataclasses.dataclass
class Scenario:
    """A parsed, validated scenario (still in human terms)."""

    path: str
    data: dict[str, Any]
    text_hash: str
    lines: _Lines

    def err(self, field: str, msg: str) -> InputError:
        """Return an InputError for ``field`` with its file and line."""
        return InputError(f"{self.path}:{self.lines.line(field)}: {field}: {msg}")

    @property
    def name(self) -> str:
        return str(self.data.get("name", Path(self.path).stem))


def load_scenario(path: str | Path) -> Scenario:
    """Return the scenario in ``path``, checked for unknown keys, types and ranges."""
    p = str(path)
    try:
        text = Path(p).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read ({exc})") from None
    return parse_scenario(text, p)


def parse_scenario(text: str, path: str = "<scenario>") -> Scenario:
    """Return the scenario written in TOML ``text`` (``path`` is used in messages)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise InputError(f"{path}:{m.group(1) if m else 1}: invalid TOML ({exc})") from None
    sc = Scenario(path, data, hashlib.sha256(text.encode()).hexdigest(), _Lines(text))
    _validate(sc)
    return sc


def _unknown(sc: Scenario, where: str, got: dict[str, Any], allowed: set[str]) -> None:
    for k in got:
        if k not in allowed:
            close = difflib.get_close_matches(k, sorted(allowed), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            field = f"{where}.{k}" if where else k
            raise sc.err(field, f"unknown key{hint} Valid keys: {', '.join(sorted(allowed))}")


def _number(
    sc: Scenario,
    field: str,
    v: Any,
    *,
    lo: float = 0.0,
    hi: float = math.inf,
    integer: bool = False,
) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise sc.err(field, f"expected a number, got {type(v).__name__} {v!r}")
    if not math.isfinite(v) or v < lo or v > hi:
        rng = f"in [{lo:g}, {hi:g}]" if math.isfinite(hi) else f">= {lo:g}"
        raise sc.err(field, f"{v!r} is not valid; expected a number {rng}")
    if integer and int(v) != v:
        raise sc.err(field, f"{v!r} is not a whole number")
    return float(v)


def _validate(sc: Scenario) -> None:
    d = sc.data
    _unknown(sc, "", d, TOP_KEYS)
    for k in ("risk_weight", "dose_mg", "seed"):
        if k in d:
            _number(sc, k, d[k], lo=1e-9 if k == "dose_mg" else 0.0, integer=k == "seed")
    net = d.get("network", {"default": True})
    if not isinstance(net, dict):
        raise sc.err("network", 'expected a table: [network] default = true or path = "DIR"')
    _unknown(sc, "network", net, NETWORK_KEYS)
    origins = d.get("origins")
    if not origins:
        raise sc.err("origins", "no origins; add at least one [[origins]] with volume_kg")
    for i, o in enumerate(origins):
        f = f"origins[{i}]"
        _unknown(sc, f, o, ORIGIN_KEYS)
        if "volume_kg" not in o:
            raise sc.err(f, "missing volume_kg (kg per month, > 0)")
        _number(sc, f"{f}.volume_kg", o["volume_kg"])
        given = [k for k in ("municipality", "state", "node") if k in o]
        if ("lon" in o) != ("lat" in o):
            raise sc.err(f, "give both lon and lat")
        if "lon" in o:
            given.append("lon/lat")
            _number(sc, f"{f}.lon", o["lon"], lo=-180, hi=180)
            _number(sc, f"{f}.lat", o["lat"], lo=-90, hi=90)
        if len(given) != 1:
            raise sc.err(f, "give exactly one of municipality, state, node or lon/lat")
    for i, t in enumerate(d.get("destinations", [])):
        f = f"destinations[{i}]"
        _unknown(sc, f, t, DEST_KEYS)
        if ("port" in t) == ("node" in t):
            raise sc.err(f, "give exactly one of port (name or CBP code) or node")
        for k in ("crossing_cost", "capacity_kg"):
            if k in t:
                _number(sc, f"{f}.{k}", t[k], lo=1e-12 if k == "capacity_kg" else 0.0)
    costs = d.get("costs", {})
    _unknown(sc, "costs", costs, COST_KEYS)
    if costs.get("mode", "generalized") not in COST_MODES:
        raise sc.err("costs.mode", f"'{costs.get('mode')}' unknown; valid: {', '.join(COST_MODES)}")
    for k in ("value_of_time_per_h", "per_km", "toll_per_km"):
        if k in costs:
            _number(sc, f"costs.{k}", costs[k])
    for k, v in costs.get("class_factor", {}).items():
        if k not in ROAD_CLASSES:
            raise sc.err(
                f"costs.class_factor.{k}", f"unknown road class; valid: {', '.join(ROAD_CLASSES)}"
            )
        _number(sc, f"costs.class_factor.{k}", v, lo=1e-9)
    _validate_extensions(sc)
    for i, e in enumerate(d.get("enforcement", [])):
        f = f"enforcement[{i}]"
        kind = e.get("type")
        if kind not in ENF_KEYS:
            raise sc.err(f"{f}.type", f"{kind!r} unknown; valid: {', '.join(ENF_KEYS)}")
        _unknown(sc, f, e, ENF_KEYS[kind])
        for k in ("cost_multiplier", "added_cost", "cost_per_unit", "units", "max_snap_km"):
            if k in e:
                _number(sc, f"{f}.{k}", e[k], lo=1e-9 if k == "cost_multiplier" else 0.0)
        for k in ("p_detect", "p1"):
            if k in e:
                _number(sc, f"{f}.{k}", e[k], hi=0.999999)
        if kind == "crackdown":
            if "regions" not in e:
                raise sc.err(f, "a crackdown needs regions = [...]")
            if "cost_multiplier" not in e and "p_detect" not in e:
                raise sc.err(f, "a crackdown needs cost_multiplier and/or p_detect")
        if kind == "deployment":
            if "units" not in e or "p1" not in e:
                raise sc.err(f, "a deployment needs units and p1 (detection per unit)")
            if sum(k in e for k in ("regions", "ports", "crossings")) != 1:
                raise sc.err(f, "a deployment needs one of regions, ports or crossings = true")


def _validate_extensions(sc: Scenario) -> None:
    d = sc.data
    cg = d.get("congestion")
    if cg is not None:
        _unknown(sc, "congestion", cg, CONGESTION_KEYS)
        _number(sc, "congestion.alpha", cg.get("alpha", 1.0))
        _number(sc, "congestion.delta", cg.get("delta", 1.0), lo=1.0)
        if "crossing_capacity_kg" in cg:
            _number(sc, "congestion.crossing_capacity_kg", cg["crossing_capacity_kg"], lo=1e-12)
        _number(sc, "congestion.target_gap", cg.get("target_gap", 1e-5), lo=1e-14, hi=1.0)
        _number(
            sc, "congestion.max_iterations", cg.get("max_iterations", 10000), lo=1, integer=True
        )
        _number(sc, "congestion.time_limit_s", cg.get("time_limit_s", 600.0), lo=1e-3)
        from reten.models.equilibrium import METHODS

        if cg.get("method", "auto") not in METHODS:
            raise sc.err(
                "congestion.method", f"'{cg.get('method')}' unknown; valid: {', '.join(METHODS)}"
            )
    rl = d.get("relocation")
    if rl is not None:
        _unknown(sc, "relocation", rl, RELOCATION_KEYS)
        if ("candidates" in rl) == ("within_km" in rl):
            raise sc.err("relocation", 'give candidates = [regions] or "all", or within_km')
        for k in ("within_km", "relocation_cost", "production_cost", "loss_value"):
            if k in rl:
                _number(sc, f"relocation.{k}", rl[k])
        if rl.get("rule", "deterministic") not in ("deterministic", "logit"):
            raise sc.err("relocation.rule", "valid rules: deterministic, logit")
        if "logit_scale" in rl:
            _number(sc, "relocation.logit_scale", rl["logit_scale"], lo=1e-12)
        for k, v in rl.get("production_cost_factor", {}).items():
            _number(sc, f"relocation.production_cost_factor.{k}", v)
    ch = d.get("chain")
    if ch is not None:
        _unknown(sc, "chain", ch, CHAIN_KEYS)
        if not ch.get("seaports"):
            raise sc.err("chain.seaports", "list at least one entry seaport")
        _number(sc, "chain.precursor_kg_per_kg", ch.get("precursor_kg_per_kg", 1.0))
    if cg is not None and rl is not None:
        raise sc.err(
            "relocation",
            "relocation together with [congestion] is not supported; run them separately",
        )


# ----------------------------------------------------------------------------- resolution


class _Names:
    """Name lookups on a network: regions, places, ports."""

    def __init__(self, net: Network) -> None:
        self.net = net
        r = net.regions
        self.region_by_code = {str(c): i for i, c in enumerate(r.code)}
        self.region_by_name: dict[str, list[int]] = {}
        for i, nm in enumerate(r.name):
            self.region_by_name.setdefault(norm(nm), []).append(i)
        self.node_by_key = net.node_index()
        self.node_by_name: dict[str, list[int]] = {}
        for i, nm in enumerate(net.node_name):
            if nm:
                self.node_by_name.setdefault(norm(nm), []).append(i)
        border = np.flatnonzero(net.node_kind == NODE_KINDS.index("border"))
        self.border = border
        self.port_by: dict[str, list[int]] = {}
        code_cols = [k for k in ("cbp_port_code", "port_code") if k in net.node_attrs]
        name_cols = [k for k in ("us_port_name",) if k in net.node_attrs]
        for i in border.tolist():
            keys = {norm(net.node_name[i]), norm(str(net.node_name[i]).removesuffix(" crossing"))}
            for part in str(net.node_name[i]).split(" / "):
                keys.add(norm(part))
            for c in code_cols + name_cols:
                for part in str(net.node_attrs[c][i]).split(" / "):
                    if part:
                        keys.add(norm(part))
            for k in keys:
                if k and i not in self.port_by.setdefault(k, []):
                    self.port_by[k].append(i)

    def suggest(self, word: str, options: list[str]) -> str:
        close = difflib.get_close_matches(norm(word), options, n=3, cutoff=0.6)
        return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""

    def region(self, sc: Scenario, field: str, value: Any, level: str | None = None) -> int:
        v = str(value)
        rl = self.net.regions.level
        if v in self.region_by_code and (level is None or rl[self.region_by_code[v]] == level):
            return self.region_by_code[v]
        name, _, parent = v.partition(",")
        cands = [
            i for i in self.region_by_name.get(norm(name), []) if level is None or rl[i] == level
        ]
        if parent.strip() and cands:
            pr = self.net.regions.parent
            cands = [
                i
                for i in cands
                if pr[i] >= 0
                and (
                    norm(self.net.regions.name[pr[i]]) == norm(parent)
                    or str(self.net.regions.code[pr[i]]) == parent.strip()
                )
            ]
        if len(cands) > 1 and level is None:
            # a name shared by a state and a municipality (Sinaloa, Durango) means the state
            top = [i for i in cands if self.net.regions.parent[i] < 0]
            if len(top) == 1:
                cands = top
        if len(cands) == 1:
            return cands[0]
        if len(cands) > 1:
            opts = "; ".join(
                f"{self.net.regions.name[i]}, {self._parent_name(i)} ({self.net.regions.code[i]})"
                for i in cands[:6]
            )
            raise sc.err(field, f"'{v}' is ambiguous: {opts}; write 'Name, State' or the code")
        names = [
            k
            for k, rows in self.region_by_name.items()
            if level is None or any(rl[i] == level for i in rows)
        ]
        what = level or "region"
        raise sc.err(field, f"unknown {what} '{v}'{self.suggest(name, names)}")

    def _parent_name(self, i: int) -> str:
        p = self.net.regions.parent[i]
        return str(self.net.regions.name[p]) if p >= 0 else ""

    def node(self, sc: Scenario, field: str, value: Any) -> int:
        v = value if isinstance(value, str) else str(value)
        if v in self.node_by_key:
            return self.node_by_key[v]
        raise sc.err(
            field,
            f"unknown node id '{v}' (ids as in the input edge list, or as reten reports them)",
        )

    def place(self, sc: Scenario, field: str, value: Any) -> int:
        v = str(value)
        if v in self.node_by_key:
            return self.node_by_key[v]
        cands = self.node_by_name.get(norm(v), [])
        if len(cands) >= 1:
            place_kind = NODE_KINDS.index("place")
            cands = sorted(cands, key=lambda i: self.net.node_kind[i] != place_kind)
            return cands[0]
        raise sc.err(field, f"unknown place '{v}'{self.suggest(v, list(self.node_by_name))}")

    def port(self, sc: Scenario, field: str, value: Any) -> int:
        v = norm(str(value))
        cands = self.port_by.get(v, [])
        if len(cands) == 1:
            return cands[0]
        if len(cands) > 1:
            return sorted(cands)[0]
        raise sc.err(field, f"unknown port of entry '{value}'{self.suggest(v, list(self.port_by))}")

    def seaport(self, sc: Scenario, field: str, value: Any) -> int:
        v = norm(str(value))
        sea = np.flatnonzero(self.net.node_kind == NODE_KINDS.index("seaport")).tolist()
        for i in sea:
            nm = norm(self.net.node_name[i])
            if nm == v or nm.removesuffix(" port") == v or str(self.net.node_key[i]) == str(value):
                return i
        names = [norm(self.net.node_name[i]) for i in sea]
        raise sc.err(field, f"unknown seaport '{value}'{self.suggest(v, names)}")

    def snap(self, sc: Scenario, field: str, lon: float, lat: float, max_km: float) -> int:
        from reten.network.terminals import snap_points

        try:
            return int(
                snap_points(self.net, np.array([lon]), np.array([lat]), max_m=max_km * 1000).node[0]
            )
        except InputError:
            raise sc.err(
                field, f"({lon}, {lat}) is farther than {max_km:g} km from the network"
            ) from None

    def arc(self, sc: Scenario, field: str, value: Any) -> np.ndarray:
        if not (isinstance(value, list) and len(value) == 2):
            raise sc.err(field, "an arc is [from, to]: two node ids or place names")
        a = self.place(sc, field, value[0])
        b = self.place(sc, field, value[1])
        ids = self.net.arc_id(np.array([a, b]), np.array([b, a]))
        ids = ids[ids >= 0]
        if ids.size == 0:
            raise sc.err(field, f"no road joins '{value[0]}' and '{value[1]}'")
        return ids


def region_arcs_and_nodes(net: Network, rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Return (arc mask, node mask) of the given region rows (descendants included).

    An arc belongs to a region by its own region (midpoint) when known, else by its source
    node; a network without arc regions therefore uses node regions throughout.
    """
    arc_mask = np.zeros(net.n_arcs, bool)
    node_mask = np.zeros(net.n_nodes, bool)
    src_region = net.node_region[net.arc_source]
    arc_region = np.where(net.arc_region >= 0, net.arc_region, src_region)
    for r in rows:
        lvl = str(net.regions.level[r])
        node_mask |= net.regions.ancestor_at_level(net.node_region, lvl) == r
        arc_mask |= net.regions.ancestor_at_level(arc_region, lvl) == r
    return arc_mask, node_mask


def base_costs(net: Network, costs: dict[str, Any]) -> tuple[np.ndarray, str]:
    """Return (per-arc base cost, unit) from the ``[costs]`` table.

    ``generalized``: ``(time_h * value_of_time_per_h + km * per_km + toll * km * toll_per_km)
    * class_factor[class]``; ``length_km``: km; ``time_h``: hours.
    """
    mode = costs.get("mode", "generalized")
    km = net.length_m / 1000.0
    if mode == "length_km":
        return km.copy(), "km"
    if mode == "time_h":
        return net.time_h.copy(), "h"
    vot = float(costs.get("value_of_time_per_h", 20.0))
    per_km = float(costs.get("per_km", 0.5))
    toll = float(costs.get("toll_per_km", 0.1))
    c = net.time_h * vot + km * per_km + net.toll * km * toll
    factor = np.ones(len(ROAD_CLASSES))
    for k, v in costs.get("class_factor", {}).items():
        factor[ROAD_CLASSES.index(k)] = float(v)
    return c * factor[net.road_class], str(costs.get("unit", "USD"))


def resolve(sc: Scenario, net: Network, *, network_hash: str | None = None) -> Problem:
    """Return the Problem of scenario ``sc`` on ``net``: every name resolved to array indices."""
    names = _Names(net)
    d = sc.data
    # origins
    o_node: list[int] = []
    o_vol: list[float] = []
    o_label: list[str] = []
    for i, o in enumerate(d["origins"]):
        f = f"origins[{i}]"
        vol = float(o["volume_kg"])
        if "municipality" in o:
            r = names.region(sc, f"{f}.municipality", o["municipality"], "municipality")
            o_node.append(_region_node(sc, f"{f}.municipality", net, r))
            o_vol.append(vol)
            o_label.append(str(o.get("label", net.regions.name[r])))
        elif "state" in o:
            r = names.region(sc, f"{f}.state", o["state"], "state")
            munis = np.flatnonzero(net.regions.parent == r)
            nodes = [n for n in (_region_node(None, "", net, int(m)) for m in munis) if n >= 0]
            if not nodes:
                nodes = [_region_node(sc, f"{f}.state", net, r)]
                labels = [str(net.regions.name[r])]
            else:
                labels = [
                    str(net.regions.name[m])
                    for m in munis
                    if _region_node(None, "", net, int(m)) >= 0
                ]
            for n, lab in zip(nodes, labels, strict=True):
                o_node.append(n)
                o_vol.append(vol / len(nodes))
                o_label.append(f"{o.get('label', net.regions.name[r])}: {lab}")
        elif "node" in o:
            n = names.node(sc, f"{f}.node", o["node"])
            o_node.append(n)
            o_vol.append(vol)
            o_label.append(str(o.get("label", net.node_name[n] or net.node_key[n])))
        else:
            n = names.snap(
                sc, f, float(o["lon"]), float(o["lat"]), float(o.get("max_snap_km", 25.0))
            )
            o_node.append(n)
            o_vol.append(vol)
            o_label.append(str(o.get("label", f"{o['lon']},{o['lat']}")))
    # destinations
    dests = d.get("destinations")
    if dests:
        s_node = [
            names.port(sc, f"destinations[{i}].port", t["port"])
            if "port" in t
            else names.node(sc, f"destinations[{i}].node", t["node"])
            for i, t in enumerate(dests)
        ]
        s_cost = [float(t.get("crossing_cost", 0.0)) for t in dests]
    else:
        s_node = names.border.tolist()
        s_cost = [0.0] * len(s_node)
        if not s_node:
            raise sc.err(
                "destinations",
                "the network has no border nodes: build it with --ports FILE "
                "(reten network build ... --ports PORTS.csv -o DIR) or list [[destinations]]",
            )
    s_label = [str(net.node_name[n] or net.node_key[n]) for n in s_node]
    sink_node = np.array(s_node, dtype=np.int64)
    sink_cost = np.array(s_cost)
    sink_logsurv = np.zeros(sink_node.size)
    # the precursor leg: entry seaports
    ch = d.get("chain")
    src_nodes = (
        [names.seaport(sc, f"chain.seaports[{i}]", v) for i, v in enumerate(ch["seaports"])]
        if ch
        else []
    )
    source_node = np.array(src_nodes, dtype=np.int64)
    source_cost = np.zeros(source_node.size)
    source_logsurv = np.zeros(source_node.size)
    ends = _Ends(sink_node, sink_cost, sink_logsurv, source_node, source_cost, source_logsurv)
    # costs
    cost, unit = base_costs(net, d.get("costs", {}))
    logsurv = np.zeros(net.n_arcs)
    for i, e in enumerate(d.get("enforcement", [])):
        _apply(sc, f"enforcement[{i}]", e, net, names, cost, logsurv, ends)
    prov = {
        "scenario": sc.path,
        "scenario_name": sc.name,
        "scenario_sha256": sc.text_hash,
        "network_hash": network_hash or net.content_hash(),
        "reten_version": __version__,
        "seed": int(d.get("seed", 0)),
        "risk_weight": float(d.get("risk_weight", 0.0)),
        "costs": d.get("costs", {}),
    }
    return Problem(
        arc_cost=cost,
        arc_logsurv=logsurv,
        sink_node=sink_node,
        sink_cost=sink_cost,
        sink_logsurv=sink_logsurv,
        origin_node=np.array(o_node, dtype=np.int64),
        origin_volume_kg=np.array(o_vol),
        risk_weight=float(d.get("risk_weight", 0.0)),
        origin_label=np.array(o_label, dtype=object),
        sink_label=np.array(s_label, dtype=object),
        source_node=source_node,
        source_cost=source_cost,
        source_logsurv=source_logsurv,
        source_label=np.array([net.node_name[n] for n in src_nodes], dtype=object),
        precursor_ratio=float(ch.get("precursor_kg_per_kg", 1.0)) if ch else 0.0,
        sink_capacity=_sink_capacity(d, sink_node.size),
        cost_unit=unit,
        dose_mg=float(d.get("dose_mg", 2.0)),
        provenance=prov,
    )


def _sink_capacity(d: dict[str, Any], k: int) -> np.ndarray:
    """Crossing capacities (kg/month) from destinations or [congestion]; inf if none."""
    default = float((d.get("congestion") or {}).get("crossing_capacity_kg", np.inf))
    dests = d.get("destinations") or []
    if dests:
        return np.array([float(t.get("capacity_kg", default)) for t in dests])
    return np.full(k, default)


def _region_node(sc: Scenario | None, field: str, net: Network, r: int) -> int:
    """The node standing for region ``r`` (see :func:`region_nodes`).

    A region without nodes: -1 when ``sc`` is None, else the place nearest its point (an
    error naming ``field`` when it has no point).
    """
    _, in_r = region_arcs_and_nodes(net, [r])
    if in_r.any():
        return int(region_nodes(net, np.array([r]))[0])
    lon, lat = net.regions.lon[r], net.regions.lat[r]
    if sc is None:
        return -1
    if not np.isfinite(lon):
        raise sc.err(field, f"region {net.regions.name[r]} has no network node")
    place = NODE_KINDS.index("place")
    d2 = (net.node_lon - lon) ** 2 + (net.node_lat - lat) ** 2
    return int(np.lexsort((np.arange(net.n_nodes), d2, net.node_kind != place))[0])


@dataclasses.dataclass
class _Ends:
    """Crossings (sinks) and entry seaports (sources) with their mutable costs."""

    sink_node: np.ndarray
    sink_cost: np.ndarray
    sink_logsurv: np.ndarray
    source_node: np.ndarray
    source_cost: np.ndarray
    source_logsurv: np.ndarray


def _sites(
    sc: Scenario, f: str, e: dict[str, Any], net: Network, names: _Names, ends: _Ends
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (arc mask, sink mask, source mask) a measure applies to."""
    sink_node = ends.sink_node
    arcs = np.zeros(net.n_arcs, bool)
    nodes = np.zeros(net.n_nodes, bool)
    sinks = np.zeros(sink_node.size, bool)
    sources = np.zeros(ends.source_node.size, bool)
    if "regions" in e:
        regs = e["regions"] if isinstance(e["regions"], list) else [e["regions"]]
        rows = [names.region(sc, f"{f}.regions", r) for r in regs]
        a, _ = region_arcs_and_nodes(net, rows)
        arcs |= a
    for key in ("port", "ports"):
        if key in e:
            vals = e[key] if isinstance(e[key], list) else [e[key]]
            for v in vals:
                n = names.port(sc, f"{f}.{key}", v)
                hit = sink_node == n
                if not hit.any():
                    raise sc.err(f"{f}.{key}", f"port '{v}' is not among the destinations")
                sinks |= hit
    if e.get("crossings") is True:
        sinks[:] = True
    if "place" in e:
        nodes[names.place(sc, f"{f}.place", e["place"])] = True
    if "node" in e:
        nodes[names.node(sc, f"{f}.node", e["node"])] = True
    if "lon" in e:
        nodes[
            names.snap(sc, f, float(e["lon"]), float(e["lat"]), float(e.get("max_snap_km", 25.0)))
        ] = True
    if "arc" in e:
        arcs[names.arc(sc, f"{f}.arc", e["arc"])] = True
    # a node measure applies to the crossing or entry seaport it is, else to the arcs
    # entering the node
    for n in np.flatnonzero(nodes).tolist():
        if (sink_node == n).any() or (ends.source_node == n).any():
            sinks |= sink_node == n
            sources |= ends.source_node == n
        else:
            arcs[net.rev_arc[net.rev_indptr[n] : net.rev_indptr[n + 1]]] = True
    if not (arcs.any() or sinks.any() or sources.any()):
        raise sc.err(f, "the measure applies to no road, crossing or seaport")
    return arcs, sinks, sources


def _apply(
    sc: Scenario,
    f: str,
    e: dict[str, Any],
    net: Network,
    names: _Names,
    cost: np.ndarray,
    logsurv: np.ndarray,
    ends: _Ends,
) -> None:
    kind = e["type"]
    arcs, sinks, sources = _sites(sc, f, e, net, names, ends)
    ec = [
        (ends.sink_cost, ends.sink_logsurv, sinks),
        (ends.source_cost, ends.source_logsurv, sources),
    ]
    if kind == "crackdown":
        mult = float(e.get("cost_multiplier", 1.0))
        w = -math.log1p(-float(e.get("p_detect", 0.0)))
        cost[arcs] *= mult
        logsurv[arcs] += w
        for c, ls, m in ec:
            c[m] *= mult
            ls[m] += w
    elif kind == "checkpoint":
        w = -math.log1p(-float(e.get("p_detect", 0.0)))
        add = float(e.get("added_cost", 0.0))
        cost[arcs] += add
        logsurv[arcs] += w
        for c, ls, m in ec:
            c[m] += add
            ls[m] += w
    elif kind == "closure":
        cost[arcs] = np.inf
        for c, _, m in ec:
            c[m] = np.inf
    else:  # deployment: units spread evenly over the sites; detection 1 - (1 - p1)^u
        n_sites = int(arcs.sum() + sinks.sum() + sources.sum())
        u = float(e["units"]) / n_sites
        w = -u * math.log1p(-float(e["p1"]))
        added = u * float(e.get("cost_per_unit", 0.0))
        logsurv[arcs] += w
        cost[arcs] += added
        for c, ls, m in ec:
            ls[m] += w
            c[m] += added


def region_nodes(net: Network, rows: np.ndarray) -> np.ndarray:
    """Return the node standing for each region row (-1 if none), vectorised.

    Among the nodes inside a region (descendants included): places first, then nearest to
    the region's representative point, then lowest id. A region without nodes maps to the
    node nearest its point, when it has one.
    """
    rows = np.asarray(rows, dtype=np.int64)
    out = np.full(rows.size, -1, dtype=np.int64)
    if rows.size == 0 or net.n_nodes == 0:
        return out
    regs = net.regions
    place = NODE_KINDS.index("place")
    for level in sorted(set(regs.level[rows].tolist())):
        sel = np.flatnonzero(regs.level[rows] == level)
        anc = regs.ancestor_table(level)[net.node_region]
        inside = np.flatnonzero(anc >= 0)
        r = anc[inside]
        px, py = regs.lon[r], regs.lat[r]
        d2 = np.where(
            np.isfinite(px), (net.node_lon[inside] - px) ** 2 + (net.node_lat[inside] - py) ** 2, 0
        )
        order = np.lexsort((inside, d2, net.node_kind[inside] != place, r))
        first = order[np.r_[True, r[order][1:] != r[order][:-1]]]
        best = np.full(len(regs), -1, dtype=np.int64)
        best[r[first]] = inside[first]
        out[sel] = best[rows[sel]]
    missing = np.flatnonzero((out < 0) & np.isfinite(regs.lon[rows]))
    if missing.size:
        from scipy.spatial import cKDTree

        tree = cKDTree(np.column_stack([net.node_lon, net.node_lat]))
        _, k = tree.query(np.column_stack([regs.lon[rows[missing]], regs.lat[rows[missing]]]))
        out[missing] = np.asarray(k, dtype=np.int64)
    return out


def resolve_congestion(sc: Scenario, net: Network, problem: Problem) -> Any:
    """Return the Congestion of ``[congestion]`` (None without one)."""
    cg = sc.data.get("congestion")
    if cg is None:
        return None
    from reten.models.equilibrium import Congestion

    k = problem.sink_node.size
    default = float(cg.get("crossing_capacity_kg", np.inf))
    dests = sc.data.get("destinations") or []
    if dests:
        sink_cap = np.array([float(t.get("capacity_kg", default)) for t in dests])
    else:
        sink_cap = np.full(k, default)
    arc_cap = np.full(net.n_arcs, np.inf)
    attr = cg.get("arc_capacity_attr")
    if attr is not None:
        if attr not in net.arc_attrs:
            have = ", ".join(net.arc_attrs) or "(none)"
            raise sc.err(
                "congestion.arc_capacity_attr",
                f"the network has no arc attribute '{attr}'; attributes: {have}",
            )
        vals = np.asarray(net.arc_attrs[attr], float)
        arc_cap = np.where(vals > 0, vals, np.inf)
    return Congestion(
        arc_cap, sink_cap, alpha=float(cg.get("alpha", 1.0)), delta=float(cg.get("delta", 1.0))
    )


def congestion_options(sc: Scenario) -> dict[str, Any]:
    """Return the solver options of ``[congestion]``."""
    cg = sc.data.get("congestion") or {}
    return {
        "method": str(cg.get("method", "auto")),
        "target_gap": float(cg.get("target_gap", 1e-5)),
        "max_iterations": int(cg.get("max_iterations", 10_000)),
        "time_limit_s": float(cg.get("time_limit_s", 600.0)),
    }


def resolve_relocation(sc: Scenario, net: Network, problem: Problem) -> Any:
    """Return the RelocationSpec of ``[relocation]`` (None without one)."""
    rl = sc.data.get("relocation")
    if rl is None:
        return None
    from reten.models.relocation import RelocationSpec

    names = _Names(net)
    regs = net.regions
    munis = regs.rows_at_level("municipality")
    if not munis.size:
        munis = np.flatnonzero(regs.parent < 0)
    if "candidates" in rl:
        cand = rl["candidates"]
        if cand == "all":
            rows = munis
        else:
            cand = cand if isinstance(cand, list) else [cand]
            picked = [names.region(sc, "relocation.candidates", c) for c in cand]
            rows = np.array(
                [m for m in munis.tolist() if any(_within(regs, m, r) for r in picked)],
                dtype=np.int64,
            )
        nodes = region_nodes(net, rows)
        nodes = np.unique(nodes[nodes >= 0])
        lab_cands = [nodes] * problem.origin_node.size
    else:
        from reten.network.geo import geodesic_m

        nodes = region_nodes(net, munis)
        nodes = np.unique(nodes[nodes >= 0])
        km = float(rl["within_km"])
        lab_cands = []
        for o in problem.origin_node.tolist():
            d = geodesic_m(
                np.full(nodes.size, net.node_lon[o]),
                np.full(nodes.size, net.node_lat[o]),
                net.node_lon[nodes],
                net.node_lat[nodes],
            )
            lab_cands.append(nodes[d <= km * 1000])
    factor = np.ones(net.n_nodes)
    # least specific first, so that municipality factors override state factors
    resolved = [
        (names.region(sc, f"relocation.production_cost_factor.{k}", k), float(v))
        for k, v in rl.get("production_cost_factor", {}).items()
    ]
    resolved.sort(key=lambda rv: bool(regs.parent[rv[0]] >= 0))
    for r, v in resolved:
        _, in_r = region_arcs_and_nodes(net, [r])
        factor[in_r] = v
    return RelocationSpec(
        lab_candidates=lab_cands,
        relocation_cost=float(rl.get("relocation_cost", 0.0)),
        node_production_cost=float(rl.get("production_cost", 0.0)) * factor,
        rule=str(rl.get("rule", "deterministic")),
        logit_scale=float(rl.get("logit_scale", 1.0)),
        loss_value=float(rl.get("loss_value", 0.0)),
    )


def _within(regs: Any, row: int, ancestor: int) -> bool:
    r = row
    while r >= 0:
        if r == ancestor:
            return True
        r = int(regs.parent[r])
    return False
