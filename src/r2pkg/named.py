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

from .errors import BadParameter, DataError, UnknownQuery

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


def read_query_file(path: Path) -> str:
    """The text of a query file, as UTF-8.

    Raises:
        DataError: the file cannot be read, or is not UTF-8 (the message gives the line).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise DataError(f"no such file: {path}", file=str(path)) from e
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror}", file=str(path)) from e
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(f"{path}: not UTF-8 (invalid byte 0x{raw[e.start]:02x} on line {line}); "
                        f"save the file as UTF-8", file=str(path), line=line) from e


def catalogue(queries_dir: Path) -> dict[str, NamedQuery]:
    """All named queries by name (the file stem), in name order."""
    if not queries_dir.is_dir():
        return {}
    return {p.stem: parse_header(p.stem, p, read_query_file(p)) for p in sorted(queries_dir.glob("*.rq"))}


def resolve(cat: dict[str, NamedQuery], name: str) -> NamedQuery:
    """A query of ``cat`` by its full name or by a unique prefix (``cq05`` for ``cq05-veto-restraint``).

    A prefix that ends where a name's number ends (``cq1`` for ``cq1-x``) wins over longer names
    (``cq10-y``); otherwise a prefix must match one name.

    Raises:
        UnknownQuery: no query, or an ambiguous prefix (the message lists the candidates).

    >>> cat = {n: NamedQuery(n, Path(n), n, "", "") for n in ("cq10-a", "cq11-b", "cq05-c")}
    >>> resolve(cat, "cq05").name
    'cq05-c'
    >>> resolve(cat, "cq1")
    Traceback (most recent call last):
    ...
    r2pkg.errors.UnknownQuery: query name 'cq1' is ambiguous: cq10-a, cq11-b; give more of the name
    """
    if name in cat:
        return cat[name]
    hits = [n for n in cat if n.startswith(name + "-")] or [n for n in cat if n.startswith(name)]
    if len(hits) == 1:
        return cat[hits[0]]
    if hits:
        raise UnknownQuery(f"query name {name!r} is ambiguous: {', '.join(hits)}; give more of the name")
    raise UnknownQuery(f"no named query {name!r}; available: {', '.join(cat) or 'none'}")


def get(queries_dir: Path, name: str) -> NamedQuery:
    """A named query in ``queries_dir`` by its full name or a unique prefix (see :func:`resolve`).

    Raises:
        UnknownQuery: no query, or an ambiguous prefix.
    """
    return resolve(catalogue(queries_dir), name)
