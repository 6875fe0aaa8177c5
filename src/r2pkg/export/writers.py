"""Graph export formats as data: name, URL extensions, media type and writer, in one table.

GraphML, GEXF and Cytoscape JSON are written by networkx (``nx.write_graphml``, ``nx.write_gexf``,
``nx.cytoscape_data``). DOT is written by :func:`write_dot` below, not by networkx: its DOT writers
need pydot or pygraphviz, which r2pkg does not depend on. CSV is a nodes table or an edges table.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx  # imported where used: serving pages need not load networkx

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Callable


from ..errors import R2pkgError

TABLES = ("nodes", "edges")


class UnknownGraphFormat(R2pkgError):
    """No export format of that name or extension (404: there is no such resource)."""

    code = "UNKNOWN_FORMAT"
    status = 404


def _graphml(g: nx.MultiDiGraph, table: str, date: str | None = None) -> bytes:
    import networkx as nx

    buf = io.BytesIO()
    nx.write_graphml(g, buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue()


def _gexf(g: nx.MultiDiGraph, table: str, date: str | None = None) -> bytes:
    import networkx as nx

    h = g.copy()  # networkx's GEXF writer numbers edges unless they carry an "id": use the view's key
    for _, _, k, attrs in h.edges(keys=True, data=True):
        attrs["id"] = k
    # A view's ISO-date "time_start" becomes the GEXF start (networkx then writes mode="dynamic",
    # timeformat="date"), so Gephi's timeline plays the view; other views have none and stay static.
    for attrs in [a for _, a in h.nodes(data=True)] + [a for *_, a in h.edges(keys=True, data=True)]:
        t = attrs.get("time_start")
        if isinstance(t, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
            attrs["start"] = t
    buf = io.BytesIO()
    nx.write_gexf(h, buf, encoding="utf-8", prettyprint=True)
    out = buf.getvalue()
    if date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date[:10]):  # networkx stamps today's date: the export is of a build, so it carries the build's date
        out = re.sub(rb'(<meta[^>]*\blastmodifieddate=")[0-9-]+(")', rb"\g<1>" + date[:10].encode() + rb"\g<2>",
                     out, count=1)
    return out


def cytoscape_json(g: nx.MultiDiGraph) -> dict:
    """networkx's Cytoscape JSON, with each edge's key also as its Cytoscape ``id``."""
    import networkx as nx

    data = nx.cytoscape_data(g)
    for edge in data["elements"]["edges"]:
        edge["data"]["id"] = edge["data"]["key"]
    return data


def _cytoscape(g: nx.MultiDiGraph, table: str, date: str | None = None) -> bytes:
    return json.dumps(cytoscape_json(g), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def dot_id(value: object) -> str:
    """A DOT double-quoted ID. In DOT only ``\\"`` is an escape; ``\\\\`` and ``\\n`` are passed on
    to Graphviz's escString (a backslash, a newline), so backslashes are doubled and newlines
    written as ``\\n``."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    s = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\r\n", "\n").replace("\r", "\n")
    return '"' + s.replace("\n", "\\n") + '"'


def _attr_list(attrs: dict[str, object]) -> str:
    return ", ".join(f"{dot_id(k)}={dot_id(v)}" for k, v in attrs.items())


def write_dot(g: nx.MultiDiGraph) -> str:
    """A ``digraph`` (not strict, so parallel edges stay) with every ID and attribute quoted;
    each edge carries its key as the ``key`` attribute."""
    lines = [f"digraph {dot_id(g.graph.get('name', 'r2pkg'))} {{"]
    if g.graph:
        lines.append(f"  graph [{_attr_list(g.graph)}];")
    for n, attrs in g.nodes(data=True):
        lines.append(f"  {dot_id(n)} [{_attr_list(attrs)}];")
    for u, v, k, attrs in g.edges(keys=True, data=True):
        lines.append(f"  {dot_id(u)} -> {dot_id(v)} [{_attr_list({'key': k, **attrs})}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot(g: nx.MultiDiGraph, table: str, date: str | None = None) -> bytes:
    return write_dot(g).encode("utf-8")


def _columns(items: list[dict[str, object]], first: tuple[str, ...]) -> list[str]:
    seen = {k for attrs in items for k in attrs}
    return [*first, *sorted(seen - set(first))]


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def write_csv(g: nx.MultiDiGraph, table: str = "nodes") -> str:
    """The nodes table (``id, label, <attributes>``) or the edges table (``source, target, key, label,
    <attributes>``), attributes in name order, empty cells for absent attributes (RFC 4180)."""
    if table not in TABLES:
        raise UnknownGraphFormat(f"CSV table must be one of {', '.join(TABLES)}, got {table!r}")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    if table == "nodes":
        cols = _columns([a for _, a in g.nodes(data=True)], ("id", "label"))
        w.writerow(cols)
        for n, attrs in g.nodes(data=True):
            w.writerow([n, *(_cell(attrs.get(c)) for c in cols[1:])])
    else:
        cols = _columns([a for *_, a in g.edges(data=True)], ("source", "target", "key", "label"))
        w.writerow(cols)
        for u, v, k, attrs in g.edges(keys=True, data=True):
            w.writerow([u, v, k, *(_cell(attrs.get(c)) for c in cols[3:])])
    return out.getvalue()


def _csv(g: nx.MultiDiGraph, table: str, date: str | None = None) -> bytes:
    return write_csv(g, table).encode("utf-8")


@dataclass(frozen=True)
class GraphFormat:
    name: str                    # the CLI's --format
    extensions: tuple[str, ...]  # URL extensions (/export/<view>.<ext>); the first is canonical
    media_type: str
    write: Callable[..., bytes]  # (graph, table, date=None): date is the build's (ISO 8601), GEXF records it
    download: bool               # served as an attachment (a file to open in Gephi, Graphviz...)
    description: str


GRAPH_FORMATS: tuple[GraphFormat, ...] = (
    GraphFormat("graphml", ("graphml",), "application/graphml+xml", _graphml, True,
                "GraphML (networkx write_graphml): Gephi, yEd, Cytoscape desktop"),
    GraphFormat("gexf", ("gexf",), "application/gexf+xml", _gexf, True,
                "GEXF 1.2 (networkx write_gexf): Gephi"),
    GraphFormat("cytoscape", ("cyjs", "json"), "application/json", _cytoscape, False,
                "Cytoscape JSON (networkx cytoscape_data): Cytoscape.js, Cytoscape desktop"),
    GraphFormat("dot", ("dot", "gv"), "text/vnd.graphviz", _dot, True,
                "Graphviz DOT (r2pkg's own writer; every ID quoted)"),
    GraphFormat("csv", ("csv",), "text/csv", _csv, False,
                "CSV: the nodes table or the edges table (table=nodes|edges)"),
)
BY_NAME = {f.name: f for f in GRAPH_FORMATS}
BY_EXTENSION = {e: f for f in GRAPH_FORMATS for e in f.extensions}


def graph_format(name_or_ext: str) -> GraphFormat:
    """A format by its name (``cytoscape``) or one of its extensions (``cyjs``, ``json``)."""
    key = name_or_ext.strip().lower()
    f = BY_NAME.get(key) or BY_EXTENSION.get(key)
    if f is None:
        raise UnknownGraphFormat(f"no export format {name_or_ext!r}; available: "
                                 f"{', '.join(BY_NAME)} (extensions {', '.join(BY_EXTENSION)})")
    return f
