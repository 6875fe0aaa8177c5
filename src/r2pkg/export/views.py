"""Graph views: SPARQL SELECT results (``queries/views/<view>.rq``) turned into networkx graphs.

A view query returns one row per node or edge (the convention is written in each query's header):

* ``?element "node"``: ``?id`` is the node, whose IRI is its stable id; every other bound column is an
  attribute. A node row may also carry one dynamically named attribute as ``?attr`` / ``?value``.
  Rows of one node merge; an attribute with several distinct values becomes one string, the values
  sorted and joined with ``" | "``.
* ``?element "edge"``: ``?source`` -> ``?target`` (both declared as nodes), ``?key`` a globally unique
  edge id; every other bound column is an attribute.

Literals keep their type (xsd integers -> int, decimals/doubles -> float, booleans -> bool); IRIs
become their string. An attribute whose values have mixed types across nodes (or edges) is written
as strings everywhere, so every export format can declare one type per attribute.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx  # imported where used: serving pages need not load networkx

import json
from dataclasses import dataclass
from pathlib import Path


from .. import named
from ..errors import R2pkgError

XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER = {XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                              "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong",
                              "unsignedShort", "unsignedByte")}
_FLOAT = {XSD + t for t in ("decimal", "double", "float")}
_BOOLEAN = XSD + "boolean"

STRUCTURAL = frozenset({"element", "id", "source", "target", "key", "attr", "value"})
# Attribute names the export formats treat specially (GEXF: label/weight/type/start/end on edges,
# pid/viz/... on nodes; Cytoscape JSON: id/name/value/source/target/key). A view may not use them.
RESERVED_NODE = frozenset({"name", "pid", "viz", "parents", "slices", "spells", "start", "end"})
RESERVED_EDGE = frozenset({"name", "type", "weight", "start", "end", "slices", "spells"})
JOIN = " | "


class UnknownView(R2pkgError):
    """The name is not one of the graph views."""

    code = "UNKNOWN_VIEW"
    status = 404


class ViewError(R2pkgError):
    """A view query broke the row convention (an edge to an undeclared node, a duplicate edge key...)."""

    code = "VIEW_ERROR"
    status = 500


@dataclass(frozen=True)
class View:
    name: str
    summary: str
    explorer: bool = False  # shown in the /explore network


VIEWS: dict[str, View] = {v.name: v for v in (
    View("support", "actors and the targets of their stances; one edge per stance, with polarity and passages",
         explorer=True),
    View("delegation", "who spoke on behalf of whom: deliverer -> group -> covered states", explorer=True),
    View("membership", "states and the organisations and groups they belong to (formal and stated)"),
    View("full", "the whole RDF graph as a property graph (IRIs, object properties, literal attributes)"),
    View("series", "the meetings of 2009-2025 and the states named at them (readers, challengers, Group of "
                   "Friends members), dated for a timeline (GEXF start)", explorer=True),
)}


def get_view(name: str) -> View:
    try:
        return VIEWS[name]
    except KeyError:
        raise UnknownView(f"no graph view {name!r}; available: {', '.join(VIEWS)}",
                          available=list(VIEWS)) from None


def view_query(queries_dir: Path, name: str) -> named.NamedQuery:
    """The view's SPARQL query (``<queries_dir>/views/<name>.rq``) with its header metadata."""
    get_view(name)
    path = Path(queries_dir) / "views" / f"{name}.rq"
    if not path.is_file():
        raise UnknownView(f"graph view {name!r} has no query file {path}")
    return named.parse_header(name, path, path.read_text(encoding="utf-8"))


def term_value(term: dict) -> object:
    """A SPARQL JSON term as a Python value (IRIs as strings, typed literals as numbers/booleans)."""
    kind, value = term.get("type"), term["value"]
    if kind == "uri":
        return value
    if kind == "bnode":
        return "_:" + value
    dt = term.get("datatype")
    try:
        if dt in _INTEGER:
            return int(value)
        if dt in _FLOAT:
            return float(value)
    except ValueError:
        return value
    if dt == _BOOLEAN:
        return value.strip() in ("true", "1")
    return value


