"""Graph exports for Gephi, Cytoscape and Graphviz (no Flask, no click).

Each view is defined by a SPARQL SELECT in ``queries/views/<view>.rq`` (the same text a SPARQL
client can send to the endpoint); :mod:`.views` turns its rows into a networkx ``MultiDiGraph`` whose
node ids are the IRIs, and :mod:`.writers` writes that graph as GraphML, GEXF, Cytoscape JSON, DOT or
CSV.

>>> from r2pkg.export import export_view
>>> data = export_view(resources(), "support", "graphml")  # doctest: +SKIP
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx  # imported where used: serving pages need not load networkx

import pyoxigraph as ox

from ..paths import Resources
from ..store import LoadedDataset
from .views import VIEWS, UnknownView, View, ViewError, build_graph, get_view, rows_from_json, view_query
from .writers import (GRAPH_FORMATS, TABLES, GraphFormat, UnknownGraphFormat, cytoscape_json, graph_format,
                      write_csv, write_dot)

__all__ = ["VIEWS", "GRAPH_FORMATS", "TABLES", "View", "GraphFormat", "UnknownView", "UnknownGraphFormat",
           "ViewError", "build_graph", "cytoscape_json", "export_view", "get_view", "graph_format", "render",
           "rows_from_json", "view_graph", "view_query", "write_csv", "write_dot", "check_table", "build_date"]


def check_table(table: str) -> str:
    """Raises BadParameter (400) unless ``table`` is ``nodes`` or ``edges``."""
    if table not in TABLES:
        from ..errors import BadParameter

        raise BadParameter(f"table must be one of {', '.join(TABLES)}, got {table!r}", parameter="table")
    return table


def render(sparql_json: bytes | str, view: str, fmt: str | GraphFormat, table: str = "nodes",
           date: str | None = None) -> tuple[bytes, nx.MultiDiGraph]:
    """The SPARQL JSON result of a view query, written in ``fmt`` (the web app runs the query in a
    worker process and renders here). ``date`` is the build's (``built_at``), which GEXF records.
    Returns the bytes and the graph."""
    f = fmt if isinstance(fmt, GraphFormat) else graph_format(fmt)
    g = build_graph(rows_from_json(sparql_json), get_view(view).name)
    return f.write(g, check_table(table), date), g


def build_date(dataset: object) -> str | None:
    """The ``built_at`` of the build ``dataset`` was loaded from (None for a remote store)."""
    manifest = getattr(getattr(dataset, "build", None), "manifest", None)
    return manifest.get("built_at") if isinstance(manifest, dict) else None


def view_graph(store: ox.Store, queries_dir, view: str) -> nx.MultiDiGraph:
    """Run a view's query on a loaded store and build its graph."""
    from ..query import run

    q = view_query(queries_dir, view)
    return build_graph(rows_from_json(run(store, q.text).serialize("json")), view)


def export_view(res: Resources, view: str, fmt: str, *, table: str = "nodes",
                dataset: LoadedDataset | None = None) -> bytes:
    """A view in an export format: what ``r2pkg export VIEW --format FMT`` writes.

    Loads the published build (building first if there is none) unless ``dataset`` is given.

    Raises:
        UnknownView / UnknownGraphFormat: no such view, format or CSV table.
    """
    get_view(view)
    f = graph_format(fmt)
    check_table(table)
    if dataset is None:
        from ..build import ensure_build
        from ..store import load

        dataset = load(ensure_build(res))
    return f.write(view_graph(dataset.store, res.queries, view), table, build_date(dataset))
