"""Names on a network: regions, places, ports and nodes, matched as a person writes them.

Names are compared in Unicode NFC after case folding and accent stripping (:func:`norm`);
node ids are compared as NFC strings, so ``"Culiacán"`` written with a combining accent
finds the same node as the precomposed form.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

import numpy as np

from reten.errors import InputError
from reten.network.model import NODE_KINDS, Network
from reten.suggest import close_matches

if TYPE_CHECKING:
    from reten.scenario.read import Scenario


def norm(s: Any) -> str:
    """Return ``s`` lower-cased, without accents and punctuation (for name matching).

    Examples
    --------
    >>> norm("Culiacán Rosales") == norm("CULIACAN-ROSALES") == "culiacan rosales"
    True
    """
    s = unicodedata.normalize("NFKD", str(s)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


def nfc(s: Any) -> str:
    """Return ``str(s)`` in Unicode normal form C (how ids are compared)."""
    return unicodedata.normalize("NFC", str(s))


class Names:
    """Name lookups on one network: regions, places, ports, seaports, node ids, points.

    Every lookup takes the scenario and the field path, so that a failure is one line
    ``FILE:LINE: field: unknown ...; did you mean ...``.

    Examples
    --------
    >>> from reten.data import default_network
    >>> from reten.scenario import Scenario
    >>> net = default_network()
    >>> names, sc = Names(net), Scenario.from_dict({"origins": [{"node": "a", "volume_kg": 1}]})
    >>> str(net.regions.code[names.region(sc, "f", "culiacan", "municipality")])
    '25006'
    >>> names.port(sc, "f", "Nogales") == names.port(sc, "f", "NOGALES CROSSING")
    True
    """

    def __init__(self, net: Network) -> None:
        self.net = net
        r = net.regions
        self.region_by_code = {nfc(c): i for i, c in enumerate(r.code)}
        self.region_by_name: dict[str, list[int]] = {}
        for i, nm in enumerate(r.name):
            self.region_by_name.setdefault(norm(nm), []).append(i)
        self.node_by_key = {nfc(k): i for k, i in net.node_index().items()}
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

    def suggest(
        self, word: str, options: list[str], shown: dict[str, list[str]] | None = None
    ) -> str:
        """Return "; did you mean ..." with up to three close names (empty if none).

        ``options`` are normalised keys (:func:`norm`); ``shown`` maps a key to the names as
        the data spells them (accents, capitals, "Name, State"), which the message quotes.
        """
        close = close_matches(norm(word), options, n=3, cutoff=0.6)
        out: list[str] = []
        for c in close:
            for s in (shown or {}).get(c, [c]):
                if s not in out:
                    out.append(s)
        return f"; did you mean {', '.join(repr(c) for c in out[:4])}?" if out else ""

    def _region_shown(self, level: str | None = None) -> dict[str, list[str]]:
        """Map each normalised region name to its spellings: states plain, others with state."""
        out: dict[str, list[str]] = {}
        rl = self.net.regions.level
        for k, rows in self.region_by_name.items():
            names = []
            rows = [i for i in rows if level is None or rl[i] == level]
            for i in sorted(rows, key=lambda i: (self.net.regions.parent[i] >= 0, i)):
                parent = self._parent_name(i)
                nm = str(self.net.regions.name[i])
                names.append(f"{nm}, {parent}" if parent else nm)
            out[k] = names
        return out

    def _node_shown(self, nodes: list[int] | None = None) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for i in range(self.net.n_nodes) if nodes is None else nodes:
            nm = self.net.node_name[i]
            if nm and str(nm) not in out.setdefault(norm(nm), []):
                out[norm(nm)].append(str(nm))
        return out

    def region(self, sc: Scenario, field: str, value: Any, level: str | None = None) -> int:
        """Return the region row named or coded ``value`` (at ``level`` when given).

        A name shared by several regions is an error naming them, unless written
        ``"Name, State"``; a plain name that is a state and a municipality means the state.
        """
        v = nfc(value)
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
        raise sc.err(
            field, f"unknown {what} '{v}'{self.suggest(name, names, self._region_shown(level))}"
        )

    def _parent_name(self, i: int) -> str:
        p = self.net.regions.parent[i]
        return str(self.net.regions.name[p]) if p >= 0 else ""

    def node(self, sc: Scenario, field: str, value: Any) -> int:
        """Return the node whose input id is ``value`` (compared in NFC)."""
        v = nfc(value)
        if v in self.node_by_key:
            return self.node_by_key[v]
        raise sc.err(
            field,
            f"unknown node id '{v}' (ids as in the input edge list, or as reten reports them)",
        )

    def place(self, sc: Scenario, field: str, value: Any) -> int:
        """Return the node with id or name ``value`` (places before other kinds)."""
        v = nfc(value)
        if v in self.node_by_key:
            return self.node_by_key[v]
        cands = self.node_by_name.get(norm(v), [])
        if len(cands) >= 1:
            place_kind = NODE_KINDS.index("place")
            cands = sorted(cands, key=lambda i: self.net.node_kind[i] != place_kind)
            return cands[0]
        hint = self.suggest(v, list(self.node_by_name), self._node_shown())
        raise sc.err(field, f"unknown place '{v}'{hint}")

    def port(self, sc: Scenario, field: str, value: Any) -> int:
        """Return the border node of a port: US or Mexican name, node name or CBP code."""
        v = norm(str(value))
        cands = self.port_by.get(v, [])
        if len(cands) == 1:
            return cands[0]
        if len(cands) > 1:
            return sorted(cands)[0]
        shown = {k: [str(self.net.node_name[i]) for i in rows] for k, rows in self.port_by.items()}
        hint = self.suggest(v, list(self.port_by), shown)
        raise sc.err(field, f"unknown port of entry '{value}'{hint}")

    def seaport(self, sc: Scenario, field: str, value: Any) -> int:
        """Return the seaport node named ``value`` (with or without " port") or its id."""
        v = norm(str(value))
        sea = np.flatnonzero(self.net.node_kind == NODE_KINDS.index("seaport")).tolist()
        for i in sea:
            nm = norm(self.net.node_name[i])
            key = nfc(self.net.node_key[i])
            if nm == v or nm.removesuffix(" port") == v or key == nfc(value):
                return i
        names = [norm(self.net.node_name[i]) for i in sea]
        hint = self.suggest(v, names, self._node_shown(sea))
        raise sc.err(field, f"unknown seaport '{value}'{hint}")

    def snap(self, sc: Scenario, field: str, lon: float, lat: float, max_km: float) -> int:
        """Return the node nearest (lon, lat) within ``max_km`` km on the ground."""
        from reten.network.terminals import snap_points

        if not self.net.located.any():
            raise sc.err(
                field,
                "the network's nodes have no coordinates (an edge list built without "
                "--nodes), so lon/lat cannot be placed; give the node's id (node = ...)",
            )
        try:
            return int(
                snap_points(self.net, np.array([lon]), np.array([lat]), max_m=max_km * 1000).node[0]
            )
        except InputError:
            raise sc.err(
                field, f"({lon}, {lat}) is farther than {max_km:g} km from the network"
            ) from None

    def arc(self, sc: Scenario, field: str, value: Any) -> np.ndarray:
        """Return the arc ids (both directions) of the road between two nodes or places."""
        if not (isinstance(value, list) and len(value) == 2):
            raise sc.err(field, "an arc is [from, to]: two node ids or place names")
        a = self.place(sc, field, value[0])
        b = self.place(sc, field, value[1])
        ids = self.net.arc_id(np.array([a, b]), np.array([b, a]))
        ids = ids[ids >= 0]
        if ids.size == 0:
            raise sc.err(field, f"no road joins '{value[0]}' and '{value[1]}'")
        return ids