def rows_from_json(body: bytes | str) -> list[dict[str, object]]:
    """SPARQL 1.1 JSON results as a list of {variable: value} dicts (unbound variables left out)."""
    doc = json.loads(body)
    return [{k: term_value(t) for k, t in b.items()} for b in doc["results"]["bindings"]]


def _add(bag: dict[str, list], name: str, value: object) -> None:
    vals = bag.setdefault(name, [])
    if not any(type(v) is type(value) and v == value for v in vals):
        vals.append(value)


def _final(values: list) -> object:
    if len(values) == 1:
        return values[0]
    return JOIN.join(sorted(_text(v) for v in values))


def _text(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _unify_types(items: list[dict[str, object]]) -> None:
    """Make each attribute one type across items: its own if uniform, else str everywhere."""
    types: dict[str, set[type]] = {}
    for attrs in items:
        for k, v in attrs.items():
            types.setdefault(k, set()).add(type(v))
    mixed = {k for k, ts in types.items() if len(ts) > 1}
    for attrs in items:
        for k in mixed & attrs.keys():
            attrs[k] = _text(attrs[k])


def build_graph(rows: list[dict[str, object]], name: str = "") -> nx.MultiDiGraph:
    """A directed multigraph from view rows (see the module docstring); nodes and edges sorted.

    Raises:
        ViewError: a row without element/id/source/target/key, a duplicate edge key, an edge whose
            endpoint is not a node, or a reserved attribute name.
    """
    nodes: dict[str, dict[str, list]] = {}
    edges: dict[str, tuple[str, str, dict[str, list]]] = {}
    for row in rows:
        element = row.get("element")
        if element == "node":
            nid = row.get("id")
            if not isinstance(nid, str):
                raise ViewError(f"view {name!r}: a node row without ?id: {row}")
            bag = nodes.setdefault(nid, {})
            for k, v in row.items():
                if k not in STRUCTURAL:
                    _add(bag, k, v)
            if "attr" in row and "value" in row:
                _add(bag, str(row["attr"]), row["value"])
        elif element == "edge":
            src, tgt, key = row.get("source"), row.get("target"), row.get("key")
            if not (isinstance(src, str) and isinstance(tgt, str) and key is not None):
                raise ViewError(f"view {name!r}: an edge row needs ?source, ?target and ?key: {row}")
            key = str(key)
            if key in edges:
                raise ViewError(f"view {name!r}: duplicate edge key {key!r}")
            bag = {}
            for k, v in row.items():
                if k not in STRUCTURAL:
                    _add(bag, k, v)
            edges[key] = (src, tgt, bag)
        else:
            raise ViewError(f"view {name!r}: ?element must be \"node\" or \"edge\", got {element!r}")
    node_attrs = {n: {k: _final(v) for k, v in bag.items()} for n, bag in nodes.items()}
    for n, attrs in node_attrs.items():
        attrs.setdefault("label", n)
        bad = RESERVED_NODE & attrs.keys()
        if bad:
            raise ViewError(f"view {name!r}: reserved node attribute name(s) {sorted(bad)}")
    edge_attrs = {k: {a: _final(v) for a, v in bag.items()} for k, (_, _, bag) in edges.items()}
    for k, attrs in edge_attrs.items():
        bad = RESERVED_EDGE & attrs.keys()
        if bad:
            raise ViewError(f"view {name!r}: reserved edge attribute name(s) {sorted(bad)}")
        src, tgt, _ = edges[k]
        missing = [e for e in (src, tgt) if e not in nodes]
        if missing:
            raise ViewError(f"view {name!r}: edge {k!r} refers to undeclared node(s) {missing}")
    _unify_types(list(node_attrs.values()))
    _unify_types(list(edge_attrs.values()))
    import networkx as nx

    g = nx.MultiDiGraph(name=f"r2pkg {name} view" if name else "r2pkg view")
    for n in sorted(node_attrs):
        g.add_node(n, **node_attrs[n])
    for k in sorted(edges, key=lambda k: (edges[k][0], edges[k][1], k)):
        src, tgt, _ = edges[k]
        g.add_edge(src, tgt, key=k, **edge_attrs[k])
    return g
