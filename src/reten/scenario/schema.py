"""One declaration of every scenario key: type, default, range and meaning.

The table :data:`SECTIONS` is the only place where a scenario key, its default and its valid
range are written. :func:`check` validates a parsed scenario against it and returns a copy
with the defaults filled in; :func:`reference_markdown` writes the reference part of
``docs/scenarios.md`` from it (``tests/test_scenario_docs.py`` keeps the two in step), in
the manner of scikit-learn's ``_parameter_constraints``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from reten.errors import InputError
from reten.models.equilibrium import METHODS as EQUILIBRIUM_METHODS
from reten.models.relocation import RULES as RELOCATION_RULES
from reten.network.model import ROAD_CLASSES
from reten.suggest import close_matches

REQUIRED: Any = object()
"""Sentinel default of a key that must be given."""

COST_MODES = ("generalized", "length_km", "time_h")


@dataclass(frozen=True)
class Key:
    """One scenario key.

    Parameters
    ----------
    name : str
        The key as written in TOML.
    kind : str
        One of ``number``, ``integer``, ``string``, ``bool``, ``choice``, ``name``
        (a string or an integer code), ``names`` (one name or a list), ``node`` (a node id:
        string or integer), ``arc`` (two node ids or place names), ``names_or_all``,
        ``string_list``, ``number_map`` (a table of name = number), ``table`` and
        ``array`` (sub-sections).
    default : Any
        The value used when the key is absent; :data:`REQUIRED` when it must be given,
        ``None`` when absence means "not used".
    lo, hi : float
        Valid range of a number; ``lo_open``/``hi_open`` exclude the bound.
    choices : tuple of str
        Valid values of a ``choice``.
    doc : str
        One sentence for the reference documentation, with the unit.
    """

    name: str
    kind: str
    default: Any = None
    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""

    def range_text(self) -> str:
        """Return the valid range or choices in words (empty when unconstrained)."""
        if self.kind == "choice":
            return ", ".join(self.choices)
        if self.kind not in ("number", "integer", "number_map"):
            return ""
        lo = "(" if self.lo_open else "["
        hi = ")" if self.hi_open or not math.isfinite(self.hi) else "]"
        # a whole-number bound in full (2**53 - 1 as 9007199254740991, never 9.0072e+15)
        fmt = "{:.0f}" if self.kind == "integer" else "{:g}"
        a = fmt.format(self.lo) if math.isfinite(self.lo) else "-inf"
        b = fmt.format(self.hi) if math.isfinite(self.hi) else "inf"
        if not math.isfinite(self.lo) and not math.isfinite(self.hi):
            return "finite"
        return f"{lo}{a}, {b}{hi}"


@dataclass(frozen=True)
class Section:
    """A table (``[costs]``), an array of tables (``[[origins]]``) or the top level."""

    path: str
    keys: tuple[Key, ...]
    doc: str = ""
    array: bool = False

    def key(self, name: str) -> Key:
        """Return the key called ``name``."""
        for k in self.keys:
            if k.name == name:
                return k
        raise KeyError(name)


def _n(name: str, default: Any, lo: float = 0.0, hi: float = math.inf, **kw: Any) -> Key:
    return Key(name, "number", default, lo, hi, **kw)


# Upper limits of the magnitudes, far beyond any real case and far inside float64: a route's
# cost per kg is at most MAX_COST x MAX_FACTOR per arc-km or arc-hour (and MAX_COST x -ln(1-p)
# per checkpoint), a network has at most ~1e7 km of road, so volume x cost x path length
# stays below ~1e50 and its square below ~1e100 (float64 ends at 1.8e308). Values above them
# (1e300 kg) are refused with the field, the file and the range, instead of overflowing in
# the models (numpy warnings, inf totals).
MAX_KG = 1e15
"""Largest volume or capacity, kg per month (a trillion tonnes)."""
MIN_CAPACITY_KG = 1e-6
"""Smallest capacity, kg per month (a milligram): volume / capacity stays finite."""
MAX_COST = 1e12
"""Largest cost in cost units: per km, per hour, per kg, per unit, risk weight."""
MAX_FACTOR = 1e6
"""Largest multiplier (class factor, cost multiplier, precursor kg per kg, units)."""
MAX_KM = 2e4
"""Largest distance, km (half the Earth's circumference)."""
MAX_SECONDS = 1e9
"""Largest time limit, seconds (about 30 years)."""


def _cost(name: str, default: Any, **kw: Any) -> Key:
    return _n(name, default, 0.0, MAX_COST, **kw)


def _kg(name: str, default: Any, **kw: Any) -> Key:
    return _n(name, default, 0.0, MAX_KG, **kw)


def _capacity(name: str, doc: str) -> Key:
    return _n(name, None, MIN_CAPACITY_KG, MAX_KG, doc=doc)


_P = {"lo": 0.0, "hi": 1.0, "hi_open": True}
_LABEL = Key("label", "string", None, doc="shown in tables and maps")
_TYPE = Key(
    "type",
    "choice",
    REQUIRED,
    choices=("crackdown", "checkpoint", "closure", "deployment"),
    doc="the kind of measure",
)
_REGIONS = Key("regions", "names", None, doc="states or municipalities: names or codes")

SECTIONS: tuple[Section, ...] = (
    Section(
        "",
        (
            Key("name", "string", None, doc="shown in reports (default: the file name)"),
            Key("description", "string", None, doc="free text"),
            Key("seed", "integer", 0, 0, 2**53 - 1, doc="seed of every random draw; recorded"),
            _cost("risk_weight", 0.0, doc="cost units per unit of log-survival −ln(1 − p)"),
            _n("dose_mg", 2.0, 1e-6, 1e6, doc="potentially lethal dose, mg (DEA: 2 mg)"),
            _n(
                "purity",
                1.0,
                0.0,
                1.0,
                lo_open=True,
                doc="fentanyl share of the seized product by weight, for the dose figure "
                "(1: pure, an upper bound)",
            ),
            Key(
                "volume_source",
                "string",
                None,
                doc="where the origin volumes come from (reports call them illustrative "
                "when absent)",
            ),
            Key("network", "table", None, doc="the road network"),
            Key("origins", "array", REQUIRED, doc="production zones (at least one)"),
            Key("destinations", "array", None, doc="ports of entry (default: every one)"),
            Key("costs", "table", None, doc="the generalized arc cost"),
            Key("enforcement", "array", None, doc="measures"),
            Key("congestion", "table", None, doc="Dell's congestion equilibrium"),
            Key("relocation", "table", None, doc="mobile labs"),
            Key("chain", "table", None, doc="the precursor leg"),
        ),
        "Top level",
    ),
    Section(
        "network",
        (
            Key("default", "bool", True, doc="the embedded Mexico skeleton"),
            Key("path", "string", None, doc="a saved network directory (relative to the file)"),
        ),
        "The network: `default = true` or `path`",
    ),
    Section(
        "origins",
        (
            Key("municipality", "name", None, doc="name, 'Name, State' or CVEGEO code"),
            Key("state", "name", None, doc="name or CVE_ENT code; volume split over its places"),
            Key("node", "node", None, doc="a node id as in the input"),
            _n("lon", None, -180.0, 180.0, doc="longitude, degrees (with lat)"),
            _n("lat", None, -90.0, 90.0, doc="latitude, degrees (with lon)"),
            _kg("volume_kg", REQUIRED, doc="production, kg per month"),
            _LABEL,
            _n("max_snap_km", 25.0, 0.0, MAX_KM, lo_open=True, doc="lon/lat snapping limit, km"),
        ),
        "Production zones: one of municipality, state, node or lon/lat",
        array=True,
    ),
    Section(
        "destinations",
        (
            Key("port", "name", None, doc="US port name, Mexican city, node name or CBP code"),
            Key("node", "node", None, doc="a node id as in the input"),
            _cost("crossing_cost", 0.0, doc="fixed cost of crossing here, cost units"),
            _capacity(
                "capacity_kg", "capacity, kg per month (default: congestion.crossing_capacity_kg)"
            ),
            _LABEL,
        ),
        "Ports of entry: one of port or node",
        array=True,
    ),
    Section(
        "costs",
        (
            Key("mode", "choice", "generalized", choices=COST_MODES, doc="how arcs cost"),
            _cost("value_of_time_per_h", 20.0, doc="cost units per hour of free-flow time"),
            _cost("per_km", 0.5, doc="cost units per km"),
            _cost("toll_per_km", 0.1, doc="extra cost units per km on toll roads"),
            Key("unit", "string", "USD", doc="name of the cost unit"),
            Key(
                "class_factor",
                "number_map",
                None,
                lo=0.0,
                hi=MAX_FACTOR,
                lo_open=True,
                choices=ROAD_CLASSES,
                doc="multiplier of each road class's cost",
            ),
        ),
        "The generalized arc cost",
    ),
    Section(
        "enforcement.crackdown",
        (
            _TYPE,
            _LABEL,
            Key("regions", "names", REQUIRED, doc="states or municipalities: names or codes"),
            _n(
                "cost_multiplier",
                1.0,
                0.0,
                MAX_FACTOR,
                lo_open=True,
                doc="multiplies each arc's cost",
            ),
            _n("p_detect", 0.0, **_P, doc="detection probability added on each arc"),
        ),
        "Crackdown: raise cost and detection in regions",
        array=True,
    ),
    Section(
        "enforcement.checkpoint",
        (
            _TYPE,
            _LABEL,
            Key("place", "name", None, doc="a place or node name"),
            Key("node", "node", None, doc="a node id"),
            _n("lon", None, -180.0, 180.0, doc="longitude, degrees (with lat)"),
            _n("lat", None, -90.0, 90.0, doc="latitude, degrees (with lon)"),
            Key("arc", "arc", None, doc="[from, to]: the road between two nodes"),
            Key("port", "names", None, doc="a destination port"),
            _cost("added_cost", 0.0, doc="cost units added"),
            _n("p_detect", 0.0, **_P, doc="detection probability"),
            _n("max_snap_km", 25.0, 0.0, MAX_KM, lo_open=True, doc="lon/lat snapping limit, km"),
        ),
        "Checkpoint: one place, node, arc or port",
        array=True,
    ),
    Section(
        "enforcement.closure",
        (
            _TYPE,
            _LABEL,
            Key("port", "names", None, doc="destination ports to close"),
            Key("node", "node", None, doc="a node id"),
            Key("arc", "arc", None, doc="[from, to]: the road between two nodes"),
            _REGIONS,
        ),
        "Closure: make a port, node, arc or region impassable",
        array=True,
    ),
    Section(
        "enforcement.deployment",
        (
            _TYPE,
            _LABEL,
            _n(
                "units",
                REQUIRED,
                0.0,
                MAX_FACTOR,
                doc="units deployed, spread evenly over the sites",
            ),
            _REGIONS,
            Key("ports", "names", None, doc="destination ports"),
            Key("crossings", "bool", None, doc="true: every destination"),
            _n("p1", REQUIRED, **_P, doc="detection probability of one unit"),
            _cost("cost_per_unit", 0.0, doc="cost units each unit adds"),
        ),
        "Deployment: units over regions, ports or every crossing",
        array=True,
    ),
    Section(
        "congestion",
        (
            _cost("alpha", 1.0, doc="cost units added at volume = capacity"),
            _n("delta", 1.0, 1.0, 1000.0, doc="exponent of the cost curve"),
            _capacity("crossing_capacity_kg", "capacity of every destination, kg per month"),
            Key("arc_capacity_attr", "string", None, doc="arc attribute of road capacities"),
            Key("method", "choice", "auto", choices=EQUILIBRIUM_METHODS, doc="solver"),
            _n("target_gap", 1e-5, 0.0, 1.0, lo_open=True, doc="relative gap to stop at"),
            Key("max_iterations", "integer", 10_000, 1.0, 1e9, doc="iterations at most"),
            _n("time_limit_s", 600.0, 0.0, MAX_SECONDS, lo_open=True, doc="seconds at most"),
        ),
        "Congestion: crossings (and roads) that clog; a Wardrop equilibrium",
    ),
    Section(
        "relocation",
        (
            Key("candidates", "names_or_all", None, doc='regions whose places are sites, or "all"'),
            _n("within_km", None, 0.0, MAX_KM, doc="instead: every place within this distance, km"),
            _cost("relocation_cost", 0.0, doc="cost units per kg when a lab moves"),
            _cost("production_cost", 0.0, doc="cost units per kg at factor 1"),
            Key(
                "production_cost_factor",
                "number_map",
                None,
                lo=0.0,
                hi=MAX_FACTOR,
                doc="by state or municipality",
            ),
            Key("rule", "choice", "deterministic", choices=RELOCATION_RULES, doc="site choice"),
            _n("logit_scale", 1.0, 1e-6, MAX_COST, doc="cost units; spread of the logit choice"),
            _cost("loss_value", 0.0, doc="value per kg lost to seizure"),
        ),
        "Relocation: labs choose their site (one of candidates or within_km)",
    ),
    Section(
        "chain",
        (
            Key("seaports", "string_list", REQUIRED, doc="entry seaports of the precursor"),
            _n(
                "precursor_kg_per_kg", 1.0, 0.0, MAX_FACTOR, doc="kg of precursor per kg of product"
            ),
        ),
        "The precursor leg: seaports to labs",
    ),
)

BY_PATH = {s.path: s for s in SECTIONS}
ENFORCEMENT_TYPES = _TYPE.choices


def default(section: str, key: str) -> Any:
    """Return the declared default of ``key`` in ``section`` (``""``: the top level).

    Examples
    --------
    >>> default("congestion", "target_gap")
    1e-05
    """
    return BY_PATH[section].key(key).default


# ----------------------------------------------------------------------------- checking

Err = Callable[[str, str], InputError]


def _show(v: Any) -> str:
    """A short description of a value (never recursive: nested lists may be deep)."""
    if isinstance(v, dict):
        return f"a table of {len(v)} key(s)"
    if isinstance(v, list):
        return f"a list of {len(v)} item(s)"
    if isinstance(v, bool):
        return "true" if v else "false"
    mod = type(v).__module__.split(".")[0]
    if mod in ("pandas", "numpy", "geopandas") and hasattr(v, "shape") and v.shape != ():
        # a DataFrame, Series or array: its repr runs over several lines
        rows = "; give df.to_dict('records')" if type(v).__name__ == "DataFrame" else ""
        return f"a {mod} {type(v).__name__} of shape {tuple(v.shape)}{rows}"
    s = " ".join(repr(v).split())  # one line, whatever the value
    return s if len(s) <= 60 else s[:57] + "..."


def _kind_word(k: Key) -> str:
    return {
        "number": "a number",
        "integer": "a whole number",
        "string": "a string",
        "bool": "true or false",
        "choice": f"one of {', '.join(k.choices)}",
        "name": "a name (string) or a code",
        "names": "a name or a list of names",
        "node": "a node id (string or integer)",
        "arc": "[from, to]: two node ids or place names",
        "names_or_all": '"all", a name or a list of names',
        "string_list": "a non-empty list of strings",
        "number_map": "a table of name = number",
        "table": "a table",
        "array": "a list of tables ([[...]])",
    }[k.kind]


def _is_name(v: Any) -> bool:
    return isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool))


