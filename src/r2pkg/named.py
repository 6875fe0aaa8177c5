"""Named queries: the ``queries/*.rq`` files, with their header comments as metadata.

Header comment lines at the top of a file::

    # title: Member states that spoke, by regional group
    # description: ...
    # param: subject IRI the state or organisation to trace (default <https://w3id.org/r2pkg/id/state/CHL>)

A parameter is ``name kind description`` where kind is ``IRI`` or ``literal`` (or a datatype CURIE
such as ``xsd:integer``); its value is bound to ``?name`` through pyoxigraph substitutions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import BadParameter, UnknownQuery

_HEADER = re.compile(r"^#\s*(title|description|param)\s*:\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s+(\S+)\s*(.*?)\s*(?:\(default\s+(.+)\))?$")
XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    description: str
    default: str | None = None

    def to_term(self, value: str) -> ox.NamedNode | ox.Literal:
        """Validate a user value and turn it into an RDF term.

        Raises:
            BadParameter: the value is not a valid absolute IRI / literal of the kind.
        """
        v = value.strip()
        if self.kind.upper() == "IRI":
            if v.startswith("<") and v.endswith(">"):
                v = v[1:-1]
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*$", v):
                raise BadParameter(f"parameter {self.name!r} must be an absolute IRI, got {value!r}",
                                   parameter=self.name)
            try:
                return ox.NamedNode(v)
            except ValueError as e:
                raise BadParameter(f"parameter {self.name!r}: {e}", parameter=self.name) from e
        if self.kind.startswith("xsd:"):
            dt = ox.NamedNode(XSD + self.kind[4:])
            lit = ox.Literal(v, datatype=dt)
            if self.kind == "xsd:integer" and not re.fullmatch(r"[+-]?\d+", v):
                raise BadParameter(f"parameter {self.name!r} must be an integer", parameter=self.name)
            return lit
        return ox.Literal(v)

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "description": self.description,
                "default": self.default}


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    title: str
    description: str
    text: str
    params: tuple[Param, ...] = field(default_factory=tuple)

    def bindings(self, values: dict[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
        """Substitutions for ``values`` plus defaults.

        Raises:
            BadParameter: an unknown parameter name, or an invalid value.
        """
        known = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise BadParameter(f"query {self.name!r} has no parameter {', '.join(unknown)}; "
                               f"it takes: {', '.join(known) or 'none'}", parameter=unknown[0])
        out = {}
        for p in self.params:
            v = values.get(p.name, p.default)
            if v is not None:
                out[p.name] = p.to_term(v)
        return out

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "title": self.title, "description": self.description,
                "parameters": [p.as_dict() for p in self.params]}


def parse_header(name: str, path: Path, text: str) -> NamedQuery:
    meta: dict[str, str] = {}
    params: list[Param] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = _HEADER.match(line)
        if not m:
            continue
        key, val = m.group(1), m.group(2).strip()
        if key == "param":
            if val.lower() == "none":
                continue
            pm = _PARAM.match(val)
            if pm:
                params.append(Param(pm.group(1), pm.group(2), pm.group(3),
                                    pm.group(4).strip() if pm.group(4) else None))
        elif key in meta:
            meta[key] += " " + val
        else:
            meta[key] = val
    return NamedQuery(name, path, meta.get("title", name), meta.get("description", ""), text, tuple(params))


def catalogue(queries_dir: Path) -> dict[str, NamedQuery]:
    """All named queries by name (the file stem), in name order."""
    if not queries_dir.is_dir():
        return {}
    return {p.stem: parse_header(p.stem, p, p.read_text(encoding="utf-8"))
            for p in sorted(queries_dir.glob("*.rq"))}


def get(queries_dir: Path, name: str) -> NamedQuery:
    """A named query by its full name or by a unique prefix (``cq05`` for ``cq05-veto-restraint``).

    Raises:
        UnknownQuery: no query, or an ambiguous prefix.
    """
    cat = catalogue(queries_dir)
    if name in cat:
        return cat[name]
    hits = [n for n in cat if n.startswith(name + "-")]
    if len(hits) == 1:
        return cat[hits[0]]
    if hits:
        raise UnknownQuery(f"query name {name!r} is ambiguous: {', '.join(hits)}")
    raise UnknownQuery(f"no named query {name!r}; available: {', '.join(cat) or 'none'}")