def _number(k: Key, field: str, v: Any, err: Err) -> float:
    if isinstance(v, bool | np.bool_) or not isinstance(v, int | float | np.integer | np.floating):
        raise err(field, f"expected {_kind_word(k)}, got {_show(v)}")
    what = "a whole number" if k.kind == "integer" else "a number"
    try:
        x = float(v)
    except OverflowError:
        raise err(field, f"{_show(v)} is too large; expected {what} in {k.range_text()}") from None
    bad = (
        not math.isfinite(x)
        or x < k.lo
        or x > k.hi
        or (k.lo_open and x == k.lo)
        or (k.hi_open and x == k.hi)
    )
    if bad or (k.kind == "integer" and int(x) != x):
        raise err(field, f"{_show(v)} is not valid; expected {what} in {k.range_text()}")
    if k.kind == "integer":
        return int(v) if isinstance(v, int | np.integer) else int(x)
    return x


def check_value(k: Key, field: str, v: Any, err: Err) -> Any:
    """Return ``v`` checked against key ``k`` (numbers as float, integers as int).

    Raises
    ------
    InputError
        Through ``err(field, message)`` when the value has the wrong type or range.
    """
    kind = k.kind
    if kind in ("number", "integer"):
        return _number(k, field, v, err)
    ok = {
        "string": lambda: isinstance(v, str),
        "bool": lambda: isinstance(v, bool),
        "choice": lambda: isinstance(v, str),
        "name": lambda: _is_name(v),
        "node": lambda: _is_name(v),
        "names": lambda: _is_name(v) or (isinstance(v, list) and all(map(_is_name, v))),
        "names_or_all": lambda: _is_name(v) or (isinstance(v, list) and all(map(_is_name, v))),
        "arc": lambda: isinstance(v, list) and len(v) == 2 and all(map(_is_name, v)),
        "string_list": lambda: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "number_map": lambda: isinstance(v, dict),
        "table": lambda: isinstance(v, dict),
        "array": lambda: isinstance(v, list) and all(isinstance(x, dict) for x in v),
    }[kind]()
    if not ok:
        if kind == "table" and isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            raise err(
                field,
                f"{field} is one table, written [{field}], not [[{field}]] (a list of tables)",
            )
        if kind == "array" and isinstance(v, dict):
            raise err(
                field,
                f"{field} is a list of tables, written [[{field}]] (one per item), not [{field}]",
            )
        if isinstance(v, list) and kind not in ("arc",):
            item = {"array": dict, "string_list": str}.get(kind)
            for i, x in enumerate(v):
                good = isinstance(x, item) if item else _is_name(x)
                if not good:
                    raise err(f"{field}[{i}]", f"expected {_kind_word(k)}; this item is {_show(x)}")
        raise err(field, f"expected {_kind_word(k)}, got {_show(v)}")
    if kind == "choice" and v not in k.choices:
        close = close_matches(v, k.choices, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise err(field, f"'{v}' unknown{hint}; valid: {', '.join(k.choices)}")
    if kind in ("names", "names_or_all", "string_list") and isinstance(v, list) and not v:
        raise err(field, f"expected {_kind_word(k)}, got an empty list")
    if kind == "number_map":
        out = {}
        for name, x in v.items():
            if k.choices and name not in k.choices:
                raise err(f"{field}.{name}", f"unknown name; valid: {', '.join(k.choices)}")
            each = Key(name, "number", None, k.lo, k.hi, k.lo_open)
            out[name] = _number(each, f"{field}.{name}", x, err)
        return out
    return v


def _unknown(where: str, got: dict[str, Any], allowed: list[str], err: Err) -> None:
    for key in got:
        if key not in allowed:
            close = close_matches(str(key), allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            field = f"{where}.{key}" if where else str(key)
            raise err(field, f"unknown key{hint}; valid keys: {', '.join(sorted(allowed))}")


def check_table(section: Section, where: str, got: dict[str, Any], err: Err) -> dict[str, Any]:
    """Return the keys of one table checked against ``section``, defaults filled in.

    Sub-tables and arrays (``table``/``array`` keys) are returned unchanged; keys whose
    default is ``None`` stay absent when not given.
    """
    _unknown(where, got, [k.name for k in section.keys], err)
    out: dict[str, Any] = {}
    for k in section.keys:
        field = f"{where}.{k.name}" if where else k.name
        if k.name in got:
            out[k.name] = check_value(k, field, got[k.name], err)
        elif k.default is REQUIRED:
            what = f"{k.name} ({k.doc})" if k.doc else k.name
            raise err(where or k.name, f"missing {what}")
        elif k.default is not None:
            out[k.name] = k.default
    return out


def check(data: dict[str, Any], err: Err) -> dict[str, Any]:
    """Return the scenario ``data`` checked against :data:`SECTIONS`, defaults filled in.

    Parameters
    ----------
    data : dict
        A parsed scenario (from TOML or a plain dict).
    err : callable
        ``err(field, message)`` returns the InputError to raise (it adds file and line).

    Returns
    -------
    dict
        The same structure with every number as ``float`` (integers as ``int``) and every
        declared default present; optional keys without a default stay absent.

    Raises
    ------
    InputError
        On the first unknown key, wrong type, value out of range, missing required key or
        broken rule between keys (exactly one of ..., both of ...).

    Examples
    --------
    >>> def err(field, msg):
    ...     return InputError(f"s.toml:1: {field}: {msg}")
    >>> spec = check({"origins": [{"node": "a", "volume_kg": 5}]}, err)
    >>> spec["costs"]["mode"], spec["origins"][0]["volume_kg"]
    ('generalized', 5.0)
    >>> check({"origins": [{"node": "a", "volume_kg": 5}], "congestion": 3}, err)
    Traceback (most recent call last):
    ...
    reten.errors.InputError: s.toml:1: congestion: expected a table, got 3
    """
    if not isinstance(data, dict):
        raise err("", f"expected a table of scenario keys, got {_show(data)}")
    origins = data.get("origins")
    # a DataFrame or array (whose truth value is ambiguous) is refused by check_table
    if origins is None or (isinstance(origins, list | tuple | dict | str) and not origins):
        _unknown("", data, [k.name for k in BY_PATH[""].keys], err)
        raise err("origins", "no origins; add at least one [[origins]] with volume_kg")
    spec = check_table(BY_PATH[""], "", data, err)
    for sub in ("network", "costs", "congestion", "relocation", "chain"):
        if sub in data or sub in ("network", "costs"):
            got = data.get(sub, {"default": True} if sub == "network" else {})
            spec[sub] = check_table(BY_PATH[sub], sub, got, err)
            if sub == "network" and got.get("default") is True:
                spec[sub]["_given_default"] = True
        _rules(sub, spec, err)
    for arr in ("origins", "destinations"):
        rows = []
        for i, row in enumerate(spec.get(arr, [])):
            f = f"{arr}[{i}]"
            rows.append(check_table(BY_PATH[arr], f, row, err))
            _row_rules(arr, f, rows[-1], err)
        if arr in spec:
            spec[arr] = rows
    measures = []
    for i, e in enumerate(spec.get("enforcement", [])):
        f = f"enforcement[{i}]"
        if "type" not in e:
            raise err(f, f"missing type ({', '.join(ENFORCEMENT_TYPES)})")
        check_value(_TYPE, f"{f}.type", e["type"], err)
        measures.append(check_table(BY_PATH[f"enforcement.{e['type']}"], f, e, err))
        _row_rules(f"enforcement.{e['type']}", f, measures[-1], err)
    if "enforcement" in spec:
        spec["enforcement"] = measures
    if "congestion" in spec and "relocation" in spec:
        raise err(
            "relocation",
            "relocation together with [congestion] is not supported; run them separately",
        )
    return spec


def _rules(sub: str, spec: dict[str, Any], err: Err) -> None:
    t = spec.get(sub)
    if t is None:
        return
    if sub == "network":
        given = t.pop("_given_default", False)
        if "path" in t and given:
            raise err("network", "give default = true or path, not both")
        if "path" in t:
            t["default"] = False
        elif t["default"] is not True:
            raise err("network", 'give default = true or path = "DIR"')
    if sub == "relocation" and ("candidates" in t) == ("within_km" in t):
        raise err("relocation", 'give candidates = [regions] or "all", or within_km')
    if sub == "relocation" and isinstance(t.get("candidates"), str):
        t["candidates"] = t["candidates"] if t["candidates"] == "all" else [t["candidates"]]


def _one_of(
    f: str, row: dict[str, Any], keys: tuple[str, ...], err: Err, what: str, *, many: bool = False
) -> None:
    n = sum(k in row for k in keys)
    if n == 0 or (n > 1 and not many):
        raise err(f, f"give {'one or more' if many else 'exactly one'} of {what}")


def _row_rules(kind: str, f: str, row: dict[str, Any], err: Err) -> None:
    if ("lon" in row) != ("lat" in row):
        raise err(f, "give both lon and lat")
    if kind == "origins":
        what = "municipality, state, node or lon/lat"
        _one_of(f, row, ("municipality", "state", "node", "lon"), err, what)
    elif kind == "destinations":
        _one_of(f, row, ("port", "node"), err, "port (name or CBP code) or node")
    elif kind == "enforcement.crackdown":
        if "cost_multiplier" not in row and "p_detect" not in row:
            raise err(f, "a crackdown needs cost_multiplier and/or p_detect")
    elif kind == "enforcement.checkpoint":
        what = "place, node, lon/lat, arc or port"
        _one_of(f, row, ("place", "node", "lon", "arc", "port"), err, what, many=True)
    elif kind == "enforcement.closure":
        what = "port, node, arc or regions"
        _one_of(f, row, ("port", "node", "arc", "regions"), err, what, many=True)
    elif kind == "enforcement.deployment":
        if row.get("crossings") is False:
            raise err(f"{f}.crossings", "write crossings = true, or leave it out")
        what = "regions, ports or crossings = true"
        _one_of(f, row, ("regions", "ports", "crossings"), err, what)


# ----------------------------------------------------------------------------- documentation

BEGIN = "<!-- BEGIN reference generated from reten.scenario.schema: do not edit by hand -->"
END = "<!-- END reference -->"


def reference_markdown() -> str:
    """Return the reference tables of every section, as Markdown.

    Examples
    --------
    >>> "| `volume_kg` | number | required |" in reference_markdown()
    True
    """
    out = []
    for s in SECTIONS:
        if not s.path:
            head = "Top level"
        elif s.path.startswith("enforcement."):
            head = f'`[[enforcement]]` type = "{s.path.split(".")[1]}"'
        else:
            head = f"`[[{s.path}]]`" if s.array else f"`[{s.path}]`"
        doc = [s.doc + ".", ""] if s.path else []
        out += [f"### {head}", "", *doc, "| key | type | default | valid | meaning |"]
        out.append("|---|---|---|---|---|")
        for k in s.keys:
            if k.name == "type" and s.path.startswith("enforcement."):
                continue
            if k.default is REQUIRED:
                d = "required"
            elif k.default is None:
                d = ""
            elif isinstance(k.default, bool):
                d = "`true`" if k.default else "`false`"
            elif isinstance(k.default, str):
                d = f'`"{k.default}"`'
            else:
                d = f"`{k.default:g}`" if isinstance(k.default, float) else f"`{k.default}`"
            kind = {"names_or_all": "names", "number_map": "table", "string_list": "list"}.get(
                k.kind, k.kind
            )
            valid = k.range_text()
            if k.kind == "number_map" and k.choices:
                valid = f"keys: {', '.join(k.choices)}; values {valid}"
            out.append(f"| `{k.name}` | {kind} | {d} | {valid} | {k.doc} |")
        out.append("")
    return "\n".join(out)


def update_docs(text: str) -> str:
    """Return the Markdown ``text`` with its generated reference block rewritten.

    The block lies between :data:`BEGIN` and :data:`END`; ``tools/scenario_docs.py``
    writes it into ``docs/scenarios.md``.

    Examples
    --------
    >>> out = update_docs(f"intro\\n{BEGIN}\\nold\\n{END}\\n")
    >>> out.startswith("intro") and "| `volume_kg` |" in out and "old" not in out
    True
    """
    head, sep, rest = text.partition(BEGIN)
    if not sep or END not in rest:
        raise ValueError("no generated reference block (BEGIN/END markers) in the text")
    tail = rest.split(END, 1)[1]
    return f"{head}{BEGIN}\n\n{reference_markdown()}\n{END}{tail}"
